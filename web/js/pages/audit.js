// The audit log page (admins): filters, a table paged by cursor ("Load more") and a CSV export of what the filter
// shows. The export is fetched with the bearer token and saved as a Blob (the token is not a cookie).
import { api, apiDownload } from '../api.js';
import { el, formatDateTime } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

let cursor = null;

function filterValues() {
    const form = document.getElementById('audit-filter');
    const values = {};
    for (const name of ['actor', 'action', 'target', 'outcome', 'from', 'to']) {
        const v = form.elements[name].value.trim();
        if (v) values[name] = v;
    }
    return values;
}

/** "monthlyRent: 15000 → 16500; unit: B4 → C2" from {before, after}. */
function describeDetail(detail) {
    if (!detail || typeof detail !== 'object') return '';
    if (!detail.before || !detail.after) return JSON.stringify(detail);
    const fields = Object.keys({ ...detail.before, ...detail.after });
    const show = (v) => (v === null || v === undefined ? '—' : String(v));
    return fields.map((f) => `${f}: ${show(detail.before[f])} → ${show(detail.after[f])}`).join('; ');
}

function rows(items) {
    return items.map((e) => el('tr', { 'data-id': String(e.id) },
        el('td', { 'data-label': 'When', text: formatDateTime(e.at) }),
        el('td', { 'data-label': 'Actor', text: e.actor }),
        el('td', { 'data-label': 'Action', class: 'audit-action', text: e.action }),
        el('td', { 'data-label': 'Target', text: e.target }),
        el('td', { 'data-label': 'Outcome', class: 'audit-outcome', text: e.outcome }),
        el('td', { 'data-label': 'Change', class: 'audit-detail', text: describeDetail(e.detail) }),
        el('td', { 'data-label': 'Request', class: 'muted', text: e.requestId })));
}

function table() {
    return el('table', { class: 'data stack audit-table' },
        el('caption', { class: 'visually-hidden', text: 'Audit entries' }),
        el('thead', {}, el('tr', {}, ['When', 'Actor', 'Action', 'Target', 'Outcome', 'Change', 'Request'].map((h) =>
            el('th', { scope: 'col', text: h })))),
        el('tbody'));
}

async function load(append) {
    const box = document.getElementById('audit-entries');
    const more = document.getElementById('more');
    const errorBox = document.getElementById('filter-error');
    errorBox.hidden = true;
    try {
        const page = await api('/api/v1/audit', { query: { ...filterValues(), limit: 50, cursor: append ? cursor : null } });
        cursor = page.nextCursor;
        more.hidden = !cursor;
        if (!append) {
            if (!page.items.length) {
                box.replaceChildren(el('p', { class: 'empty', text: 'No entries match.' }));
                return;
            }
            box.replaceChildren(table());
        }
        box.querySelector('tbody').append(...rows(page.items));
    } catch (err) {
        errorBox.textContent = errorText(err);
        errorBox.hidden = false;
    }
}

async function main() {
    const { user } = await initPage();
    if (!user || user.role !== 'admin') {
        document.getElementById('audit-entries').replaceChildren(
            el('p', { class: 'notice notice-error', role: 'alert', text: 'Only an agency admin may read the audit log.' }));
        document.getElementById('audit-filter').hidden = true;
        return;
    }
    document.getElementById('audit-filter').addEventListener('submit', (event) => {
        event.preventDefault();
        load(false);
    });
    document.getElementById('more').addEventListener('click', () => load(true));
    document.getElementById('export-csv').addEventListener('click', async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
            await apiDownload('/api/v1/audit', {
                query: { ...filterValues(), format: 'csv' }, filename: 'audit-log.csv', accept: 'text/csv',
            });
            showMessage('Audit log exported.', 'ok');
        } catch (err) {
            showMessage(`Export failed: ${errorText(err)}`, 'error');
        } finally {
            button.disabled = false;
        }
    });
    await load(false);
}

main();
