// Webhooks (admins): endpoints with their state (enabled, failing since, disabled by the gateway and why), a new
// endpoint's or a rotated secret shown once with a copy button, enable/disable, rotate, delete; each endpoint's
// messages with their attempts (time, status code, duration, what the server answered) and a resend button.
import { api } from '../api.js';
import { copyShownOnce } from '../copy.js';
import { el, formatDateTime } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const kPageSize = 25;

const form = document.getElementById('create-form');
const urlInput = document.getElementById('w-url');
const urlError = document.getElementById('w-url-error');
const descriptionInput = document.getElementById('w-description');
const typeBoxes = document.getElementById('w-type-boxes');
const createButton = document.getElementById('create');
const secretBox = document.getElementById('new-secret');
const secretTitle = document.getElementById('new-secret-title');
const secretFor = document.getElementById('new-secret-for');
const secretValue = document.getElementById('new-secret-value');
const secretPrevious = document.getElementById('new-secret-previous');
const list = document.getElementById('endpoints');
const messagesCard = document.getElementById('messages-card');
const messagesTitle = document.getElementById('messages-title');
const messagesBox = document.getElementById('messages');
const statusFilter = document.getElementById('m-status');
const olderButton = document.getElementById('older');
const dialog = document.getElementById('message-dialog');
const dialogStatus = document.getElementById('message-status');
const dialogDetail = document.getElementById('message-detail');

/** The endpoint whose messages are shown, and the cursor of the next (older) page. */
let shown = null;
let before = null;

function badge(kind, text) {
    return el('span', { class: `badge badge-${kind}`, text });
}

/** What state an endpoint is in, in words a person acts on. */
function endpointState(e) {
    if (!e.enabled) {
        return e.disabledReason
            ? el('div', {}, badge('bad', 'Disabled by the gateway'),
                el('p', { class: 'field-hint', text: `${e.disabledReason}${e.disabledAt ? ` (${formatDateTime(e.disabledAt)})` : ''}` }))
            : badge('muted', 'Disabled');
    }
    if (e.failingSince) {
        return el('div', {}, badge('wait', 'Failing'),
            el('p', { class: 'field-hint',
                text: `since ${formatDateTime(e.failingSince)} · ${e.consecutiveFailures} failure${e.consecutiveFailures === 1 ? '' : 's'} in a row` }));
    }
    return badge('ok', 'Enabled');
}

function messageBadge(status) {
    const kind = { DELIVERED: 'ok', FAILED: 'bad', PENDING: 'wait', CANCELLED: 'muted' }[status] || 'muted';
    const label = { DELIVERED: 'Delivered', FAILED: 'Failed', PENDING: 'Pending', CANCELLED: 'Cancelled' }[status] || status;
    return badge(kind, label);
}

function showSecret(title, endpoint, secret, previousUntil) {
    secretTitle.textContent = title;
    secretFor.textContent = `For ${endpoint.url}`;
    secretValue.textContent = secret;
    secretPrevious.hidden = !previousUntil;
    secretPrevious.textContent = previousUntil
        ? `Until ${formatDateTime(previousUntil)} the previous secret signs every message too, so your server can switch over without missing any.`
        : '';
    secretBox.hidden = false;
    secretBox.focus();
}

function hideSecret() {
    secretValue.textContent = '';
    secretBox.hidden = true;
}

async function toggle(endpoint, button) {
    const enable = !endpoint.enabled;
    button.disabled = true;
    try {
        await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, { method: 'PATCH', body: { enabled: enable } });
        showMessage(enable ? `${endpoint.url} enabled: messages go out again.` : `${endpoint.url} disabled: nothing is sent to it until you enable it.`, 'ok');
        await load();
    } catch (err) {
        showMessage(`Could not ${enable ? 'enable' : 'disable'} ${endpoint.url}: ${errorText(err)}`, 'error');
        button.disabled = false;
    }
}

