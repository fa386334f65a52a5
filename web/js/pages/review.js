// Needs review: every item a person must look at, with its reason; managers and admins resolve them.
import { api } from '../api.js';
import { el, formatDateTime } from '../format.js';
import { canWrite, errorText, initPage, showMessage } from '../nav.js';
import { openTransactionDialog } from '../tx.js';

const list = document.getElementById('review-items');
const countBox = document.getElementById('review-count');
const statusSelect = document.getElementById('r-status');
const more = document.getElementById('more');

let user = null;
let nextCursor = null;
let tbody = null;

function resolveForm(item, row) {
    const input = el('input', { class: 'input', type: 'text', maxlength: '500', required: 'required',
        'aria-label': `What was done about item ${item.id}`, placeholder: 'What did you do? e.g. confirmed on the statement' });
    const button = el('button', { type: 'submit', class: 'btn btn-secondary btn-small', text: 'Resolve' });
    const form = el('form', { class: 'inline-form' }, input, button);
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const resolution = input.value.trim();
        if (!resolution) {
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
        button.disabled = true;
        try {
            const done = await api(`/api/v1/review/${item.id}/resolve`, { method: 'POST', body: { resolution } });
            row.replaceWith(itemRow(done));
            showMessage(`Item ${item.id} resolved.`, 'ok');
            refreshCount();
        } catch (err) {
            showMessage(`Could not resolve item ${item.id}: ${errorText(err)}`, 'error');
            button.disabled = false;
        }
    });
    return form;
}

function itemRow(item) {
    const row = el('tr', { 'data-review-id': String(item.id) });
    const subject = item.transactionId
        ? el('button', { type: 'button', class: 'link-button', text: `Transaction ${item.transactionId}` })
        : el('span', { class: 'muted', text: item.inboundId ? `Daraja message ${item.inboundId}` : '—' });
    if (item.transactionId) subject.addEventListener('click', () => openTransactionDialog(item.transactionId));
    const action = item.status === 'open'
        ? (canWrite(user) ? resolveForm(item, row) : el('span', { class: 'muted', text: 'Open' }))
        : el('span', { text: `${item.resolution} (${item.resolvedBy}, ${formatDateTime(item.resolvedAt)})` });
    row.append(
        el('td', { text: formatDateTime(item.createdAt) }),
        el('td', {}, subject),
        el('td', { class: 'review-reason', text: item.reason }),
        el('td', {}, action));
    return row;
}

async function refreshCount() {
    try {
        const page = await api('/api/v1/review', { query: { status: 'open', limit: 1 } });
        countBox.textContent = `${page.openCount} open item${page.openCount === 1 ? '' : 's'}`;
    } catch {
        // the count stays as it was
    }
}

async function load(reset) {
    if (reset) {
        nextCursor = null;
        tbody = null;
        list.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    }
    try {
        const page = await api('/api/v1/review', { query: { status: statusSelect.value, cursor: reset ? null : nextCursor } });
        countBox.textContent = `${page.openCount} open item${page.openCount === 1 ? '' : 's'}`;
        nextCursor = page.nextCursor || null;
        if (!tbody) {
            if (!page.items.length) {
                list.replaceChildren(el('p', { class: 'empty', text: 'Nothing needs review.' }));
            } else {
                tbody = el('tbody');
                const head = el('thead', {}, el('tr', {}, ['Opened', 'About', 'Reason', 'Action'].map((h) => el('th', { scope: 'col', text: h }))));
                list.replaceChildren(el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Needs review' }), head, tbody));
            }
        }
        for (const item of page.items) tbody.append(itemRow(item));
        more.hidden = !nextCursor;
        showMessage('');
    } catch (err) {
        showMessage(`Could not load the review list: ${errorText(err)}`, 'error');
    }
}

async function main() {
    ({ user } = await initPage());
    statusSelect.addEventListener('change', () => load(true));
    more.addEventListener('click', () => load(false));
    await load(true);
}

main();
