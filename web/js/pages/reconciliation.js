// Reconciliation: import the M-Pesa statement, list the imports, read a report and act on its findings.
import { ApiError, api, apiDownload, renewSession } from '../api.js';
import { el, formatDateTime, formatKES } from '../format.js';
import { canWrite, errorText, initPage, showMessage } from '../nav.js';

const kKindLabels = {
    missing_in_ours: 'Missing in our records',
    missing_in_statement: 'Missing on the statement',
    amount_mismatch: 'Amount differs',
    status_mismatch: 'Outcome differs',
    settled_review: 'Settled from review',
};

const form = document.getElementById('upload-form');
const fileInput = document.getElementById('statement-file');
const uploadButton = document.getElementById('upload');
const importsBox = document.getElementById('imports');
const report = document.getElementById('report');
const reportTitle = document.getElementById('report-title');
const reportSummary = document.getElementById('report-summary');
const findingsBox = document.getElementById('findings');
const kindSelect = document.getElementById('f-kind');
const more = document.getElementById('more');
const csvButton = document.getElementById('download-csv');

let user = null;
let current = null;
let nextCursor = null;
let tbody = null;

/** POST the file as multipart/form-data (api() sends JSON only); renews an expired session once. */
async function upload(file, retried = false) {
    const body = new FormData();
    body.append('file', file, file.name);
    const headers = { Accept: 'application/json' };
    const token = sessionStorage.getItem('haven.token');
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch('/api/v1/reconciliations', { method: 'POST', body, headers, credentials: 'same-origin' });
    if (response.status === 401 && !retried && await renewSession()) return upload(file, true);
    let payload = null;
    try {
        payload = await response.json();
    } catch {
        payload = null;
    }
    if (response.ok && payload && payload.success) return payload.data;
    const error = (payload && payload.error) || {};
    throw new ApiError({ status: response.status, code: error.code || `HTTP_${response.status}`,
        message: error.message || response.statusText, details: error.details || [] });
}

function summaryText(rec) {
    const rows = (rec.summary && rec.summary.rows) || {};
    const paidIn = rows.payment_in ? `${rows.payment_in.count} in (${formatKES(rows.payment_in.amount)})` : '0 in';
    const out = rows.money_out ? `, ${rows.money_out.count} out` : '';
    const charges = rows.charge ? `, ${rows.charge.count} charges` : '';
    return `${rec.rowCount} rows: ${paidIn}${out}${charges}; ${rec.findingCount} finding${rec.findingCount === 1 ? '' : 's'}`;
}

function importRow(rec) {
    const open = el('button', { type: 'button', class: 'link-button', text: rec.fileName || `Import ${rec.id}` });
    open.addEventListener('click', () => openReport(rec));
    const period = rec.periodFrom ? `${formatDateTime(rec.periodFrom)} – ${formatDateTime(rec.periodTo)}` : '—';
    return el('tr', { 'data-import-id': String(rec.id) },
        el('td', {}, open),
        el('td', { text: period }),
        el('td', { text: summaryText(rec) }),
        el('td', { text: `${rec.createdBy}, ${formatDateTime(rec.createdAt)}` }));
}

async function loadImports() {
    try {
        const page = await api('/api/v1/reconciliations');
        if (!page.items.length) {
            importsBox.replaceChildren(el('p', { class: 'empty', text: 'No statement imported yet.' }));
            return;
        }
        const head = el('thead', {}, el('tr', {}, ['File', 'Period', 'Summary', 'Imported'].map((h) => el('th', { scope: 'col', text: h }))));
        importsBox.replaceChildren(el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Imports' }), head,
            el('tbody', {}, page.items.map(importRow))));
    } catch (err) {
        showMessage(`Could not load the imports: ${errorText(err)}`, 'error');
    }
}

function recordButton(finding, row) {
    const button = el('button', { type: 'button', class: 'btn btn-secondary btn-small', text: 'Record payment' });
    button.addEventListener('click', async () => {
        button.disabled = true;
        try {
            const done = await api(`/api/v1/reconciliations/${current.id}/findings/${finding.id}/record`, { method: 'POST' });
            row.replaceWith(findingRow(done.finding));
            showMessage(done.leaseId ? `Receipt ${finding.receipt} recorded on lease ${done.leaseId}.`
                : `Receipt ${finding.receipt} recorded; no lease has account ${finding.statement.accountNo}: it waits to be matched.`, 'ok');
        } catch (err) {
            showMessage(`Could not record ${finding.receipt}: ${errorText(err)}`, 'error');
            button.disabled = false;
        }
    });
    return button;
}

