// Virtual phone (simulator mode): the STK prompts waiting on test numbers, each with a PIN pad and
// the buttons a handset gives, and the text messages (receipts) those numbers received. Uses the simulator
// control API through the gateway.
import { api } from '../api.js';
import { displayPhone, el, formatDateTime, formatKES } from '../format.js';
import { errorText, initPage } from '../nav.js';

const kRefreshMs = 2000;
const container = document.getElementById('phones');
const statusBox = document.getElementById('phone-status');
const cards = new Map(); // checkoutRequestId -> {node, done}
let readOnly = false; // viewers watch the prompts; only an admin or manager answers them (the API says 403)

function handset(prompt) {
    const id = prompt.checkoutRequestId;
    const safeId = id.replace(/[^A-Za-z0-9_-]/g, '_');
    const pin = el('input', {
        id: `pin-${safeId}`, type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '6',
        class: 'input pin-display', pattern: '[0-9]*', 'aria-describedby': `result-${safeId}`,
    });
    pin.addEventListener('input', () => { pin.value = pin.value.replace(/\D/g, '').slice(0, 6); });
    const result = el('p', { id: `result-${safeId}`, class: 'handset-result', role: 'status', 'aria-live': 'polite' });
    const pad = el('div', { class: 'pin-pad', role: 'group', 'aria-label': 'PIN pad' },
        ['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0', 'OK'].map((key) => {
            const label = key === '⌫' ? 'Delete digit' : key === 'OK' ? 'OK, send PIN' : key;
            const button = el('button', { type: 'button', class: 'btn', text: key, 'aria-label': label, tabindex: '-1' });
            button.addEventListener('click', () => {
                if (key === '⌫') pin.value = pin.value.slice(0, -1);
                else if (key === 'OK') resolve('accept');
                else if (pin.value.length < 6) pin.value += key;
            });
            return button;
        }));
    const buttons = {
        accept: el('button', { type: 'button', class: 'btn btn-primary phone-send', text: 'Send' }),
        wrong_pin: el('button', { type: 'button', class: 'btn btn-secondary phone-wrong-pin', text: 'Wrong PIN' }),
        cancel: el('button', { type: 'button', class: 'btn btn-danger phone-cancel', text: 'Cancel' }),
        ignore: el('button', { type: 'button', class: 'btn btn-ghost phone-ignore', text: 'Ignore' }),
        insufficient_funds: el('button', { type: 'button', class: 'btn btn-ghost phone-no-funds', text: 'Not enough money',
            title: 'Answer as a phone whose M-Pesa balance is too low' }),
    };
    const node = el('article', { class: 'handset', 'data-checkout-request-id': id, 'data-phone': prompt.phoneNumber,
        'aria-label': `Prompt on ${displayPhone(prompt.phoneNumber)}` },
        el('p', { class: 'handset-number', text: displayPhone(prompt.phoneNumber) }),
        el('form', { class: 'handset-screen' },
            el('p', { class: 'handset-prompt' },
                `Do you want to pay ${formatKES(prompt.amount)} to ${prompt.businessShortCode || 'the business'}`,
                prompt.accountReference ? ` for account ${prompt.accountReference}` : '', '?'),
            el('label', { for: `pin-${safeId}`, text: 'Enter M-Pesa PIN' }),
            pin, pad,
            el('div', { class: 'handset-actions' }, buttons.accept, buttons.wrong_pin, buttons.cancel, buttons.ignore,
                buttons.insufficient_funds),
            result));
    const form = node.querySelector('form');
    if (readOnly) {
        for (const b of node.querySelectorAll('button')) b.disabled = true;
        pin.disabled = true;
        result.textContent = 'Viewers can watch prompts; an admin or manager answers them.';
    }
    let busy = false;
    async function resolve(action) {
        if (busy || readOnly) return;
        if (action === 'accept' && !/^\d{4,6}$/.test(pin.value)) {
            result.textContent = 'Enter your 4-digit PIN first.';
            pin.focus();
            return;
        }
        busy = true;
        for (const b of Object.values(buttons)) b.disabled = true;
        const body = action === 'accept' ? { action, pin: pin.value } : { action };
        try {
            await api(`/api/v1/simulator/stk/${encodeURIComponent(id)}/resolve`, { method: 'POST', body });
            result.textContent = { accept: 'PIN sent. M-Pesa is processing the payment.', wrong_pin: 'Wrong PIN sent.',
                cancel: 'Request cancelled.', ignore: 'Prompt ignored; it will time out.',
                insufficient_funds: 'Answered: not enough money on M-Pesa.' }[action];
            node.dataset.resolved = action;
            cards.get(id).done = true;
        } catch (err) {
            result.textContent = `Could not send: ${errorText(err)}`;
            busy = false;
            for (const b of Object.values(buttons)) b.disabled = false;
        }
    }
    form.addEventListener('submit', (event) => {
        event.preventDefault();
        resolve('accept');
    });
    buttons.accept.addEventListener('click', () => resolve('accept'));
    buttons.wrong_pin.addEventListener('click', () => resolve('wrong_pin'));
    buttons.cancel.addEventListener('click', () => resolve('cancel'));
    buttons.ignore.addEventListener('click', () => resolve('ignore'));
    buttons.insufficient_funds.addEventListener('click', () => resolve('insufficient_funds'));
    return node;
}

