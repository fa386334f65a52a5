// The agency's own M-Pesa account (admins), a section of the Settings page: paybill or till, the Daraja app's keys,
// the passkey and the initiator. Secrets are write-only: the API says whether each is set, never what it is.
import { api } from '../api.js';
import { errorText } from '../nav.js';

const card = document.getElementById('mpesa-card');
const form = document.getElementById('mpesa-form');
const state = document.getElementById('m-state');
const message = document.getElementById('m-message');
const save = document.getElementById('m-save');
const remove = document.getElementById('m-remove');
const field = (id) => document.getElementById(id);
const secrets = [
    ['m-key', 'consumerKey'], ['m-secret', 'consumerSecret'], ['m-passkey', 'passkey'], ['m-isecret', 'initiatorSecret'],
];

function say(text, kind) {
    message.className = `notice notice-${kind}`;
    message.textContent = text;
    message.hidden = !text;
}

function secretText(s) {
    if (!s || !s.set) return 'Not set.';
    return s.last4 ? `Set (ends in ${s.last4}).` : 'Set.';
}

function show(a) {
    state.textContent = a.own
        ? `This agency collects into its own paybill ${a.shortcode}.`
        : `This agency uses the gateway's default account (paybill ${a.shortcode}).`
          + (a.canStore ? '' : ' An own account needs MASTER_KEY on the gateway.');
    field('m-shortcode').value = a.own ? a.shortcode : '';
    field('m-type').value = a.transactionType || 'CustomerPayBillOnline';
    field('m-till').value = a.tillNumber || '';
    field('m-b2c').value = a.b2cShortcode || '';
    field('m-initiator').value = a.initiatorName || '';
    field('m-kind').value = a.initiatorSecretKind || 'password';
    for (const [id, name] of secrets) {
        field(id).value = '';
        field(`${id}-state`).textContent = a.own ? secretText(a[name]) : '';
    }
    remove.hidden = !a.own;
    save.disabled = !a.canStore;
}

async function main() {
    let account;
    try {
        account = await api('/api/v1/agency/mpesa-account');
    } catch {
        return;  // not an admin (403) or not signed in: the section stays hidden
    }
    card.hidden = false;
    show(account);
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        save.disabled = true;
        const body = {
            shortcode: field('m-shortcode').value.trim(), transactionType: field('m-type').value,
            tillNumber: field('m-till').value.trim() || null, b2cShortcode: field('m-b2c').value.trim() || null,
            initiatorName: field('m-initiator').value.trim() || null, initiatorSecretKind: field('m-kind').value,
        };
        for (const [id, name] of secrets) {
            const value = field(id).value;
            if (value !== '') body[name] = value;
        }
        try {
            show(await api('/api/v1/agency/mpesa-account', { method: 'PUT', body }));
            say('M-Pesa account saved.', 'ok');
        } catch (err) {
            say(`Could not save: ${errorText(err)}`, 'error');
            save.disabled = false;
        }
    });
    remove.addEventListener('click', async () => {
        try {
            show(await api('/api/v1/agency/mpesa-account', { method: 'DELETE' }));
            say('This agency now uses the default account.', 'ok');
        } catch (err) {
            say(`Could not change: ${errorText(err)}`, 'error');
        }
    });
}

main();