async function rotate(endpoint, button) {
    if (!window.confirm(`Make a new signing secret for ${endpoint.url}? The current one keeps signing for a while, so your server can switch over.`)) return;
    button.disabled = true;
    try {
        const rotated = await api(`/api/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, { method: 'POST', body: {} });
        showSecret('Copy the new signing secret now: you will not see it again.', endpoint, rotated.secret, rotated.previousSecretUntil);
        showMessage(`New secret made for ${endpoint.url}.`, 'ok');
        await load();
    } catch (err) {
        showMessage(`Could not rotate the secret of ${endpoint.url}: ${errorText(err)}`, 'error');
    } finally {
        button.disabled = false;
    }
}

async function remove(endpoint, button) {
    if (!window.confirm(`Delete the endpoint ${endpoint.url}? Messages still waiting for it are cancelled; its delivery history is kept.`)) return;
    button.disabled = true;
    try {
        await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, { method: 'DELETE' });
        if (shown && shown.id === endpoint.id) {
            shown = null;
            messagesCard.hidden = true;
        }
        showMessage(`${endpoint.url} deleted.`, 'ok');
        await load();
    } catch (err) {
        showMessage(`Could not delete ${endpoint.url}: ${errorText(err)}`, 'error');
        button.disabled = false;
    }
}

function endpointRow(e) {
    const row = el('tr', { 'data-endpoint-id': String(e.id) });
    const action = (label, aria, handler, cls = 'btn-secondary') => {
        const button = el('button', { type: 'button', class: `btn ${cls} btn-small`, text: label, 'aria-label': `${aria} ${e.url}` });
        button.addEventListener('click', () => handler(e, button));
        return button;
    };
    row.append(
        el('td', {}, el('code', { class: 'key-value', text: e.url }),
            e.description ? el('p', { class: 'field-hint', text: e.description }) : null),
        el('td', { text: e.eventTypes && e.eventTypes.length ? e.eventTypes.join(', ') : 'Every event' }),
        el('td', {}, endpointState(e)),
        el('td', {}, el('div', { class: 'stack-actions' },
            action('Messages', 'Messages of', showMessages),
            action(e.enabled ? 'Disable' : 'Enable', e.enabled ? 'Disable' : 'Enable', toggle),
            action('Rotate secret', 'Rotate the secret of', rotate),
            action('Delete', 'Delete', remove, 'btn-danger'))));
    return row;
}

async function load() {
    try {
        const endpoints = await api('/api/v1/webhooks/endpoints');
        if (!endpoints.length) {
            list.replaceChildren(el('p', { class: 'empty', text: 'No endpoints yet.' }));
            return;
        }
        const head = el('thead', {}, el('tr', {}, ['URL', 'Events', 'State', 'Actions']
            .map((h) => el('th', { scope: 'col', text: h }))));
        list.replaceChildren(el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Webhook endpoints' }),
            head, el('tbody', {}, ...endpoints.map(endpointRow))));
    } catch (err) {
        list.replaceChildren(el('p', { class: 'empty', text: 'The endpoints could not be loaded.' }));
        showMessage(`Could not load the endpoints: ${errorText(err)}`, 'error');
    }
}

async function loadTypes() {
    try {
        const types = await api('/api/v1/webhooks/event-types');
        typeBoxes.replaceChildren(...types.map((type) => el('label', { class: 'check' },
            el('input', { type: 'checkbox', name: 'eventTypes', value: type }), ` ${type}`)));
    } catch (err) {
        typeBoxes.replaceChildren(el('p', { class: 'field-error', text: `The event types could not be loaded: ${errorText(err)}` }));
    }
}

function messageRow(m) {
    const details = el('button', { type: 'button', class: 'btn btn-secondary btn-small', text: 'Details',
        'aria-label': `Details of message ${m.id}` });
    details.addEventListener('click', () => openMessage(m.id));
    const resend = el('button', { type: 'button', class: 'btn btn-secondary btn-small', text: 'Resend',
        'aria-label': `Resend message ${m.id}` });
    resend.addEventListener('click', () => resendMessage(m.id, resend));
    return el('tr', { 'data-message-id': String(m.id) },
        el('td', { text: formatDateTime(m.createdAt) }),
        el('td', { text: m.eventType }),
        el('td', {}, messageBadge(m.status)),
        el('td', { text: String(m.attempts) }),
        el('td', { text: m.lastError || (m.deliveredAt ? `Delivered ${formatDateTime(m.deliveredAt)}` : '—') }),
        el('td', {}, el('div', { class: 'stack-actions' }, details, resend)));
}

async function loadMessages(append) {
    if (!shown) return;
    try {
        const messages = await api(`/api/v1/webhooks/endpoints/${shown.id}/messages`, {
            query: { status: statusFilter.value, before: append ? before : null, limit: kPageSize },
        });
        before = messages.length === kPageSize ? messages[messages.length - 1].id : null;
        olderButton.hidden = before === null;
        const rows = messages.map(messageRow);
        const body = append ? messagesBox.querySelector('tbody') : null;
        if (body) {
            body.append(...rows);
            return;
        }
        if (!rows.length) {
            messagesBox.replaceChildren(el('p', { class: 'empty', text: 'No messages yet.' }));
            return;
        }
        const head = el('thead', {}, el('tr', {}, ['Created', 'Event', 'Status', 'Attempts', 'Last error', '']
            .map((h) => el('th', { scope: 'col', text: h }))));
        messagesBox.replaceChildren(el('table', { class: 'data' },
            el('caption', { class: 'visually-hidden', text: `Messages to ${shown.url}` }), head, el('tbody', {}, ...rows)));
    } catch (err) {
        showMessage(`Could not load the messages: ${errorText(err)}`, 'error');
    }
}

async function showMessages(endpoint) {
    shown = endpoint;
    before = null;
    messagesTitle.textContent = `Messages to ${endpoint.url}`;
    messagesBox.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    messagesCard.hidden = false;
    await loadMessages(false);
    messagesCard.focus();
}

function attemptsTable(attempts) {
    if (!attempts || !attempts.length) return el('p', { class: 'empty', text: 'Not attempted yet.' });
    const head = el('thead', {}, el('tr', {}, ['Time', 'Result', 'Status code', 'Duration', 'Answer']
        .map((h) => el('th', { scope: 'col', text: h }))));
    return el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
        el('caption', { class: 'visually-hidden', text: 'Delivery attempts' }), head,
        el('tbody', {}, ...attempts.map((a) => el('tr', {},
            el('td', { text: formatDateTime(a.attemptedAt) }),
            el('td', {}, a.ok ? badge('ok', 'Delivered') : badge('bad', 'Failed')),
            el('td', { text: a.statusCode === null || a.statusCode === undefined ? '—' : String(a.statusCode) }),
            el('td', { text: `${a.durationMs} ms` }),
            el('td', {}, a.error ? el('p', { class: 'field-error', text: a.error }) : null,
                a.responseExcerpt ? el('pre', { class: 'key-value', text: a.responseExcerpt }) : null))))));
}

async function openMessage(id) {
    dialogStatus.textContent = '';
    dialogDetail.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    if (!dialog.open) dialog.showModal();
    try {
        const m = await api(`/api/v1/webhooks/messages/${id}`);
        const resend = el('button', { type: 'button', class: 'btn', text: 'Resend' });
        resend.addEventListener('click', () => resendMessage(m.id, resend, true));
        let payload = m.payload;
        try {
            payload = JSON.stringify(JSON.parse(m.payload), null, 2);
        } catch {
            // shown as stored
        }
        dialogDetail.replaceChildren(
            el('dl', {},
                el('dt', { text: 'Event' }), el('dd', { text: m.eventType }),
                el('dt', { text: 'webhook-id' }), el('dd', {}, el('code', { text: `evt_${m.eventId}` })),
                el('dt', { text: 'Status' }), el('dd', {}, messageBadge(m.status)),
                el('dt', { text: 'Next attempt' }), el('dd', { text: m.nextAttemptAt && m.status === 'PENDING' ? formatDateTime(m.nextAttemptAt) : '—' })),
            el('h3', { text: 'Attempts' }),
            attemptsTable(m.attempts),
            el('h3', { text: 'Body' }),
            el('pre', { class: 'key-value', text: payload || '' }),
            el('div', { class: 'btn-row' }, resend));
    } catch (err) {
        dialogDetail.replaceChildren(el('p', { class: 'field-error', text: `The message could not be loaded: ${errorText(err)}` }));
    }
}

async function resendMessage(id, button, inDialog = false) {
    button.disabled = true;
    try {
        await api(`/api/v1/webhooks/messages/${id}/resend`, { method: 'POST', body: {} });
        const text = `Message ${id} queued again: it goes out now, with the same webhook-id.`;
        if (inDialog) dialogStatus.textContent = text;
        showMessage(text, 'ok');
        await loadMessages(false);
    } catch (err) {
        const text = `Could not resend message ${id}: ${errorText(err)}`;
        if (inDialog) dialogStatus.textContent = text;
        showMessage(text, 'error');
    } finally {
        button.disabled = false;
    }
}

function wire() {
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const url = urlInput.value.trim();
        if (!/^https?:\/\/\S+$/i.test(url)) {
            urlInput.setAttribute('aria-invalid', 'true');
            urlError.textContent = 'Enter the full address, starting with https://';
            urlError.hidden = false;
            urlInput.focus();
            return;
        }
        urlInput.removeAttribute('aria-invalid');
        urlError.hidden = true;
        const eventTypes = [...typeBoxes.querySelectorAll('input[type="checkbox"]:checked')].map((box) => box.value);
        createButton.disabled = true;
        try {
            const made = await api('/api/v1/webhooks/endpoints', {
                method: 'POST', body: { url, description: descriptionInput.value.trim(), eventTypes },
            });
            form.reset();
            showMessage(`Endpoint ${made.url} added.`, 'ok');
            await load();
            showSecret('Copy this signing secret now: you will not see it again.', made, made.secret, null);
        } catch (err) {
            if (err.status === 422 || err.status === 400) {
                urlInput.setAttribute('aria-invalid', 'true');
                urlError.textContent = errorText(err);
                urlError.hidden = false;
            }
            showMessage(`Could not add the endpoint: ${errorText(err)}`, 'error');
        } finally {
            createButton.disabled = false;
        }
    });
    document.getElementById('copy-secret').addEventListener('click', () => copyShownOnce(secretValue, 'Secret'));
    // Once put away, the secret is gone from the page for good: the API never shows it again.
    document.getElementById('hide-secret').addEventListener('click', hideSecret);
    statusFilter.addEventListener('change', () => loadMessages(false));
    olderButton.addEventListener('click', () => loadMessages(true));
    document.getElementById('message-close').addEventListener('click', () => dialog.close());
}

async function main() {
    const { user } = await initPage();
    if (!user || user.role !== 'admin') {
        document.getElementById('admin-only').hidden = false;
        return;
    }
    document.getElementById('admin-tools').hidden = false;
    wire();
    await Promise.all([loadTypes(), load()]);
}

main();
