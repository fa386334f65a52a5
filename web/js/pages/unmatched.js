// Unmatched payments: C2B payments no lease matched. Admins and managers assign one to a lease; admins refund it by
// B2C to the number that paid (the gateway checks the typed number against the one M-Pesa sent).
import { api } from '../api.js';
import { el, formatDateTime, formatKES } from '../format.js';
import { canPayOut, errorText, initPage, showMessage } from '../nav.js';

const list = document.getElementById('unmatched-items');
const countBox = document.getElementById('unmatched-count');
const more = document.getElementById('more');

let user = null;
let leases = [];
let nextCursor = null;
let tbody = null;
let shown = 0;

function setCount() {
    countBox.textContent = `${shown} unmatched payment${shown === 1 ? '' : 's'}`;
}

function settled(row, text) {
    row.replaceWith(el('tr', { class: 'settled' }, el('td', { colspan: '6', text })));
    shown -= 1;
    setCount();
}

function assignForm(p, row) {
    const select = el('select', { class: 'input', required: 'required', 'aria-label': `Lease for payment ${p.mpesaReceiptNumber}` },
        el('option', { value: '', text: 'Choose a lease…' }),
        leases.map((l) => el('option', { value: String(l.id), text: `${l.accountReference} · ${l.unit} · ${l.tenantName}` })));
    const button = el('button', { type: 'submit', class: 'btn btn-secondary btn-small', text: 'Assign' });
    const form = el('form', { class: 'inline-form', 'data-action': 'assign' }, select, button);
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!select.value) {
            select.setAttribute('aria-invalid', 'true');
            select.focus();
            return;
        }
        button.disabled = true;
        try {
            await api(`/api/v1/c2b/payments/${p.id}/assign`, { method: 'POST', body: { leaseId: Number(select.value) } });
            const lease = leases.find((l) => String(l.id) === select.value);
            settled(row, `${p.mpesaReceiptNumber} assigned to ${lease ? lease.accountReference : `lease ${select.value}`}.`);
            showMessage(`Payment ${p.mpesaReceiptNumber} assigned.`, 'ok');
        } catch (err) {
            showMessage(`Could not assign ${p.mpesaReceiptNumber}: ${errorText(err)}`, 'error');
            button.disabled = false;
        }
    });
    return form;
}

function refundForm(p, row) {
    const input = el('input', { class: 'input', type: 'tel', inputmode: 'tel', required: 'required', placeholder: '0712 345 678',
        'aria-label': `Number that paid ${p.mpesaReceiptNumber}` });
    const button = el('button', { type: 'submit', class: 'btn btn-danger btn-small', text: 'Refund' });
    const form = el('form', { class: 'inline-form', 'data-action': 'refund' }, input, button);
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const phoneNumber = input.value.trim();
        if (!phoneNumber) {
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
        if (!window.confirm(`Send ${formatKES(p.amount)} back to ${phoneNumber}?`)) return;
        button.disabled = true;
        try {
            await api(`/api/v1/c2b/payments/${p.id}/refund`, { method: 'POST', body: { phoneNumber } });
            settled(row, `${p.mpesaReceiptNumber}: refund of ${formatKES(p.amount)} sent.`);
            showMessage(`Refund of ${p.mpesaReceiptNumber} sent to M-Pesa.`, 'ok');
        } catch (err) {
            input.setAttribute('aria-invalid', 'true');
            showMessage(`Could not refund ${p.mpesaReceiptNumber}: ${errorText(err)}`, 'error');
            button.disabled = false;
        }
    });
    return form;
}

function paymentRow(p) {
    const row = el('tr', { 'data-c2b-id': String(p.id) });
    const actions = el('div', { class: 'stack-actions' }, assignForm(p, row), canPayOut(user) ? refundForm(p, row) : null);
    row.append(
        el('td', { 'data-label': 'Paid', text: formatDateTime(p.completedAt) }),
        el('td', { 'data-label': 'Amount', class: 'num', text: formatKES(p.amount) }),
        el('td', { 'data-label': 'Account typed', text: p.accountNumber || (p.transactionType === 'Buy Goods' ? 'Till (none)' : '—') }),
        el('td', { 'data-label': 'Payer', text: [p.payerName, p.payerPhone].filter(Boolean).join(' · ') || '—' }),
        el('td', { 'data-label': 'Receipt', class: 'tx-receipt', text: p.mpesaReceiptNumber }),
        el('td', { 'data-label': '' }, actions));
    return row;
}

async function load(reset) {
    if (reset) {
        nextCursor = null;
        tbody = null;
        shown = 0;
        list.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    }
    try {
        const page = await api('/api/v1/c2b/unmatched', { query: { cursor: reset ? null : nextCursor } });
        nextCursor = page.nextCursor || null;
        if (!tbody) {
            if (!page.items.length) {
                list.replaceChildren(el('p', { class: 'empty', text: 'Every payment found its lease.' }));
            } else {
                tbody = el('tbody');
                const head = el('thead', {}, el('tr', {}, ['Paid', 'Amount', 'Account typed', 'Payer', 'Receipt', 'Action']
                    .map((h, i) => el('th', { scope: 'col', class: i === 1 ? 'num' : null, text: h }))));
                list.replaceChildren(el('table', { class: 'data stack' },
                    el('caption', { class: 'visually-hidden', text: 'Unmatched payments' }), head, tbody));
            }
        }
        for (const p of page.items) tbody.append(paymentRow(p));
        shown += page.items.length;
        setCount();
        more.hidden = !nextCursor;
        showMessage('');
    } catch (err) {
        showMessage(`Could not load unmatched payments: ${errorText(err)}`, 'error');
    }
}

async function main() {
    ({ user } = await initPage());
    try {
        const all = await api('/api/v1/leases');
        leases = (Array.isArray(all) ? all : all.items || []).filter((l) => l.status !== 'ended');
    } catch (err) {
        showMessage(`Could not load leases: ${errorText(err)}`, 'error');
    }
    more.addEventListener('click', () => load(false));
    await load(true);
}

main();
