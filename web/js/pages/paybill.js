// Paybill (C2B): the URLs M-Pesa is given for paybill payments, the last registration, and the C2B settings.
// Everyone signed in sees them; only admins change the settings or register (the API enforces the same).
import { api } from '../api.js';
import { formatDateTime } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const $ = (id) => document.getElementById(id);
const register = $('p-register');
const form = $('c2b-form');
const save = $('c-save');

function text(id, value) {
    $(id).textContent = value === null || value === undefined || value === '' ? '—' : String(value);
}

function show(s) {
    text('p-shortcode', s.shortcode);
    text('p-confirmation', s.confirmationUrl);
    text('p-validation', s.validationUrl);
    const forbidden = $('p-forbidden');
    forbidden.hidden = !s.forbiddenWord;
    forbidden.textContent = s.forbiddenWord
        ? `M-Pesa refuses URLs containing "${s.forbiddenWord}": set PUBLIC_BASE_URL to an address without it.`
        : '';
    register.disabled = Boolean(s.forbiddenWord);
    $('c-version').value = String(s.version);
    $('c-response').value = s.responseType;
    $('c-validation').checked = s.validation;
    $('c-reject').checked = s.rejectUnknown;
    const last = s.lastRegistration;
    $('p-never').hidden = Boolean(last);
    $('p-last').hidden = !last;
    if (last) {
        text('p-last-at', formatDateTime(last.registeredAt));
        text('p-last-shortcode', last.shortcode);
        text('p-last-version', last.version ? `v${last.version}` : null);
        text('p-last-type', last.responseType);
        text('p-last-confirmation', last.confirmationUrl);
        text('p-last-validation', last.validationUrl);
    }
}

async function reload() {
    show(await api('/api/v1/c2b/settings'));
}

async function main() {
    const { user } = await initPage();
    const admin = Boolean(user) && user.role === 'admin';
    for (const node of document.querySelectorAll('.admin-only')) node.hidden = !admin;
    for (const input of form.querySelectorAll('select, input')) input.disabled = !admin;
    try {
        await reload();
    } catch (err) {
        showMessage(`Could not load the paybill settings: ${errorText(err)}`, 'error');
        return;
    }
    if (!admin) return;
    register.addEventListener('click', async () => {
        register.disabled = true;
        showMessage('Registering with M-Pesa…', 'info');
        try {
            const r = await api('/api/v1/c2b/register', { method: 'POST' });
            showMessage(`Registered with M-Pesa (${r.responseDescription || 'accepted'}).`, 'ok');
        } catch (err) {
            showMessage(`M-Pesa did not register the URLs: ${errorText(err)}`, 'error');
        } finally {
            try {
                await reload();
            } catch {
                register.disabled = false;
            }
        }
    });
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        save.disabled = true;
        try {
            show(await api('/api/v1/c2b/settings', {
                method: 'PATCH',
                body: {
                    version: Number($('c-version').value),
                    responseType: $('c-response').value,
                    validation: $('c-validation').checked,
                    rejectUnknown: $('c-reject').checked,
                },
            }));
            showMessage('Settings saved. Register again if you changed the version or the response type.', 'ok');
        } catch (err) {
            showMessage(`Could not save: ${errorText(err)}`, 'error');
        } finally {
            save.disabled = false;
        }
    });
}

main();