function findingRow(f) {
    const row = el('tr', { 'data-finding-id': String(f.id), 'data-kind': f.kind });
    const s = f.statement;
    const amount = s ? (s.paidIn || s.withdrawn) : null;
    let action;
    if (f.resolution) {
        action = el('span', { text: `${f.resolution} (${f.resolvedBy || ''})` });
    } else if (f.kind === 'missing_in_ours' && s && s.kind === 'payment_in' && canWrite(user)) {
        action = recordButton(f, row);
    } else {
        action = el('span', { class: 'muted', text: 'Open' });
    }
    row.append(
        el('td', { text: kKindLabels[f.kind] || f.kind }),
        el('td', { class: 'mono', text: f.receipt }),
        el('td', { text: s ? `line ${f.line}, ${formatDateTime(s.completionTime)}` : '—' }),
        el('td', { text: amount !== null ? formatKES(amount) : '—' }),
        el('td', { class: 'finding-detail', text: f.detail }),
        el('td', {}, action));
    return row;
}

async function loadFindings(reset) {
    if (reset) {
        nextCursor = null;
        tbody = null;
        findingsBox.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    }
    try {
        const page = await api(`/api/v1/reconciliations/${current.id}`,
            { query: { kind: kindSelect.value, cursor: reset ? null : nextCursor, limit: 100 } });
        nextCursor = page.nextCursor || null;
        if (!tbody) {
            if (!page.findings.length) {
                findingsBox.replaceChildren(el('p', { class: 'empty', text: 'Nothing to report: the statement and our records agree.' }));
            } else {
                tbody = el('tbody');
                const head = el('thead', {}, el('tr', {}, ['Finding', 'Receipt', 'Statement', 'Amount', 'Detail', 'Action'].map((h) => el('th', { scope: 'col', text: h }))));
                findingsBox.replaceChildren(el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Findings' }), head, tbody));
            }
        }
        for (const f of page.findings) tbody.append(findingRow(f));
        more.hidden = !nextCursor;
    } catch (err) {
        showMessage(`Could not load the report: ${errorText(err)}`, 'error');
    }
}

function openReport(rec) {
    current = rec;
    report.hidden = false;
    reportTitle.textContent = `Report: ${rec.fileName || `import ${rec.id}`}`;
    reportSummary.textContent = summaryText(rec);
    loadFindings(true);
    report.scrollIntoView({ block: 'start' });
}

async function main() {
    ({ user } = await initPage());
    if (!canWrite(user)) document.getElementById('upload-card').hidden = true;
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const file = fileInput.files && fileInput.files[0];
        if (!file) {
            fileInput.setAttribute('aria-invalid', 'true');
            fileInput.focus();
            return;
        }
        uploadButton.disabled = true;
        showMessage(`Importing ${file.name}…`);
        try {
            const done = await upload(file);
            showMessage(done.created ? `Imported ${file.name}: ${summaryText(done.reconciliation)}.`
                : `${file.name} was imported before; nothing changed.`, 'ok');
            form.reset();
            await loadImports();
            openReport(done.reconciliation);
        } catch (err) {
            showMessage(`Could not import ${file.name}: ${errorText(err)}`, 'error');
        } finally {
            uploadButton.disabled = false;
        }
    });
    kindSelect.addEventListener('change', () => loadFindings(true));
    more.addEventListener('click', () => loadFindings(false));
    csvButton.addEventListener('click', async () => {
        try {
            await apiDownload(`/api/v1/reconciliations/${current.id}/report.csv`,
                { query: { kind: kindSelect.value }, filename: `reconciliation-${current.id}.csv`, accept: 'text/csv' });
        } catch (err) {
            showMessage(`Could not download the report: ${errorText(err)}`, 'error');
        }
    });
    await loadImports();
}

main();
