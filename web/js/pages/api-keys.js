// API keys (admins): create one (shown once, with a copy button), list them with their last use, revoke.
import { api } from '../api.js';
import { copyShownOnce } from '../copy.js';
import { el, formatDateTime } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const form = document.getElementById('create-form');
const nameInput = document.getElementById('k-name');
const roleSelect = document.getElementById('k-role');
const createButton = document.getElementById('create');
const newKeyBox = document.getElementById('new-key');
const newKeyValue = document.getElementById('new-key-value');
const list = document.getElementById('keys');

function keyRow(key) {
    const row = el('tr', { 'data-key-id': String(key.id) });
    let action;
    if (key.revokedAt) {
        action = el('span', { class: 'muted', text: `Revoked ${formatDateTime(key.revokedAt)}` });
    } else {
        action = el('button', { type: 'button', class: 'btn btn-secondary btn-small', text: 'Revoke',
            'aria-label': `Revoke key ${key.name}` });
        action.addEventListener('click', async () => {
            if (!window.confirm(`Revoke the key "${key.name}"? Calls with it stop working at once.`)) return;
            action.disabled = true;
            try {
                const revoked = await api(`/api/v1/api-keys/${key.id}`, { method: 'DELETE' });
                row.replaceWith(keyRow(revoked));
                showMessage(`Key "${key.name}" revoked.`, 'ok');
            } catch (err) {
                showMessage(`Could not revoke "${key.name}": ${errorText(err)}`, 'error');
                action.disabled = false;
            }
        });
    }
    row.append(
        el('td', { text: key.name }),
        el('td', { text: key.role }),
        el('td', {}, el('code', { text: `${key.prefix}…` })),
        el('td', { text: `${formatDateTime(key.createdAt)} by ${key.createdBy}` }),
        el('td', { text: key.lastUsedAt ? formatDateTime(key.lastUsedAt) : 'Never' }),
        el('td', {}, action));
    return row;
}

async function load() {
    try {
        const { items } = await api('/api/v1/api-keys');
        if (!items.length) {
            list.replaceChildren(el('p', { class: 'empty', text: 'No keys yet.' }));
            return;
        }
        const head = el('thead', {}, el('tr', {}, ['Name', 'Role', 'Key', 'Created', 'Last used', '']
            .map((h) => el('th', { scope: 'col', text: h }))));
        list.replaceChildren(el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'API keys' }),
            head, el('tbody', {}, ...items.map(keyRow))));
    } catch (err) {
        showMessage(`Could not load the keys: ${errorText(err)}`, 'error');
    }
}

function wire() {
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const name = nameInput.value.trim();
        if (!name) {
            nameInput.setAttribute('aria-invalid', 'true');
            nameInput.focus();
            return;
        }
        nameInput.removeAttribute('aria-invalid');
        createButton.disabled = true;
        try {
            const made = await api('/api/v1/api-keys', { method: 'POST', body: { name, role: roleSelect.value } });
            newKeyValue.textContent = made.key;
            newKeyBox.hidden = false;
            form.reset();
            showMessage(`Key "${made.name}" created.`, 'ok');
            await load();
        } catch (err) {
            showMessage(`Could not create the key: ${errorText(err)}`, 'error');
        } finally {
            createButton.disabled = false;
        }
    });
    document.getElementById('copy-key').addEventListener('click', () => copyShownOnce(newKeyValue, 'Key'));
    // Once hidden, the key is gone from the page for good.
    document.getElementById('hide-key').addEventListener('click', () => {
        newKeyValue.textContent = '';
        newKeyBox.hidden = true;
    });
}

async function main() {
    const { user } = await initPage();
    if (!user || user.role !== 'admin') {
        document.getElementById('admin-only').hidden = false;
        return;
    }
    document.getElementById('admin-tools').hidden = false;
    wire();
    await load();
}

main();
