// <mpesa-payment> — collect rent (or any amount) with an M-Pesa STK push.
//
// Attributes:
//   amount             integer KES to request (required unless amount-editable)
//   amount-editable    present: the payer may change the amount
//   lease-id           lease the payment belongs to (staff mode)
//   account-reference  <= 12 chars, shown on the payer's phone (staff mode; default "Rent")
//   transaction-desc   up to 100 chars, Daraja is sent the first 13 (staff mode; default "Rent payment")
//   phone              prefills the phone number
//   phone-hint         shown as a hint, e.g. "0712***678"
//   pay-token          tenant mode: uses the public /api/v1/pay/:token routes, no login
//   poll-interval-ms   status polling interval (default 3000), poll-timeout-ms (default 90000)
// Events (bubbling, composed; detail = the transaction status object):
//   success  — the payment went through
//   cancel   — cancelled on the phone, or the user stopped waiting
//   failure  — any other failure (timeout, insufficient funds, wrong PIN, ...)
// Steps: phone -> waiting (polls status-detailed) -> result (receipt, or what to do next and Retry).
// One Idempotency-Key per attempt: a double click or a resend of the same request never prompts the phone twice.
import { api, ApiError, newIdempotencyKey, sleep } from '../js/api.js';
import { displayPhone, el, formatDateTime, formatKES, formatPhoneAsTyped, normalizePhone, phoneError } from '../js/format.js';

let instanceCounter = 0;

const kOutcomes = {
    CANCELLED: {
        title: 'Payment cancelled',
        next: 'The request was cancelled on the phone. If that was a mistake, tap Retry to send a new request.',
    },
    TIMEOUT: {
        title: 'No answer from the phone',
        next: 'The phone did not respond in time. Make sure it is switched on, unlocked and has network, then tap Retry.',
    },
    INSUFFICIENT_FUNDS: {
        title: 'Not enough money on M-Pesa',
        next: 'The M-Pesa balance is too low for this payment. Top up M-Pesa (or pay a smaller amount), then tap Retry.',
    },
    WRONG_PIN: {
        title: 'Wrong M-Pesa PIN',
        next: 'The PIN entered on the phone was wrong. Tap Retry and enter the correct M-Pesa PIN. '
            + 'If you have forgotten it, dial *334# or call 100 before trying again.',
    },
    EXPIRED: {
        title: 'The request expired',
        next: 'The payment request expired before it was answered. Tap Retry to send a new one.',
    },
    SUBSCRIBER_BUSY: {
        title: 'The phone is busy',
        next: 'The phone is handling another M-Pesa request. Wait a minute, then tap Retry.',
    },
    REJECTED: {
        title: 'M-Pesa could not send the prompt',
        next: 'No money was taken. Wait a moment, then tap Retry.',
    },
    PUSH_FAILED: {
        title: 'The prompt did not reach the phone',
        next: 'No money was taken. Check that the phone is on and has network, then tap Retry.',
    },
    LOCAL_TIMEOUT: {
        title: 'Still waiting for M-Pesa',
        next: 'We have not heard back from M-Pesa yet. Check the phone for an M-Pesa message before paying again, '
            + 'then tap Check again, or Retry if no money was taken.',
    },
    FAILED: {
        title: 'Payment failed',
        next: 'M-Pesa could not complete the payment. Check the details and tap Retry.',
    },
};

export class MpesaPayment extends HTMLElement {
    static get observedAttributes() {
        return ['amount', 'phone', 'phone-hint', 'account-reference', 'pay-token', 'lease-id', 'amount-editable'];
    }

    constructor() {
        super();
        this._uid = `mp${++instanceCounter}`;
        this._step = null;
        this._attempt = null; // {key, body}
        this._sending = false;
        this._abort = null;
        this._transaction = null;
        this._checkoutRequestId = null;
        this._phone = '';
        this._amount = null;
    }

    connectedCallback() {
        this.classList.add('mpesa-payment');
        if (!this._step) this._showPhoneStep(false);
    }

    disconnectedCallback() {
        this._stopPolling();
    }

    attributeChangedCallback() {
        if (this._step === 'phone' && !this._sending && this.isConnected) this._showPhoneStep(false);
    }

