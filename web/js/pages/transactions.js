import { api } from '../api.js';
import { el, normalizePhone, phoneError } from '../format.js';
import { canPayOut, errorText, initPage, showMessage } from '../nav.js';
import { openTransactionDialog, transactionRow, transactionTable, transactionsToCsv } from '../tx.js';

const form = document.getElementById('filters');
const results = document.getElementById('results');
const more = document.getElementById('more');
const exportButton = document.getElementById('export');
const countBox = document.getElementById('result-count');

let user = null;
let rows = [];
let nextCursor = null;
let currentQuery = {};
let loading = false;
let tbody = null;

function readFilters() {
    const data = new FormData(form);
    const query = {};
    for (const key of ['status', 'kind', 'leaseId', 'from', 'to', 'limit']) {
        const value = String(data.get(key) || '').trim();
        if (value) query[key] = value;
    }
    const phone = String(data.get('phoneNumber') || '').trim();
    if (phone) query.phoneNumber = normalizePhone(phone) || phone;
    return query;
}

function writeFilters(params) {
    for (const key of ['status', 'kind', 'leaseId', 'from', 'to', 'limit', 'phoneNumber']) {
        const input = form.elements[key];
        if (!input || params.get(key) === null) continue;
        if (input.tagName === 'SELECT' && ![...input.options].some((o) => o.value === params.get(key))) {
            input.append(el('option', { value: params.get(key), text: params.get(key) }));
        }
        input.value = params.get(key);
    }
}

function detailActions(tx) {
    const actions = [];
    if (canPayOut(user) && tx.kind === 'stk' && tx.status === 'SUCCESS') {
        actions.push(el('a', { class: 'btn btn-secondary btn-small', href: `/payouts.html?reverse=${encodeURIComponent(tx.id)}`, text: 'Reverse…' }));
    }
    if (tx.leaseId) actions.push(el('a', { class: 'btn btn-ghost btn-small', href: `/leases.html?id=${encodeURIComponent(tx.leaseId)}`, text: 'Open lease' }));
    return actions;
}

function onView(tx) {
    const params = new URLSearchParams(location.search);
    params.set('id', tx.id);
    history.replaceState(null, '', `?${params}`);
    openTransactionDialog(tx.id, { extraActions: detailActions });
}

async function load(reset) {
    if (loading) return;
    loading = true;
    more.disabled = true;
    if (reset) {
        rows = [];
        nextCursor = null;
        tbody = null;
        results.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    }
    try {
        const page = await api('/api/v1/mpesa/transactions', { query: { ...currentQuery, cursor: reset ? null : nextCursor } });
        const items = page.items || [];
        rows = rows.concat(items);
        nextCursor = page.nextCursor || null;
        if (!tbody) {
            if (!items.length) {
                results.replaceChildren(el('p', { class: 'empty', text: 'No transactions match these filters.' }));
            } else {
                const table = transactionTable(items, { onView, caption: 'Transactions' });
                tbody = table.querySelector('tbody');
                results.replaceChildren(table);
            }
        } else {
            for (const t of items) tbody.append(transactionRow(t, onView));
        }
        countBox.textContent = `${rows.length} transaction${rows.length === 1 ? '' : 's'} shown${nextCursor ? ' (more available)' : ''}`;
        more.hidden = !nextCursor;
        exportButton.disabled = rows.length === 0;
        showMessage('');
    } catch (err) {
        showMessage(`Could not load transactions: ${errorText(err)}`, 'error');
        if (reset) results.replaceChildren();
    } finally {
        loading = false;
        more.disabled = false;
    }
}

function exportCsv() {
    const csv = transactionsToCsv(rows);
    const blob = new Blob([csv], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: `transactions-${new Date().toISOString().slice(0, 10)}.csv`, class: 'visually-hidden', text: 'download' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showMessage(`Exported ${rows.length} transaction${rows.length === 1 ? '' : 's'} to CSV.`, 'ok');
}

async function loadLeases() {
    const select = form.elements.leaseId;
    try {
        const leases = await api('/api/v1/leases');
        for (const lease of leases || []) {
            select.append(el('option', { value: String(lease.id), text: `${lease.unit} · ${lease.tenantName}` }));
        }
    } catch {
        // the lease filter stays "Any"
    }
}

async function main() {
    ({ user } = await initPage());
    const params = new URLSearchParams(location.search);
    await loadLeases();
    writeFilters(params);
    form.addEventListener('submit', (event) => {
        event.preventDefault();
        const phoneInput = form.elements.phoneNumber;
        const phoneBox = document.getElementById('f-phone-error');
        const msg = phoneInput.value.trim() ? phoneError(phoneInput.value) : '';
        phoneBox.textContent = msg;
        phoneBox.hidden = !msg;
        if (msg) {
            phoneInput.setAttribute('aria-invalid', 'true');
            phoneInput.focus();
            return;
        }
        phoneInput.removeAttribute('aria-invalid');
        currentQuery = readFilters();
        history.replaceState(null, '', `?${new URLSearchParams(currentQuery)}`);
        load(true);
    });
    form.addEventListener('reset', () => {
        setTimeout(() => {
            currentQuery = readFilters();
            history.replaceState(null, '', location.pathname);
            load(true);
        });
    });
    more.addEventListener('click', () => load(false));
    exportButton.addEventListener('click', exportCsv);
    currentQuery = readFilters();
    await load(true);
    if (params.get('id')) openTransactionDialog(params.get('id'), { extraActions: detailActions });
}

main();
