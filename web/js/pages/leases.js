import { api, ApiError } from '../api.js';
import { displayPhone, el, formatDateTime, formatKES, formatPhoneAsTyped, normalizePhone, phoneError } from '../format.js';
import { canWrite, errorText, initPage, showMessage } from '../nav.js';
import '../../components/mpesa-payment.js';

let user = null;

function leaseTable(leases) {
    return el('table', { class: 'data stack lease-table' },
        el('caption', { class: 'visually-hidden', text: 'Leases' }),
        el('thead', {}, el('tr', {}, ['Unit', 'Tenant', 'Phone', 'Rent', 'Paid', 'Status'].map((h, i) =>
            el('th', { scope: 'col', class: i >= 3 && i <= 4 ? 'num' : null, text: h })))),
        el('tbody', {}, leases.map((l) => el('tr', { 'data-id': String(l.id) },
            el('td', { 'data-label': 'Unit' }, el('a', { href: `/leases.html?id=${encodeURIComponent(l.id)}`, class: 'lease-link', text: l.unit })),
            el('td', { 'data-label': 'Tenant', text: l.tenantName }),
            el('td', { 'data-label': 'Phone', text: displayPhone(l.phoneNumber) }),
            el('td', { 'data-label': 'Rent', class: 'num', text: formatKES(l.monthlyRent) }),
            el('td', { 'data-label': 'Paid', class: 'num', text: formatKES(l.totalPaid ?? 0) }),
            el('td', { 'data-label': 'Status', class: 'lease-status', text: l.status === 'ended' ? `Ended ${l.endDate || ''}` : 'Active' })))));
}

async function loadList() {
    const box = document.getElementById('lease-list');
    try {
        const status = document.getElementById('lease-status').value;
        const leases = await api('/api/v1/leases', { query: { status: status === 'all' ? null : status } });
        box.replaceChildren(leases && leases.length ? leaseTable(leases)
            : el('p', { class: 'empty', text: canWrite(user) ? 'No leases yet. Create the first one.' : 'No leases yet.' }));
    } catch (err) {
        box.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert', text: errorText(err) }));
    }
}

function setupCreate() {
    const card = document.getElementById('create-card');
    if (!canWrite(user)) return;
    card.hidden = false;
    const form = document.getElementById('create-form');
    const phone = form.elements.phoneNumber;
    phone.addEventListener('input', () => {
        if (phone.selectionStart === phone.value.length) phone.value = formatPhoneAsTyped(phone.value);
    });
    const errorFor = (name) => document.getElementById({
        tenantName: 'l-tenant-error', phoneNumber: 'l-phone-error', unit: 'l-unit-error', monthlyRent: 'l-rent-error', accountReference: 'l-ref-error',
        dueDay: 'l-due-error', startDate: 'l-start-error', email: 'l-email-error',
    }[name]);
    const setError = (name, message) => {
        const box = errorFor(name);
        box.textContent = message || '';
        box.hidden = !message;
        if (message) form.elements[name].setAttribute('aria-invalid', 'true');
        else form.elements[name].removeAttribute('aria-invalid');
    };
    form.elements.unit.addEventListener('input', () => {
        const ref = form.elements.accountReference;
        if (!ref.dataset.touched) ref.value = form.elements.unit.value.replace(/[^A-Za-z0-9-]/g, '').slice(0, 12);
    });
    form.elements.accountReference.addEventListener('input', (e) => { e.target.dataset.touched = '1'; });
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const errorBox = document.getElementById('create-error');
        errorBox.hidden = true;
        const values = {
            tenantName: form.elements.tenantName.value.trim(),
            phoneNumber: normalizePhone(phone.value),
            unit: form.elements.unit.value.trim(),
            monthlyRent: Number(form.elements.monthlyRent.value),
            accountReference: form.elements.accountReference.value.trim(),
            dueDay: Number(form.elements.dueDay.value || 5),
        };
        if (form.elements.startDate.value) values.startDate = form.elements.startDate.value;
        const email = form.elements.email.value.trim();
        if (email) values.email = email;
        setError('email', !email || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) ? '' : 'Enter an email like name@example.com, or leave it empty.');
        setError('dueDay', Number.isInteger(values.dueDay) && values.dueDay >= 1 && values.dueDay <= 31 ? '' : 'Enter a day from 1 to 31.');
        setError('tenantName', values.tenantName ? '' : 'Enter the tenant’s name.');
        setError('phoneNumber', phoneError(phone.value));
        setError('unit', values.unit ? '' : 'Enter the unit.');
        setError('monthlyRent', Number.isInteger(values.monthlyRent) && values.monthlyRent > 0 ? '' : 'Enter the rent in whole shillings.');
        setError('accountReference', values.accountReference && values.accountReference.length <= 12 ? '' : 'Enter up to 12 characters.');
        const bad = form.querySelector('[aria-invalid="true"]');
        if (bad) {
            bad.focus();
            return;
        }
        const submit = form.querySelector('button[type="submit"]');
        submit.disabled = true;
        try {
            const lease = await api('/api/v1/leases', { method: 'POST', body: values });
            form.reset();
            delete form.elements.accountReference.dataset.touched;
            showMessage(`Lease for ${lease.tenantName} (${lease.unit}) created.`, 'ok');
            location.assign(`/leases.html?id=${encodeURIComponent(lease.id)}`);
        } catch (err) {
            if (err instanceof ApiError) for (const d of err.details) if (d && form.elements[d.field]) setError(d.field, d.message);
            errorBox.textContent = errorText(err);
            errorBox.hidden = false;
        } finally {
            submit.disabled = false;
        }
    });
}