    /** The current step: "phone" | "waiting" | "result". */
    get step() {
        return this._step;
    }

    get transaction() {
        return this._transaction;
    }

    /** Back to the first step with a new attempt. */
    reset() {
        this._stopPolling();
        this._attempt = null;
        this._transaction = null;
        this._showPhoneStep(true);
    }

    // ---- helpers ----

    get _payToken() {
        return this.getAttribute('pay-token') || '';
    }

    get _pollInterval() {
        return Number(this.getAttribute('poll-interval-ms')) || 3000;
    }

    get _pollTimeout() {
        return Number(this.getAttribute('poll-timeout-ms')) || 90000;
    }

    _amountValue() {
        if (this._amount !== null) return this._amount;
        const n = Number(this.getAttribute('amount'));
        return Number.isFinite(n) && n > 0 ? n : null;
    }

    _emit(name, detail) {
        this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
    }

    _setStep(step, content, focus) {
        this._step = step;
        this.dataset.step = step;
        this.replaceChildren(content);
        if (focus) {
            const heading = this.querySelector('[data-focus]');
            if (heading) heading.focus();
        }
    }

    _stopPolling() {
        if (this._abort) this._abort.abort();
        this._abort = null;
    }

    // ---- step 1: phone ----

    _showPhoneStep(focus) {
        const id = this._uid;
        const editable = this.hasAttribute('amount-editable') || !this.getAttribute('amount');
        const amount = this._amountValue();
        const ref = this.getAttribute('account-reference');
        const hint = this.getAttribute('phone-hint');
        if (!this._phone && this.getAttribute('phone')) this._phone = formatPhoneAsTyped(displayPhone(this.getAttribute('phone')));

        const phoneInput = el('input', {
            id: `${id}-phone`, name: 'phoneNumber', type: 'tel', inputmode: 'tel', autocomplete: 'tel',
            placeholder: '0712 345 678', required: true, 'aria-describedby': `${id}-phone-hint ${id}-phone-error`,
            class: 'input', maxlength: '16',
        });
        phoneInput.value = this._phone;
        phoneInput.addEventListener('input', () => {
            const before = phoneInput.value;
            const atEnd = phoneInput.selectionStart === before.length;
            const formatted = formatPhoneAsTyped(before);
            if (formatted !== before && atEnd) phoneInput.value = formatted;
            this._phone = phoneInput.value;
            if (phoneInput.getAttribute('aria-invalid') === 'true' && !phoneError(phoneInput.value)) {
                phoneInput.removeAttribute('aria-invalid');
                phoneErrorBox.hidden = true;
            }
        });
        const phoneErrorBox = el('p', { id: `${id}-phone-error`, class: 'field-error', hidden: true });

        let amountInput = null;
        const amountErrorBox = el('p', { id: `${id}-amount-error`, class: 'field-error', hidden: true });
        if (editable) {
            amountInput = el('input', {
                id: `${id}-amount`, name: 'amount', type: 'number', inputmode: 'numeric', min: '1', step: '1',
                required: true, class: 'input', 'aria-describedby': `${id}-amount-error`,
            });
            if (amount) amountInput.value = String(amount);
        }

        const formError = el('p', { class: 'notice notice-error', role: 'alert', hidden: true });
        const submit = el('button', { type: 'submit', class: 'btn btn-primary btn-block mp-send', text: 'Send payment request' });
        const form = el('form', { class: 'mp-step mp-phone', novalidate: true, 'aria-labelledby': `${id}-title` },
            el('h3', { id: `${id}-title`, class: 'mp-title', tabindex: '-1', 'data-focus': true, text: 'Pay with M-Pesa' }),
            !editable ? el('p', { class: 'mp-summary' }, 'Amount ', el('strong', { class: 'mp-amount', text: formatKES(amount) }),
                ref ? el('span', { class: 'mp-ref' }, ' · account ', el('strong', { text: ref })) : null) : null,
            editable ? el('div', { class: 'field' },
                el('label', { for: `${id}-amount`, text: 'Amount (KES)' }), amountInput, amountErrorBox) : null,
            el('div', { class: 'field' },
                el('label', { for: `${id}-phone`, text: 'M-Pesa phone number' }),
                phoneInput,
                el('p', { id: `${id}-phone-hint`, class: 'field-hint',
                    text: hint ? `Number on file: ${hint}. You will get a prompt on this phone to enter your M-Pesa PIN.`
                        : 'You will get a prompt on this phone to enter your M-Pesa PIN.' }),
                phoneErrorBox),
            formError,
            submit);

        form.addEventListener('submit', (event) => {
            event.preventDefault();
            this._submit({ form, phoneInput, phoneErrorBox, amountInput, amountErrorBox, formError, submit });
        });
        this._setStep('phone', form, focus);
    }

