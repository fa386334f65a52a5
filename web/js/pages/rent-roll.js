// The rent roll page (staff): a month picker, the agency's totals for the month, the leases with their balance and
// status (a table that becomes cards on a phone), filters by status, late and text, and a CSV download of what the
// filters show. The CSV is fetched with the bearer token and saved as a Blob (the token is not a cookie).
import { api, apiDownload } from '../api.js';
import { el, formatDateTime, formatKES } from '../format.js';
import { canWrite, errorText, initPage, showMessage } from '../nav.js';

const kStatusText = { paid: 'Paid', partial: 'Partial', unpaid: 'Unpaid', overpaid: 'Overpaid' };
const kStatusBadge = { paid: 'badge-ok', partial: 'badge-wait', unpaid: 'badge-bad', overpaid: 'badge-muted' };
const kSourceText = { stk: 'STK', c2b: 'Paybill' };

function filterValues() {
    const form = document.getElementById('roll-filter');
    const values = {};
    for (const name of ['month', 'status', 'late', 'q']) {
        const v = form.elements[name].value.trim();
        if (v) values[name] = v;
    }
    return values;
}

/** Arrears as "KES 5,000", credit as "KES 2,500 credit". */
function balanceText(balance) {
    return balance < 0 ? `${formatKES(-balance)} credit` : formatKES(balance);
}

function renderTotals(roll) {
    document.getElementById('totals-month').textContent = roll.month;
    const t = roll.totals;
    const tile = (label, value, id) => el('div', {}, el('dt', { text: label }), el('dd', { id, text: value }));
    document.getElementById('roll-totals').replaceChildren(
        tile('Rent due', formatKES(t.due), 'total-due'),
        tile('Paid (net)', formatKES(t.paid), 'total-paid'),
        tile('Arrears', formatKES(t.arrears), 'total-arrears'),
        tile('Credit', formatKES(t.credit), 'total-credit'),
        tile('Paid in full', String(t.byStatus.paid), 'count-paid'),
        tile('Partial', String(t.byStatus.partial), 'count-partial'),
        tile('Unpaid', String(t.byStatus.unpaid), 'count-unpaid'),
        tile('Late', String(t.late), 'count-late'));
}

function renderRows(roll) {
    const box = document.getElementById('roll-rows');
    if (!roll.items.length) {
        box.replaceChildren(el('p', { class: 'empty', text: 'No leases match.' }));
        return;
    }
    const headers = ['Unit', 'Tenant', 'Due', 'Brought forward', 'Rent', 'Paid', 'Balance', 'Status', 'Last payment'];
    const numeric = new Set(['Brought forward', 'Rent', 'Paid', 'Balance']);
    box.replaceChildren(el('table', { class: 'data stack roll-table' },
        el('caption', { class: 'visually-hidden', text: `Rent roll ${roll.month}` }),
        el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: numeric.has(h) ? 'num' : null, text: h })))),
        el('tbody', {}, roll.items.map((r) => el('tr', { 'data-lease': String(r.leaseId), 'data-status': r.status },
            el('td', { 'data-label': 'Unit' }, el('a', { href: `/leases.html?id=${encodeURIComponent(r.leaseId)}`, text: r.unit })),
            el('td', { 'data-label': 'Tenant', text: r.tenantName }),
            el('td', { 'data-label': 'Due', text: r.dueDate }),
            el('td', { 'data-label': 'Brought forward', class: 'num', text: balanceText(r.broughtForward) }),
            el('td', { 'data-label': 'Rent', class: 'num', text: formatKES(r.due) }),
            el('td', { 'data-label': 'Paid', class: 'num roll-paid', text: formatKES(r.paid) }),
            el('td', { 'data-label': 'Balance', class: 'num roll-balance', text: balanceText(r.balance) }),
            el('td', { 'data-label': 'Status', class: 'roll-status' },
                el('span', { class: `badge ${kStatusBadge[r.status]}`, text: kStatusText[r.status] }),
                r.late ? el('span', { class: 'badge badge-bad roll-late', text: 'Late' }) : null),
            el('td', { 'data-label': 'Last payment', text: r.lastPayment
                ? `${formatKES(r.lastPayment.amount)} · ${kSourceText[r.lastPayment.source] || r.lastPayment.source} · ${formatDateTime(r.lastPayment.paidAt)}`
                : '—' }))))));
}

let loads = 0;

async function load() {
    const errorBox = document.getElementById('filter-error');
    errorBox.hidden = true;
    const mine = ++loads;  // a slower earlier answer must not overwrite a later one
    try {
        const roll = await api('/api/v1/rent-roll', { query: filterValues() });
        if (mine !== loads) return;
        renderTotals(roll);
        renderRows(roll);
        const url = new URL(location.href);
        url.search = new URLSearchParams(filterValues()).toString();
        history.replaceState(null, '', url);
    } catch (err) {
        errorBox.textContent = errorText(err);
        errorBox.hidden = false;
    }
}

/** The current month in Nairobi (UTC+3), as the month input wants it. */
function nairobiMonth() {
    return new Date(Date.now() + 3 * 3600 * 1000).toISOString().slice(0, 7);
}

async function main() {
    const { user } = await initPage();
    const form = document.getElementById('roll-filter');
    if (!canWrite(user)) {
        document.getElementById('roll-rows').replaceChildren(
            el('p', { class: 'notice notice-error', role: 'alert', text: 'Only admins and managers may read the rent roll.' }));
        form.hidden = true;
        return;
    }
    const params = new URLSearchParams(location.search);
    form.elements.month.value = params.get('month') || nairobiMonth();
    for (const name of ['status', 'late', 'q']) if (params.get(name)) form.elements[name].value = params.get(name);
    form.addEventListener('submit', (event) => {
        event.preventDefault();
        load();
    });
    for (const name of ['month', 'status', 'late']) form.elements[name].addEventListener('change', () => load());
    document.getElementById('export-csv').addEventListener('click', async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
            const values = filterValues();
            await apiDownload('/api/v1/rent-roll', {
                query: { ...values, format: 'csv' }, filename: `rent-roll-${values.month || nairobiMonth()}.csv`, accept: 'text/csv',
            });
            showMessage('Rent roll downloaded.', 'ok');
        } catch (err) {
            showMessage(`Download failed: ${errorText(err)}`, 'error');
        } finally {
            button.disabled = false;
        }
    });
    await load();
}

main();
