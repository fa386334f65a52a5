// Approvals (admins): payouts and reversals held for a second admin. Approving sends the request to M-Pesa
// exactly as the immediate request would have; the maker sees their own as waiting for another admin.
import { api } from '../api.js';
import { displayPhone, el, formatDateTime, formatKES } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const list = document.getElementById('approval-items');
const statusSelect = document.getElementById('a-status');
const more = document.getElementById('more');

let nextCursor = null;
let tbody = null;

const kKinds = { b2c: 'Payout', reversal: 'Reversal' };

function decisionText(item) {
    if (item.status === 'approved') {
        const sent = item.transactionId ? `sent as transaction ${item.transactionId}` : (item.outcome || 'sending');
        return `Approved by ${item.checkerEmail}, ${sent}`;
    }
    if (item.status === 'rejected') return `Rejected by ${item.checkerEmail}: ${item.reason}`;
    if (item.status === 'expired') return `Expired ${formatDateTime(item.expiresAt)}`;
    return '';
}

function actions(item, row) {
    if (item.status !== 'pending') return el('span', { class: 'approval-decision', text: decisionText(item) });
    if (item.mine) return el('span', { class: 'muted approval-waiting', text: 'Waiting for another admin' });
    const approve = el('button', { type: 'button', class: 'btn btn-primary btn-small approval-approve', text: 'Approve' });
    const reason = el('input', { class: 'input', type: 'text', maxlength: '500', 'aria-label': `Why reject request ${item.id}`,
        placeholder: 'Reason to reject' });
    const reject = el('button', { type: 'button', class: 'btn btn-secondary btn-small approval-reject', text: 'Reject' });
    const decide = async (button, path, body, done) => {
        approve.disabled = true;
        reject.disabled = true;
        try {
            const answer = await api(`/api/v1/approvals/${item.id}/${path}`, { method: 'POST', body });
            showMessage(done(answer), 'ok');
            load(true);
        } catch (err) {
            showMessage(`Request ${item.id}: ${errorText(err)}`, 'error');
            approve.disabled = false;
            reject.disabled = false;
            if (err.status === 409) load(true);
        }
    };
    approve.addEventListener('click', () => decide(approve, 'approve', undefined,
        (tx) => `Request ${item.id} approved and sent to M-Pesa (transaction ${tx.transactionId}, ${tx.status}).`));
    reject.addEventListener('click', () => {
        if (!reason.value.trim()) {
            reason.setAttribute('aria-invalid', 'true');
            reason.focus();
            return;
        }
        decide(reject, 'reject', { reason: reason.value.trim() }, () => `Request ${item.id} rejected; nothing was sent.`);
    });
    return el('div', { class: 'inline-form' }, approve, reason, reject);
}

function itemRow(item) {
    const row = el('tr', { 'data-approval-id': String(item.id) });
    row.append(
        el('td', { text: formatDateTime(item.createdAt) }),
        el('td', { text: kKinds[item.kind] || item.kind }),
        el('td', { class: 'approval-amount', text: formatKES(item.amount) }),
        el('td', { text: displayPhone(item.phoneNumber) }),
        el('td', { text: item.makerEmail }),
        el('td', { text: formatDateTime(item.expiresAt) }),
        el('td', {}, actions(item, row)));
    return row;
}

async function load(reset) {
    if (reset) {
        nextCursor = null;
        tbody = null;
        list.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    }
    try {
        const page = await api('/api/v1/approvals', { query: { status: statusSelect.value, cursor: reset ? null : nextCursor } });
        nextCursor = page.nextCursor || null;
        if (!tbody) {
            if (!page.items.length) {
                list.replaceChildren(el('p', { class: 'empty', text: 'No requests.' }));
            } else {
                tbody = el('tbody');
                const head = el('thead', {}, el('tr', {}, ['Asked', 'Type', 'Amount', 'Recipient', 'Asked by', 'Expires', 'Decision']
                    .map((h) => el('th', { scope: 'col', text: h }))));
                list.replaceChildren(el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Approval requests' }), head, tbody));
            }
        }
        for (const item of page.items) tbody.append(itemRow(item));
        more.hidden = !nextCursor;
    } catch (err) {
        showMessage(`Could not load the approval requests: ${errorText(err)}`, 'error');
    }
}

async function main() {
    await initPage();
    statusSelect.addEventListener('change', () => load(true));
    more.addEventListener('click', () => load(false));
    await load(true);
}

main();