    async _submit(ui) {
        if (this._sending) return;
        const { phoneInput, phoneErrorBox, amountInput, amountErrorBox, formError, submit } = ui;
        formError.hidden = true;
        let ok = true;
        const phoneMsg = phoneError(phoneInput.value);
        if (phoneMsg) {
            phoneErrorBox.textContent = phoneMsg;
            phoneErrorBox.hidden = false;
            phoneInput.setAttribute('aria-invalid', 'true');
            ok = false;
        }
        let amount = this._amountValue();
        if (amountInput) {
            const n = Number(amountInput.value);
            if (!amountInput.value || !Number.isInteger(n) || n < 1) {
                amountErrorBox.textContent = 'Enter a whole number of shillings, at least 1.';
                amountErrorBox.hidden = false;
                amountInput.setAttribute('aria-invalid', 'true');
                ok = false;
            } else {
                amountErrorBox.hidden = true;
                amountInput.removeAttribute('aria-invalid');
                amount = n;
            }
        } else if (!amount) {
            formError.textContent = 'No amount was set for this payment.';
            formError.hidden = false;
            ok = false;
        }
        if (!ok) {
            (phoneMsg ? phoneInput : amountInput || phoneInput).focus();
            return;
        }
        this._amount = amount;
        this._phone = phoneInput.value;

        this._sending = true;
        submit.disabled = true;
        submit.textContent = 'Sending…';
        phoneInput.readOnly = true;
        try {
            const result = await this._send(normalizePhone(phoneInput.value), amount);
            this._sending = false;
            this._startWaiting(result);
        } catch (err) {
            this._sending = false;
            submit.disabled = false;
            submit.textContent = 'Send payment request';
            phoneInput.readOnly = false;
            const field = err instanceof ApiError ? err.fieldMessage('phoneNumber') : '';
            if (field) {
                phoneErrorBox.textContent = field;
                phoneErrorBox.hidden = false;
                phoneInput.setAttribute('aria-invalid', 'true');
            }
            formError.textContent = describeError(err);
            formError.hidden = false;
        }
    }

    /** Sends the STK push. The same body within one attempt reuses the attempt's Idempotency-Key. */
    async _send(phoneNumber, amount) {
        let path;
        let body;
        const token = this._payToken;
        if (token) {
            path = `/api/v1/pay/${encodeURIComponent(token)}/stk-push`;
            body = { phoneNumber, amount };
        } else {
            path = '/api/v1/mpesa/stk-push';
            body = {
                phoneNumber,
                amount,
                // Sent as given: the gateway refuses a reference over 12 characters with a message that says why,
                // and cutting it here would change what names the payment on the tenant's statement.
                accountReference: this.getAttribute('account-reference') || 'Rent',
                transactionDesc: this.getAttribute('transaction-desc') || 'Rent payment',
            };
            const leaseId = this.getAttribute('lease-id');
            if (leaseId) body.leaseId = /^\d+$/.test(leaseId) ? Number(leaseId) : leaseId;
        }
        const bodyText = JSON.stringify(body);
        if (!this._attempt || this._attempt.body !== bodyText) {
            this._attempt = { key: newIdempotencyKey(), body: bodyText };
        }
        this.dataset.idempotencyKey = this._attempt.key;
        return api(path, { method: 'POST', body, auth: !token, idempotencyKey: this._attempt.key });
    }

    // ---- step 2: waiting ----

