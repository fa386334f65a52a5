// Privacy (admins): what the agency holds about one phone number, its export as a JSON file, and its erasure with
// the number typed again as confirmation. The gateway audits both (privacy.export, privacy.erase).
import { api } from '../api.js';
import { el, formatKES, normalizePhone, phoneError } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const phoneInput = document.getElementById('p-phone');
const held = document.getElementById('held');
const download = document.getElementById('download');
const eraseCard = document.getElementById('erase-card');
const reasonInput = document.getElementById('p-reason');
const confirmInput = document.getElementById('p-confirm');

let current = null;  // the last export: {phoneNumber, generatedAt, leases, ...}

function summary(data) {
    const total = (items) => items.reduce((sum, t) => sum + (t.status === 'SUCCESS' ? t.amount : 0), 0);
    const rows = [
        ['Leases', data.leases.length, data.leases.map((l) => `${l.tenantName} (${l.unit})`).join(', ')],
        ['Payments by STK push', data.transactions.length, `${formatKES(total(data.transactions))} received`],
        ['Payouts and reversals', data.transfers.length, `${formatKES(total(data.transfers))} sent`],
        ['Review items', data.reviewItems.length, ''],
    ];
    const body = el('tbody', {}, ...rows.map(([what, count, detail]) =>
        el('tr', {}, el('th', { scope: 'row', text: what }), el('td', { class: 'num', text: String(count) }), el('td', { text: detail }))));
    return el('table', { class: 'data', id: 'held-table' },
        el('caption', { text: `Held about ${data.phoneNumber}` }),
        el('thead', {}, el('tr', {}, ['Record', 'Count', 'Detail'].map((h) => el('th', { scope: 'col', text: h })))),
        body);
}

async function lookUp(event) {
    event.preventDefault();
    const problem = phoneError(phoneInput.value);
    if (problem) {
        phoneInput.setAttribute('aria-invalid', 'true');
        showMessage(problem, 'error');
        phoneInput.focus();
        return;
    }
    phoneInput.removeAttribute('aria-invalid');
    try {
        current = await api('/api/v1/privacy/export', { query: { phone: normalizePhone(phoneInput.value) } });
        held.replaceChildren(summary(current));
        const nothing = !current.leases.length && !current.transactions.length && !current.transfers.length;
        if (nothing) held.append(el('p', { class: 'empty', text: 'Nothing is held about this number.' }));
        download.hidden = false;
        eraseCard.hidden = nothing;
        showMessage('');
    } catch (err) {
        showMessage(`Could not look up the number: ${errorText(err)}`, 'error');
    }
}

function downloadExport() {
    if (!current) return;
    const blob = new Blob([JSON.stringify(current, null, 2)], { type: 'application/json' });
    const link = el('a', { href: URL.createObjectURL(blob), download: `personal-data-${current.phoneNumber}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function erase(event) {
    event.preventDefault();
    if (!current) return;
    const reason = reasonInput.value.trim();
    if (!reason) {
        reasonInput.setAttribute('aria-invalid', 'true');
        reasonInput.focus();
        return;
    }
    if (normalizePhone(confirmInput.value) !== current.phoneNumber) {
        confirmInput.setAttribute('aria-invalid', 'true');
        showMessage('Type the same phone number again to confirm the erasure.', 'error');
        confirmInput.focus();
        return;
    }
    const button = document.getElementById('erase');
    button.disabled = true;
    try {
        const done = await api('/api/v1/privacy/erase', {
            method: 'POST',
            body: { phone: current.phoneNumber, reason, confirm: confirmInput.value },
        });
        const c = done.counts;
        showMessage(`Erased: the number now reads ${done.placeholder} (${c.leases} lease(s), ${c.transactions} payment(s), `
            + `${c.transfers} payout(s), ${c.inboundBodies} M-Pesa message(s)). Amounts and receipts are kept.`, 'ok');
        current = null;
        held.replaceChildren();
        download.hidden = true;
        eraseCard.hidden = true;
        reasonInput.value = '';
        confirmInput.value = '';
    } catch (err) {
        showMessage(`Not erased: ${errorText(err)}`, 'error');
    } finally {
        button.disabled = false;
    }
}

async function main() {
    const { user } = await initPage();
    if (!user || user.role !== 'admin') {
        document.getElementById('admin-only').hidden = false;
        return;
    }
    document.getElementById('admin-tools').hidden = false;
    document.getElementById('lookup-form').addEventListener('submit', lookUp);
    download.addEventListener('click', downloadExport);
    document.getElementById('erase-form').addEventListener('submit', erase);
}

main();