function paymentsTable(payments) {
    if (!payments.length) return el('p', { class: 'empty', text: 'No payments yet.' });
    return el('table', { class: 'data stack payments-table' },
        el('caption', { class: 'visually-hidden', text: 'Payments' }),
        el('thead', {}, el('tr', {}, ['Paid', 'Amount', 'Receipt', 'Phone'].map((h, i) => el('th', { scope: 'col', class: i === 1 ? 'num' : null, text: h })))),
        el('tbody', {}, payments.map((p) => el('tr', { 'data-id': String(p.id) },
            el('td', { 'data-label': 'Paid', text: formatDateTime(p.paidAt) }),
            el('td', { 'data-label': 'Amount', class: 'num', text: formatKES(p.amount) }),
            el('td', { 'data-label': 'Receipt', class: 'payment-receipt' },
                p.transactionId ? el('a', { href: `/transactions.html?id=${encodeURIComponent(p.transactionId)}`, text: p.mpesaReceiptNumber || String(p.transactionId) })
                    : (p.mpesaReceiptNumber || '—')),
            el('td', { 'data-label': 'Phone', text: displayPhone(p.phoneNumber) })))));
}

async function loadDetail(id) {
    const section = document.getElementById('lease-detail');
    section.hidden = false;
    const [lease, payments] = await Promise.all([
        api(`/api/v1/leases/${encodeURIComponent(id)}`),
        api(`/api/v1/leases/${encodeURIComponent(id)}/payments`),
    ]);
    document.getElementById('detail-title').textContent = `${lease.unit} · ${lease.tenantName}`;
    document.getElementById('detail-fields').replaceChildren(
        el('dt', { text: 'Tenant' }), el('dd', { text: lease.tenantName }),
        el('dt', { text: 'Phone' }), el('dd', { text: displayPhone(lease.phoneNumber) }),
        el('dt', { text: 'Unit' }), el('dd', { text: lease.unit }),
        el('dt', { text: 'Monthly rent' }), el('dd', { text: formatKES(lease.monthlyRent) }),
        el('dt', { text: 'Account reference' }), el('dd', { text: lease.accountReference }),
        el('dt', { text: 'Rent due' }), el('dd', { id: 'lease-due-day', text: `Day ${lease.dueDay} of each month` }),
        el('dt', { text: 'Rent starts' }), el('dd', { id: 'lease-start-date', text: lease.startDate || '—' }),
        el('dt', { text: 'Total paid' }), el('dd', { id: 'lease-total-paid', text: formatKES(lease.totalPaid ?? 0) }),
        el('dt', { text: 'Email' }), el('dd', { text: lease.email || '—' }),
        el('dt', { text: 'Status' }), el('dd', { id: 'lease-status-text', text: lease.status === 'ended'
            ? `Ended ${lease.endDate}${lease.endReason ? ` (${lease.endReason})` : ''}` : 'Active' }),
        el('dt', { text: 'Created' }), el('dd', { text: formatDateTime(lease.createdAt) }));
    await loadHistory(lease.id);
    const link = lease.paymentLink ? new URL(lease.paymentLink, location.origin).href : '';
    const linkInput = document.getElementById('pay-link');
    linkInput.value = link;
    document.getElementById('open-link').href = link || '#';
    document.getElementById('lease-payments').replaceChildren(paymentsTable(payments || []));
    return lease;
}

