// Users page (admins): the agency's users with role changes, disable/enable and forced resets; invites with a
// one-time link shown once (copy button); pending links, which can be revoked.
import { api } from '../api.js';
import { el, formatDateTime } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const kRoles = ['admin', 'manager', 'viewer'];
let me = null;

function showLink(answer, hint) {
    const card = document.getElementById('link-card');
    document.getElementById('one-time-link').value = new URL(answer.link, location.origin).href;
    document.getElementById('link-hint').textContent = hint;
    card.hidden = false;
    document.getElementById('link-title').focus();
}

async function act(promise, done) {
    try {
        const result = await promise;
        showMessage(done, 'success');
        await Promise.all([loadUsers(), loadInvites()]);
        return result;
    } catch (err) {
        showMessage(errorText(err), 'error');
        return null;
    }
}

function roleSelect(u) {
    const select = el('select', { class: 'input input-small', 'aria-label': `Role of ${u.email}`, 'data-role-of': u.email },
        kRoles.map((r) => el('option', { value: r, text: r, selected: r === u.role ? '' : null })));
    select.value = u.role;
    select.addEventListener('change', () => act(
        api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: { role: select.value } }),
        `${u.email} is now ${select.value}.`).then((r) => { if (!r) select.value = u.role; }));
    return select;
}

function actions(u) {
    const disabled = u.status === 'disabled';
    const toggle = el('button', { type: 'button', class: 'btn btn-secondary btn-small', text: disabled ? 'Enable' : 'Disable' });
    toggle.addEventListener('click', () => act(
        api(`/api/v1/users/${u.id}/${disabled ? 'enable' : 'disable'}`, { method: 'POST' }),
        `${u.email} is ${disabled ? 'enabled' : 'disabled'}.`));
    const reset = el('button', { type: 'button', class: 'btn btn-ghost btn-small', text: 'Force reset' });
    reset.addEventListener('click', async () => {
        if (!window.confirm(`Reset the password of ${u.email}? Their password and sessions stop working at once.`)) return;
        const answer = await act(api(`/api/v1/users/${u.id}/reset`, { method: 'POST' }), `Password of ${u.email} reset.`);
        if (answer) showLink(answer, `Send this link to ${u.email} to set a new password.`);
    });
    return el('div', { class: 'btn-row' }, toggle, reset);
}

async function loadUsers() {
    const box = document.getElementById('user-list');
    try {
        const { items } = await api('/api/v1/users');
        box.replaceChildren(el('table', { class: 'data stack user-table' },
            el('caption', { class: 'visually-hidden', text: 'Users' }),
            el('thead', {}, el('tr', {}, ['Email', 'Role', 'Status', 'Since', ''].map((h) => el('th', { scope: 'col', text: h })))),
            el('tbody', {}, items.map((u) => el('tr', { 'data-email': u.email },
                el('td', { 'data-label': 'Email', text: u.email + (u.id === me.id ? ' (you)' : '') }),
                el('td', { 'data-label': 'Role' }, roleSelect(u)),
                el('td', { 'data-label': 'Status', class: 'user-status',
                    text: u.status === 'disabled' ? 'Disabled' : (u.passwordSet ? 'Active' : 'Waiting for a new password') }),
                el('td', { 'data-label': 'Since', text: formatDateTime(u.createdAt) }),
                el('td', { 'data-label': 'Actions' }, actions(u)))))));
    } catch (err) {
        box.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert', text: errorText(err) }));
    }
}

async function loadInvites() {
    const box = document.getElementById('invite-list');
    try {
        const { items } = await api('/api/v1/users/invites');
        if (!items.length) {
            box.replaceChildren(el('p', { class: 'empty', text: 'No pending links.' }));
            return;
        }
        box.replaceChildren(el('table', { class: 'data stack' },
            el('caption', { class: 'visually-hidden', text: 'Pending links' }),
            el('thead', {}, el('tr', {}, ['Email', 'For', 'Expires', ''].map((h) => el('th', { scope: 'col', text: h })))),
            el('tbody', {}, items.map((i) => {
                const revoke = el('button', { type: 'button', class: 'btn btn-ghost btn-small', text: 'Revoke' });
                revoke.addEventListener('click', () => act(api(`/api/v1/users/invites/${i.id}`, { method: 'DELETE' }),
                    `The link for ${i.email} no longer works.`));
                return el('tr', {},
                    el('td', { 'data-label': 'Email', text: i.email }),
                    el('td', { 'data-label': 'For', text: i.purpose === 'reset' ? 'password reset' : `invite as ${i.role}` }),
                    el('td', { 'data-label': 'Expires', text: formatDateTime(i.expiresAt) }),
                    el('td', {}, revoke));
            }))));
    } catch (err) {
        box.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert', text: errorText(err) }));
    }
}

function setupInvite() {
    const form = document.getElementById('invite-form');
    const errorBox = document.getElementById('invite-error');
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        errorBox.hidden = true;
        const email = form.elements.email.value.trim();
        const role = form.elements.role.value;
        try {
            const answer = await api('/api/v1/users/invites', { method: 'POST', body: { email, role } });
            form.reset();
            showLink(answer, `Send this link to ${email}; they set a password and join as ${role}.`);
            await loadInvites();
        } catch (err) {
            errorBox.textContent = errorText(err);
            errorBox.hidden = false;
        }
    });
    document.getElementById('copy-one-time-link').addEventListener('click', async () => {
        const input = document.getElementById('one-time-link');
        try {
            await navigator.clipboard.writeText(input.value);
            showMessage('Link copied.', 'success');
        } catch {
            input.select();
            showMessage('Select the link and copy it.', 'info');
        }
    });
}

async function main() {
    const { user } = await initPage();
    me = user;
    if (!user || user.role !== 'admin') {
        document.querySelector('.grid').hidden = true;
        showMessage('Only an agency admin manages users.', 'error');
        return;
    }
    setupInvite();
    await Promise.all([loadUsers(), loadInvites()]);
}

main();