async function refresh() {
    try {
        const data = await api('/api/v1/simulator/stk/pending');
        const prompts = (data && data.prompts) || [];
        const live = new Set(prompts.map((p) => p.checkoutRequestId));
        for (const prompt of prompts) {
            if (!cards.has(prompt.checkoutRequestId)) {
                const node = handset(prompt);
                cards.set(prompt.checkoutRequestId, { node, done: false });
                container.append(node);
            }
        }
        // Prompts that left the pending list: keep resolved ones a little while so the result stays visible.
        for (const [id, card] of cards) {
            if (live.has(id)) continue;
            if (!card.done) {
                card.node.dataset.resolved = card.node.dataset.resolved || 'expired';
                const box = card.node.querySelector('.handset-result');
                if (box && !box.textContent) box.textContent = 'This prompt is no longer waiting.';
                for (const b of card.node.querySelectorAll('button')) b.disabled = true;
                card.done = true;
            }
            card.gone = (card.gone || 0) + 1;
            if (card.gone > 5) {
                card.node.remove();
                cards.delete(id);
            }
        }
        statusBox.textContent = prompts.length
            ? `${prompts.length} prompt${prompts.length === 1 ? '' : 's'} waiting.`
            : 'No prompts waiting. Start a payment in another tab; it appears here.';
    } catch (err) {
        statusBox.textContent = `Could not load prompts: ${errorText(err)}`;
    }
}

const smsSection = document.getElementById('sms');
const smsList = document.getElementById('sms-list');
const smsStatus = document.getElementById('sms-status');
const smsSeen = new Set();

function smsItem(sms) {
    return el('li', { class: 'sms', 'data-message-id': sms.messageId, 'data-phone': sms.phoneNumber },
        el('p', { class: 'sms-meta' },
            `To ${displayPhone(sms.phoneNumber)} · from ${sms.from || 'SMS'} · ${formatDateTime(sms.receivedAt)}`),
        el('p', { class: 'sms-text', text: sms.message }));
}

async function refreshSms() {
    try {
        const data = await api('/api/v1/simulator/sms');
        const messages = (data && data.messages) || [];
        // Oldest first from the API; each new one goes on top.
        for (const sms of messages) {
            if (smsSeen.has(sms.messageId)) continue;
            smsSeen.add(sms.messageId);
            smsList.prepend(smsItem(sms));
        }
        smsStatus.textContent = messages.length
            ? `${messages.length} message${messages.length === 1 ? '' : 's'} received.`
            : 'No text messages yet. A receipt appears here after a tenant pays.';
    } catch (err) {
        smsStatus.textContent = `Could not load text messages: ${errorText(err)}`;
    }
}

async function main() {
    const { user, config } = await initPage();
    readOnly = Boolean(user && user.role === 'viewer');
    if (!config.simulator) {
        document.getElementById('sim-off').hidden = false;
        return;
    }
    smsSection.hidden = false;
    await Promise.all([refresh(), refreshSms()]);
    setInterval(() => { refresh(); refreshSms(); }, kRefreshMs);
}

main();
