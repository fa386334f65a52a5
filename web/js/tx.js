// Transaction tables and the transaction detail dialog, shared by the dashboard and the transactions page.
import { api } from './api.js';
import { displayPhone, el, formatDateTime, formatKES, statusBadge } from './format.js';

const kKindLabels = { stk: 'STK push', b2c: 'B2C', reversal: 'Reversal', balance: 'Balance', c2b: 'C2B' };

export function kindLabel(kind) {
    return kKindLabels[kind] || kind || '—';
}

/** Builds a table of transactions; onView(tx) is called by each row's "View" button. */
export function transactionTable(items, { onView, caption } = {}) {
    const head = ['Date', 'Kind', 'Status', 'Amount', 'Phone', 'Receipt', 'Account', ''];
    return el('table', { class: 'data stack tx-table' },
        caption ? el('caption', { class: 'visually-hidden', text: caption }) : null,
        el('thead', {}, el('tr', {}, head.map((h, i) => el('th', { scope: 'col', class: i === 3 ? 'num' : null }, h || el('span', { class: 'visually-hidden', text: 'Actions' }))))),
        el('tbody', {}, items.map((t) => transactionRow(t, onView))));
}

export function transactionRow(t, onView) {
    const view = el('button', { type: 'button', class: 'btn btn-ghost btn-small tx-view', text: 'View',
        'aria-label': `View transaction ${t.mpesaReceiptNumber || t.id}` });
    view.addEventListener('click', () => onView && onView(t));
    return el('tr', { 'data-id': String(t.id), 'data-status': t.status || '' },
        el('td', { 'data-label': 'Date', text: formatDateTime(t.createdAt) }),
        el('td', { 'data-label': 'Kind', text: kindLabel(t.kind) }),
        el('td', { 'data-label': 'Status' }, statusBadge(t.status)),
        el('td', { 'data-label': 'Amount', class: 'num', text: formatKES(t.amount) }),
        el('td', { 'data-label': 'Phone', text: t.kind === 'c2b' ? (t.payerPhone || '—') : displayPhone(t.phoneNumber) }),
        el('td', { 'data-label': 'Receipt', class: 'tx-receipt', text: t.mpesaReceiptNumber || '—' }),
        el('td', { 'data-label': 'Account', text: t.accountReference || t.accountNumber || '—' }),
        el('td', { 'data-label': '' }, view));
}

const kTimelineLabels = {
    request_sent: 'Request sent to M-Pesa',
    daraja_response: 'M-Pesa answered',
    callback: 'Callback received',
    result: 'Result received',
    status_query: 'Status checked',
    reconciled: 'Reconciled',
    query: 'Checked with M-Pesa',
    matched: 'Matched to a callback',
};

/** "2 attempts; last answer: …; next at …" for a PENDING transaction the reconciler is working on. */
function reconciliationText(r) {
    if (!r.attempts) return r.nextAttemptAt ? `first check at ${formatDateTime(r.nextAttemptAt)}` : 'not checked yet';
    const parts = [`${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`];
    if (r.lastError) parts.push(`last answer: ${r.lastError}`);
    if (r.nextAttemptAt) parts.push(`next at ${formatDateTime(r.nextAttemptAt)}`);
    return parts.join('; ');
}

/**
 * Opens the detail dialog (a <dialog id="tx-dialog"> on the page) for a transaction id,
 * loading GET /api/v1/mpesa/transactions/:id with its timeline. extraActions(tx) may return buttons/links.
 */