    _startWaiting(pushResult) {
        this._checkoutRequestId = pushResult.checkoutRequestId;
        this.dataset.checkoutRequestId = pushResult.checkoutRequestId || '';
        this._transaction = { ...pushResult, status: 'PENDING' };
        this._showWaiting(pushResult.customerMessage || '');
        this._pollStatus(this._pollTimeout);
    }

    _showWaiting(firstMessage) {
        const id = this._uid;
        this._live = {
            user: el('p', { class: 'mp-user-message', text: 'Waiting for the PIN to be entered on the phone…' }),
            mpesa: el('p', { class: 'mp-mpesa-message', hidden: !firstMessage },
                el('span', { class: 'mp-label', text: 'M-Pesa: ' }), el('span', { class: 'mp-mpesa-text', text: firstMessage })),
        };
        const stop = el('button', { type: 'button', class: 'btn btn-ghost mp-stop', text: 'Cancel' });
        stop.addEventListener('click', () => {
            this._stopPolling();
            const tx = { ...(this._transaction || {}), outcome: 'CANCELLED', stoppedByUser: true };
            this._emit('cancel', tx);
            this._showResult(tx, 'STOPPED');
        });
        const view = el('div', { class: 'mp-step mp-waiting' },
            el('div', { class: 'spinner', 'aria-hidden': 'true' }),
            el('h3', { class: 'mp-title', tabindex: '-1', 'data-focus': true, text: 'Check your phone' }),
            el('p', {}, 'We sent a request for ', el('strong', { text: formatKES(this._amount) }), ' to ',
                el('strong', { text: displayPhone(normalizePhone(this._phone)) }),
                '. Unlock the phone and enter your M-Pesa PIN to pay.'),
            el('div', { id: `${id}-live`, class: 'mp-live', role: 'status', 'aria-live': 'polite' }, this._live.user, this._live.mpesa),
            stop);
        this._setStep('waiting', view, true);
    }