const kFieldNames = {
    tenantName: 'Tenant', phoneNumber: 'Phone', unit: 'Unit', monthlyRent: 'Rent', accountReference: 'Account reference',
    email: 'Email', status: 'Status', endDate: 'Last day', endReason: 'Reason', dueDay: 'Due day', startDate: 'Rent starts',
};

function describeChange(detail) {
    if (!detail || !detail.before || !detail.after) return '';
    const show = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
    return Object.keys({ ...detail.before, ...detail.after })
        .map((f) => `${kFieldNames[f] || f}: ${show(detail.before[f])} → ${show(detail.after[f])}`).join('; ');
}

async function loadHistory(id) {
    const box = document.getElementById('lease-history');
    try {
        const page = await api(`/api/v1/leases/${encodeURIComponent(id)}/history`, { query: { limit: 200 } });
        if (!page.items.length) {
            box.replaceChildren(el('p', { class: 'empty', text: 'No history yet.' }));
            return;
        }
        box.replaceChildren(el('table', { class: 'data stack history-table' },
            el('caption', { class: 'visually-hidden', text: 'Lease history' }),
            el('thead', {}, el('tr', {}, ['When', 'Who', 'What', 'Outcome', 'Change'].map((h) => el('th', { scope: 'col', text: h })))),
            el('tbody', {}, page.items.map((e) => el('tr', { 'data-id': String(e.id) },
                el('td', { 'data-label': 'When', text: formatDateTime(e.at) }),
                el('td', { 'data-label': 'Who', text: e.actor }),
                el('td', { 'data-label': 'What', class: 'history-action', text: e.action }),
                el('td', { 'data-label': 'Outcome', text: e.outcome }),
                el('td', { 'data-label': 'Change', class: 'history-change', text: describeChange(e.detail) }))))));
    } catch (err) {
        box.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert', text: errorText(err) }));
    }
}

