// Tenant payment page: /pay.html?t=<signed token>. No login.
import { api } from '../api.js';
import { el, formatKES } from '../format.js';
import '../../components/mpesa-payment.js';

const token = new URLSearchParams(location.search).get('t') || '';
const loadingBox = document.getElementById('pay-loading');
const errorBox = document.getElementById('pay-error');

function fail(message) {
    loadingBox.hidden = true;
    errorBox.textContent = message;
    errorBox.hidden = false;
}

async function main() {
    if (!token) {
        fail('This payment link is incomplete. Ask your agency to send it again.');
        return;
    }
    let info;
    try {
        info = await api(`/api/v1/pay/${encodeURIComponent(token)}`, { auth: false });
    } catch (err) {
        if (err.status === 409) {
            fail('This lease has ended, so this link no longer takes payments. Ask your agency if you still owe rent.');
        } else {
            fail(err.status === 404 || err.status === 401 || err.status === 403
                ? 'This payment link is not valid any more. Ask your agency for a new one.'
                : `We could not load your payment details: ${err.message}`);
        }
        return;
    }
    loadingBox.hidden = true;
    document.getElementById('agency').textContent = info.agencyName || '';
    document.getElementById('pay-title').textContent = `Pay rent for ${info.unit}`;
    document.title = `Pay rent for ${info.unit} · ${info.agencyName || 'Haven M-Pesa'}`;
    document.getElementById('pay-fields').replaceChildren(
        el('dt', { text: 'Tenant' }), el('dd', { text: info.tenantName }),
        el('dt', { text: 'Unit' }), el('dd', { text: info.unit }),
        el('dt', { text: 'Account' }), el('dd', { text: info.accountReference }));
    document.getElementById('pay-due').textContent = `${formatKES(info.amountDue)} due`;
    const payment = el('mpesa-payment', {
        'pay-token': token,
        amount: String(info.amountDue),
        'amount-editable': true,
        'account-reference': info.accountReference,
        'phone-hint': info.phoneHint,
    });
    document.getElementById('pay-slot').replaceChildren(payment);
    document.getElementById('pay-card').hidden = false;
}

main();