export async function openTransactionDialog(id, { extraActions } = {}) {
    let dialog = document.getElementById('tx-dialog');
    if (!dialog) {
        dialog = el('dialog', { id: 'tx-dialog', 'aria-labelledby': 'tx-dialog-title' });
        document.body.append(dialog);
    }
    const close = el('button', { type: 'button', class: 'btn btn-ghost btn-small', text: 'Close' });
    close.addEventListener('click', () => dialog.close());
    const body = el('div', { class: 'dialog-body' },
        el('div', { class: 'card-head' }, el('h2', { id: 'tx-dialog-title', class: 'card-title', text: 'Transaction' }), close),
        el('p', { role: 'status', class: 'muted', text: 'Loading…' }));
    dialog.replaceChildren(body);
    if (!dialog.open) dialog.showModal();
    close.focus();
    let tx;
    try {
        tx = await api(`/api/v1/mpesa/transactions/${encodeURIComponent(id)}`);
    } catch (err) {
        body.lastChild.replaceWith(el('p', { class: 'notice notice-error', role: 'alert', text: err.message }));
        return null;
    }
    const fields = [
        ['Id', tx.id], ['Kind', kindLabel(tx.kind)], ['Status', null, statusBadge(tx.status)], ['Amount', formatKES(tx.amount)],
        ['Paid (per M-Pesa)', tx.amountMismatch ? formatKES(tx.paidAmount) : null],
        ['Needs review', tx.reviewReason],
        ['Reconciliation', tx.reconciliation ? reconciliationText(tx.reconciliation) : null],
        ['Phone', displayPhone(tx.phoneNumber)], ['M-Pesa receipt', tx.mpesaReceiptNumber], ['Account', tx.accountReference],
        ['Description', tx.transactionDesc], ['Lease', tx.leaseId], ['Result code', tx.resultCode],
        ['M-Pesa says', tx.resultDescription], ['Checkout request', tx.checkoutRequestId],
        ['Merchant request', tx.merchantRequestId], ['Conversation', tx.conversationId],
        ['Transaction date', tx.transactionDate ? formatDateTime(tx.transactionDate) : null],
        ['Created', formatDateTime(tx.createdAt)], ['Updated', formatDateTime(tx.updatedAt)],
    ].filter(([, v, node]) => node || (v !== null && v !== undefined && v !== ''));
    const timeline = Array.isArray(tx.timeline) ? tx.timeline : [];
    const review = Array.isArray(tx.review) ? tx.review : [];
    body.lastChild.replaceWith(el('div', { class: 'tx-detail', 'data-id': String(tx.id) },
        el('dl', { class: 'kv' }, fields.map(([k, v, node]) => [el('dt', { text: k }), el('dd', {}, node || String(v))])),
        extraActions ? el('div', { class: 'btn-row' }, extraActions(tx)) : null,
        review.length ? [el('h3', { text: 'Review' }), el('ul', { class: 'tx-review' }, review.map((item) => el('li', {},
            el('strong', { text: item.status === 'open' ? 'Open: ' : 'Resolved: ' }), item.reason,
            item.status === 'resolved' ? el('span', { class: 'muted', text: ` — ${item.resolution} (${item.resolvedBy}, ${formatDateTime(item.resolvedAt)})` }) : null)))]
            : null,
        el('h3', { text: 'Timeline' }),
        timeline.length ? el('ol', { class: 'timeline' }, timeline.map((entry) => el('li', { class: `timeline-${entry.kind}` },
            el('strong', { text: kTimelineLabels[entry.kind] || entry.kind }), ' ',
            el('span', { class: 'muted', text: formatDateTime(entry.createdAt) }),
            entry.payload !== undefined && entry.payload !== null
                ? el('pre', { text: typeof entry.payload === 'string' ? entry.payload : JSON.stringify(entry.payload, null, 2) }) : null)))
            : el('p', { class: 'muted', text: 'No events recorded.' })));
    return tx;
}

/** Returns CSV text (RFC 4180) for transactions. */
export function transactionsToCsv(items) {
    const columns = ['id', 'kind', 'status', 'amount', 'phoneNumber', 'mpesaReceiptNumber', 'accountReference',
        'transactionDesc', 'leaseId', 'resultCode', 'resultDescription', 'checkoutRequestId', 'transactionDate', 'createdAt', 'updatedAt'];
    const cell = (v) => {
        if (v === null || v === undefined) return '';
        let s = String(v);
        // Keep spreadsheets from treating text as formulas.
        if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const lines = [columns.join(',')];
    for (const t of items) lines.push(columns.map((c) => cell(t[c])).join(','));
    return `${lines.join('\r\n')}\r\n`;
}