/** The edit and end forms (staff): only changed fields are sent; both reload the lease and its history. */
function setupChanges(initial) {
    let lease = initial;
    const editButton = document.getElementById('edit-lease');
    const endButton = document.getElementById('end-lease');
    const editForm = document.getElementById('edit-form');
    const endForm = document.getElementById('end-form');
    editButton.hidden = false;
    endButton.hidden = lease.status === 'ended';
    const fill = () => {
        for (const name of ['tenantName', 'unit', 'monthlyRent', 'accountReference']) editForm.elements[name].value = lease[name] ?? '';
        editForm.elements.phoneNumber.value = displayPhone(lease.phoneNumber);
        editForm.elements.email.value = lease.email || '';
        editForm.elements.dueDay.value = String(lease.dueDay ?? 5);
        editForm.elements.startDate.value = lease.startDate || '';
    };
    editButton.addEventListener('click', () => {
        fill();
        editForm.hidden = false;
        endForm.hidden = true;
        editForm.elements.tenantName.focus();
    });
    document.getElementById('edit-cancel').addEventListener('click', () => { editForm.hidden = true; editButton.focus(); });
    endButton.addEventListener('click', () => {
        endForm.hidden = false;
        editForm.hidden = true;
        endForm.elements.reason.focus();
    });
    document.getElementById('end-cancel').addEventListener('click', () => { endForm.hidden = true; endButton.focus(); });
    const after = async (changed, message) => {
        lease = changed;
        showMessage(message, 'ok');
        await Promise.all([loadDetail(lease.id), loadList()]);
        endButton.hidden = lease.status === 'ended';
        if (lease.status === 'ended') document.getElementById('request-rent').hidden = true;
    };
    editForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        const errorBox = document.getElementById('edit-error');
        errorBox.hidden = true;
        const phone = normalizePhone(editForm.elements.phoneNumber.value);
        const values = {
            tenantName: editForm.elements.tenantName.value.trim(),
            phoneNumber: phone || editForm.elements.phoneNumber.value.trim(),
            unit: editForm.elements.unit.value.trim(),
            monthlyRent: Number(editForm.elements.monthlyRent.value),
            accountReference: editForm.elements.accountReference.value.trim(),
            email: editForm.elements.email.value.trim(),
            dueDay: Number(editForm.elements.dueDay.value),
        };
        if (editForm.elements.startDate.value) values.startDate = editForm.elements.startDate.value;
        const changes = {};
        for (const [k, v] of Object.entries(values)) if (v !== (lease[k] ?? '')) changes[k] = v;
        if (!Object.keys(changes).length) {
            editForm.hidden = true;
            return;
        }
        try {
            const changed = await api(`/api/v1/leases/${encodeURIComponent(lease.id)}`, { method: 'PATCH', body: changes });
            editForm.hidden = true;
            await after(changed, 'Lease saved.');
        } catch (err) {
            errorBox.textContent = errorText(err);
            errorBox.hidden = false;
        }
    });
    endForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        const errorBox = document.getElementById('end-error');
        errorBox.hidden = true;
        const body = { reason: endForm.elements.reason.value.trim() };
        if (endForm.elements.endDate.value) body.endDate = endForm.elements.endDate.value;
        try {
            const changed = await api(`/api/v1/leases/${encodeURIComponent(lease.id)}/end`, { method: 'POST', body });
            endForm.hidden = true;
            await after(changed, `Lease ended on ${changed.endDate}; it takes no new payments.`);
        } catch (err) {
            errorBox.textContent = errorText(err);
            errorBox.hidden = false;
        }
    });
}

function setupDetail(lease) {
    document.getElementById('copy-link').addEventListener('click', async (event) => {
        const input = document.getElementById('pay-link');
        try {
            await navigator.clipboard.writeText(input.value);
            event.target.textContent = 'Copied';
        } catch {
            input.select();
            event.target.textContent = 'Press Ctrl+C';
        }
    });
    const button = document.getElementById('request-rent');
    if (!canWrite(user)) return;
    setupChanges(lease);
    if (lease.status === 'ended') return;  // no new payments on an ended lease
    button.hidden = false;
    const area = document.getElementById('request-area');
    button.addEventListener('click', () => {
        area.hidden = false;
        button.hidden = true;
        const payment = el('mpesa-payment', {
            amount: String(lease.monthlyRent),
            'lease-id': String(lease.id),
            'account-reference': (lease.accountReference || 'Rent').slice(0, 12),
            'transaction-desc': 'Rent payment',
            phone: lease.phoneNumber,
        });
        const close = el('button', { type: 'button', class: 'btn btn-ghost btn-small', text: 'Close' });
        close.addEventListener('click', () => {
            area.replaceChildren();
            area.hidden = true;
            button.hidden = false;
            button.focus();
        });
        payment.addEventListener('success', async (event) => {
            showMessage(`Rent received: receipt ${event.detail.mpesaReceiptNumber || ''}.`, 'ok');
            try {
                await Promise.all([loadDetail(lease.id), loadList()]);
            } catch (err) {
                showMessage(errorText(err), 'error');
            }
        });
        area.replaceChildren(el('div', { class: 'card-head' }, el('h3', { class: 'card-title', text: 'Request rent' }), close), payment);
        const input = payment.querySelector('input');
        if (input) input.focus();
    });
}

async function main() {
    ({ user } = await initPage());
    const id = new URLSearchParams(location.search).get('id');
    setupCreate();
    document.getElementById('lease-status').addEventListener('change', () => loadList());
    const list = loadList();
    if (id) {
        try {
            const lease = await loadDetail(id);
            setupDetail(lease);
            document.getElementById('detail-title').focus();
        } catch (err) {
            showMessage(`Could not load the lease: ${errorText(err)}`, 'error');
        }
    }
    await list;
}

main();