    async _pollStatus(timeoutMs) {
        this._stopPolling();
        const abort = new AbortController();
        this._abort = abort;
        const token = this._payToken;
        const cid = encodeURIComponent(this._checkoutRequestId);
        const path = token ? `/api/v1/pay/${encodeURIComponent(token)}/status/${cid}` : `/api/v1/mpesa/status-detailed/${cid}`;
        const deadline = Date.now() + timeoutMs;
        try {
            for (;;) {
                await sleep(Math.min(this._pollInterval, Math.max(0, deadline - Date.now())), abort.signal);
                let status = null;
                try {
                    status = await api(path, { auth: !token, signal: abort.signal });
                } catch (err) {
                    if (err && err.name === 'AbortError') throw err;
                    if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 401)) {
                        this._finish({ ...this._transaction, status: 'FAILED', outcome: 'FAILED', userMessage: describeError(err) });
                        return;
                    }
                    this._live.user.textContent = 'Connection problem, still trying…';
                }
                if (status) {
                    this._transaction = { ...this._transaction, ...status };
                    if (status.userMessage) this._live.user.textContent = status.userMessage;
                    if (status.resultDescription) {
                        this._live.mpesa.querySelector('.mp-mpesa-text').textContent = status.resultDescription;
                        this._live.mpesa.hidden = false;
                    }
                    if (status.status && status.status !== 'PENDING') {
                        this._finish(this._transaction);
                        return;
                    }
                }
                if (Date.now() >= deadline) {
                    this._showResult(this._transaction, 'LOCAL_TIMEOUT');
                    return;
                }
            }
        } catch (err) {
            if (!err || err.name !== 'AbortError') throw err;
        } finally {
            if (this._abort === abort) this._abort = null;
        }
    }

    _finish(tx) {
        if (tx.status === 'SUCCESS') {
            this._showResult(tx, 'SUCCESS');
            this._emit('success', tx);
            return;
        }
        const outcome = tx.outcome && tx.outcome !== 'PENDING' ? tx.outcome : 'FAILED';
        this._showResult(tx, outcome);
        this._emit(outcome === 'CANCELLED' ? 'cancel' : 'failure', tx);
    }

    // ---- step 3: result ----

    _showResult(tx, outcome) {
        this.dataset.outcome = outcome;
        if (outcome === 'SUCCESS') {
            const view = el('div', { class: 'mp-step mp-result mp-success', role: 'status' },
                el('div', { class: 'mp-icon mp-icon-ok', 'aria-hidden': 'true', text: '✓' }),
                el('h3', { class: 'mp-title', tabindex: '-1', 'data-focus': true, text: 'Payment received' }),
                el('dl', { class: 'kv' },
                    el('dt', { text: 'M-Pesa receipt' }), el('dd', { class: 'mp-receipt', text: tx.mpesaReceiptNumber || '—' }),
                    el('dt', { text: 'Amount' }), el('dd', { text: formatKES(tx.amount ?? this._amount) }),
                    el('dt', { text: 'Phone' }), el('dd', { text: displayPhone(tx.phoneNumber || normalizePhone(this._phone)) }),
                    el('dt', { text: 'Date' }), el('dd', { text: formatDateTime(tx.transactionDate || tx.updatedAt) })),
                tx.userMessage ? el('p', { class: 'mp-user-message', text: tx.userMessage }) : null);
            this._setStep('result', view, true);
            return;
        }
        const info = outcome === 'STOPPED'
            ? { title: 'Stopped waiting', next: 'If the prompt is still on the phone you can ignore it. Tap Retry to send a new request.' }
            : kOutcomes[outcome] || kOutcomes.FAILED;
        const retry = el('button', { type: 'button', class: 'btn btn-primary mp-retry', text: 'Retry' });
        retry.addEventListener('click', () => this._retry(retry));
        const change = el('button', { type: 'button', class: 'btn btn-ghost mp-change', text: 'Use another number' });
        change.addEventListener('click', () => this.reset());
        let checkAgain = null;
        if (outcome === 'LOCAL_TIMEOUT') {
            checkAgain = el('button', { type: 'button', class: 'btn btn-secondary mp-check', text: 'Check again' });
            checkAgain.addEventListener('click', () => {
                this._showWaiting(tx && tx.resultDescription);
                this._pollStatus(30000);
            });
        }
        const view = el('div', { class: `mp-step mp-result mp-failure mp-outcome-${outcome.toLowerCase()}`, role: 'alert' },
            el('div', { class: 'mp-icon mp-icon-bad', 'aria-hidden': 'true', text: '!' }),
            el('h3', { class: 'mp-title', tabindex: '-1', 'data-focus': true, text: info.title }),
            tx && tx.userMessage ? el('p', { class: 'mp-user-message', text: tx.userMessage }) : null,
            tx && tx.resultDescription ? el('p', { class: 'mp-mpesa-message' },
                el('span', { class: 'mp-label', text: 'M-Pesa: ' }), el('span', { class: 'mp-mpesa-text', text: tx.resultDescription })) : null,
            el('p', { class: 'mp-next', text: info.next }),
            el('p', { class: 'notice notice-error mp-retry-error', role: 'alert', hidden: true }),
            el('div', { class: 'btn-row' }, retry, checkAgain, change));
        this._setStep('result', view, true);
    }

    async _retry(button) {
        if (this._sending) return;
        this._stopPolling();
        this._attempt = null; // a retry is a new attempt: new Idempotency-Key
        this._sending = true;
        button.disabled = true;
        button.textContent = 'Sending…';
        try {
            const result = await this._send(normalizePhone(this._phone), this._amount);
            this._sending = false;
            this._startWaiting(result);
        } catch (err) {
            this._sending = false;
            button.disabled = false;
            button.textContent = 'Retry';
            const box = this.querySelector('.mp-retry-error');
            if (box) {
                box.textContent = describeError(err);
                box.hidden = false;
            }
        }
    }
}

function describeError(err) {
    if (!err) return 'Something went wrong.';
    if (err instanceof ApiError) {
        if (err.code === 'RATE_LIMITED') return 'Too many requests. Wait a minute and try again.';
        const details = err.details.map((d) => d.message).filter(Boolean);
        return details.length ? `${err.message}: ${details.join('; ')}` : err.message;
    }
    return err.message || String(err);
}

if (!customElements.get('mpesa-payment')) customElements.define('mpesa-payment', MpesaPayment);
