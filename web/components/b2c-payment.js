// <b2c-payment> — send money from the business to a phone (refund, payout, salary, bonus, promotion). Admins only.
//
// Attributes: type (default "payout"), phone, amount, original-transaction-id (for refunds),
//             poll-interval-ms (default 3000), poll-timeout-ms (default 120000)
// Events (bubbling, composed; detail = the transaction): success, failure, cancel (the user backed out).
// Steps: form -> confirm -> waiting (polls GET /api/v1/mpesa/transactions/:id) -> result.
import { ApiError } from '../js/api.js';
import { sendOnce } from '../js/send.js';
import { heldView } from '../js/held.js';
import { liveText, pollTransaction } from '../js/poll.js';
import { displayPhone, el, formatDateTime, formatKES, formatPhoneAsTyped, normalizePhone, phoneError } from '../js/format.js';

let instanceCounter = 0;
const kTypes = [
    { value: 'payout', label: 'Payout' },
    { value: 'refund', label: 'Refund' },
    { value: 'salary', label: 'Salary' },
    { value: 'bonus', label: 'Bonus' },
    { value: 'promotion', label: 'Promotion' },
];

export class B2cPayment extends HTMLElement {
    constructor() {
        super();
        this._uid = `b2c${++instanceCounter}`;
        this._values = null;
        this._attempt = null;
        this._sending = false;
        this._abort = null;
        this._step = null;
    }

    connectedCallback() {
        this.classList.add('b2c-payment');
        if (!this._step) this._showForm(false);
    }

    disconnectedCallback() {
        if (this._abort) this._abort.abort();
    }

    get step() {
        return this._step;
    }

    reset() {
        if (this._abort) this._abort.abort();
        this._values = null;
        this._attempt = null;
        this._showForm(true);
    }

    _setStep(step, content, focus) {
        this._step = step;
        this.dataset.step = step;
        this.replaceChildren(content);
        if (focus) {
            const target = this.querySelector('[data-focus]');
            if (target) target.focus();
        }
    }

    _emit(name, detail) {
        this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
    }

    _field(name, label, input, hint) {
        const id = `${this._uid}-${name}`;
        input.id = id;
        input.name = name;
        const errorId = `${id}-error`;
        input.setAttribute('aria-describedby', [hint ? `${id}-hint` : '', errorId].filter(Boolean).join(' '));
        return el('div', { class: 'field' },
            el('label', { for: id, text: label }), input,
            hint ? el('p', { id: `${id}-hint`, class: 'field-hint', text: hint }) : null,
            el('p', { id: errorId, class: 'field-error', hidden: true }));
    }

    _showForm(focus) {
        const v = this._values || {
            type: this.getAttribute('type') || 'payout',
            phone: this.getAttribute('phone') ? formatPhoneAsTyped(displayPhone(this.getAttribute('phone'))) : '',
            amount: this.getAttribute('amount') || '',
            remarks: '',
            occasion: '',
            originalTransactionId: this.getAttribute('original-transaction-id') || '',
        };
        const type = el('select', { class: 'input' }, kTypes.map((t) => el('option', { value: t.value, text: t.label })));
        type.value = v.type;
        const phone = el('input', { type: 'tel', inputmode: 'tel', autocomplete: 'off', class: 'input', placeholder: '0712 345 678', maxlength: '16' });
        phone.value = v.phone;
        phone.addEventListener('input', () => {
            if (phone.selectionStart === phone.value.length) phone.value = formatPhoneAsTyped(phone.value);
        });
        const amount = el('input', { type: 'number', inputmode: 'numeric', min: '10', step: '1', class: 'input' });
        amount.value = v.amount;
        const remarks = el('input', { type: 'text', maxlength: '100', class: 'input', placeholder: 'e.g. Deposit refund' });
        remarks.value = v.remarks;
        const occasion = el('input', { type: 'text', maxlength: '100', class: 'input' });
        occasion.value = v.occasion;
        const original = el('input', { type: 'text', class: 'input', placeholder: 'optional' });
        original.value = v.originalTransactionId;
        const originalField = this._field('originalTransactionId', 'Original transaction (refunds)', original,
            'The id of the payment being refunded, if any.');
        const syncOriginal = () => { originalField.hidden = type.value !== 'refund'; };
        type.addEventListener('change', syncOriginal);
        syncOriginal();

        const formError = el('p', { class: 'notice notice-error', role: 'alert', hidden: true });
        const form = el('form', { class: 'b2c-step b2c-form', novalidate: true },
            el('h3', { class: 'b2c-title', tabindex: '-1', 'data-focus': true, text: 'Send money (B2C)' }),
            this._field('type', 'Type', type),
            this._field('phoneNumber', 'Recipient phone number', phone),
            this._field('amount', 'Amount (KES)', amount),
            this._field('remarks', 'Remarks', remarks, 'Shown on the M-Pesa statement.'),
            this._field('occasion', 'Occasion (optional)', occasion),
            originalField,
            formError,
            el('button', { type: 'submit', class: 'btn btn-primary b2c-continue', text: 'Continue' }));

        const showError = (input, message) => {
            const box = form.querySelector(`#${input.id}-error`);
            box.textContent = message;
            box.hidden = !message;
            if (message) input.setAttribute('aria-invalid', 'true');
            else input.removeAttribute('aria-invalid');
        };
        form.addEventListener('submit', (event) => {
            event.preventDefault();
            const errors = [];
            const pErr = phoneError(phone.value);
            showError(phone, pErr);
            if (pErr) errors.push(phone);
            const n = Number(amount.value);
            const aErr = !amount.value || !Number.isInteger(n) || n < 1 ? 'Enter a whole number of shillings.' : '';
            showError(amount, aErr);
            if (aErr) errors.push(amount);
            const rErr = remarks.value.trim() ? '' : 'Enter remarks (required by M-Pesa).';
            showError(remarks, rErr);
            if (rErr) errors.push(remarks);
            if (errors.length) {
                errors[0].focus();
                return;
            }
            this._values = {
                type: type.value, phone: phone.value, amount: n, remarks: remarks.value.trim(),
                occasion: occasion.value.trim(), originalTransactionId: type.value === 'refund' ? original.value.trim() : '',
            };
            this._showConfirm();
        });
        this._setStep('form', form, focus);
    }

    _showConfirm() {
        const v = this._values;
        const label = (kTypes.find((t) => t.value === v.type) || {}).label || v.type;
        const send = el('button', { type: 'button', class: 'btn btn-danger b2c-confirm', text: `Send ${formatKES(v.amount)}` });
        const back = el('button', { type: 'button', class: 'btn btn-ghost b2c-back', text: 'Back' });
        const error = el('p', { class: 'notice notice-error b2c-error', role: 'alert', hidden: true });
        back.addEventListener('click', () => {
            this._emit('cancel', { ...v });
            this._showForm(true);
        });
        send.addEventListener('click', () => this._send(send, back, error));
        const view = el('div', { class: 'b2c-step b2c-confirm-step', role: 'group', 'aria-labelledby': `${this._uid}-confirm-title` },
            el('h3', { id: `${this._uid}-confirm-title`, class: 'b2c-title', tabindex: '-1', 'data-focus': true, text: 'Confirm the payment' }),
            el('p', { class: 'notice notice-warn' }, 'Money sent with M-Pesa cannot be pulled back automatically. Check the number and amount.'),
            el('dl', { class: 'kv' },
                el('dt', { text: 'Type' }), el('dd', { text: label }),
                el('dt', { text: 'To' }), el('dd', { class: 'b2c-confirm-phone', text: displayPhone(normalizePhone(v.phone)) }),
                el('dt', { text: 'Amount' }), el('dd', { class: 'b2c-confirm-amount', text: formatKES(v.amount) }),
                el('dt', { text: 'Remarks' }), el('dd', { text: v.remarks }),
                v.occasion ? [el('dt', { text: 'Occasion' }), el('dd', { text: v.occasion })] : null,
                v.originalTransactionId ? [el('dt', { text: 'Refund of' }), el('dd', { text: v.originalTransactionId })] : null),
            error,
            el('div', { class: 'btn-row' }, send, back));
        this._setStep('confirm', view, true);
    }

    async _send(send, back, errorBox) {
        if (this._sending) return;
        const v = this._values;
        const body = { phoneNumber: normalizePhone(v.phone), amount: v.amount, type: v.type, remarks: v.remarks };
        if (v.occasion) body.occasion = v.occasion;
        if (v.originalTransactionId) {
            body.originalTransactionId = /^\d+$/.test(v.originalTransactionId) ? Number(v.originalTransactionId) : v.originalTransactionId;
        }
        const result = await sendOnce(this, '/api/v1/mpesa/b2c', body, {
            buttons: [send, back], main: send, busyText: 'Sending…', idleText: `Send ${formatKES(v.amount)}`, errorBox, describeError,
        });
        if (result && result.approval) this._showHeld(result.approval);
        else if (result) this._wait(result);
    }

    /** Above the approval threshold: held for a second admin, nothing sent (202). Neither a success nor a failure. */
    _showHeld(approval) {
        const again = el('button', { type: 'button', class: 'btn btn-secondary b2c-again', text: 'Send another' });
        again.addEventListener('click', () => this.reset());
        this._setStep('held', heldView(approval, 'b2c', again), true);
        this._emit('held', approval);
    }

    async _wait(initial) {
        const live = el('p', { class: 'b2c-live-text', text: 'Sent to M-Pesa. Waiting for the result…' });
        this._setStep('waiting', el('div', { class: 'b2c-step b2c-waiting' },
            el('div', { class: 'spinner', 'aria-hidden': 'true' }),
            el('h3', { class: 'b2c-title', tabindex: '-1', 'data-focus': true, text: 'Sending money' }),
            el('div', { role: 'status', 'aria-live': 'polite' }, live)), true);
        let tx = { ...initial };
        if (!initial.id || (initial.status && initial.status !== 'PENDING')) {
            this._showResult(tx);
            return;
        }
        const abort = new AbortController();
        this._abort = abort;
        try {
            tx = await pollTransaction(initial, {
                intervalMs: Number(this.getAttribute('poll-interval-ms')) || 3000,
                timeoutMs: Number(this.getAttribute('poll-timeout-ms')) || 120000,
                signal: abort.signal,
                onUpdate: (t, err) => { live.textContent = liveText(t, err, live.textContent); },
            });
        } catch (err) {
            if (!err || err.name !== 'AbortError') throw err;
            return;
        }
        this._showResult(tx);
    }

    _showResult(tx) {
        const ok = tx.status === 'SUCCESS';
        const pending = !tx.status || tx.status === 'PENDING';
        const again = el('button', { type: 'button', class: 'btn btn-secondary b2c-again', text: ok ? 'Send another' : 'Start again' });
        again.addEventListener('click', () => this.reset());
        const title = ok ? 'Money sent' : pending ? 'Still processing' : 'Payment failed';
        const next = ok ? '' : pending
            ? 'M-Pesa has not answered yet. The result will appear in Transactions; do not send again until it does.'
            : 'Nothing was sent. Check the details and the account balance, then start again.';
        const view = el('div', { class: `b2c-step b2c-result ${ok ? 'b2c-success' : pending ? 'b2c-pending' : 'b2c-failure'}`, role: ok ? 'status' : 'alert' },
            el('h3', { class: 'b2c-title', tabindex: '-1', 'data-focus': true, text: title }),
            el('dl', { class: 'kv' },
                el('dt', { text: 'Status' }), el('dd', { class: 'b2c-status', text: tx.status || 'PENDING' }),
                tx.mpesaReceiptNumber || tx.transactionReceipt ? [el('dt', { text: 'M-Pesa receipt' }),
                    el('dd', { class: 'b2c-receipt', text: tx.mpesaReceiptNumber || tx.transactionReceipt })] : null,
                el('dt', { text: 'Amount' }), el('dd', { text: formatKES(tx.amount ?? this._values.amount) }),
                el('dt', { text: 'To' }), el('dd', { text: displayPhone(tx.phoneNumber || normalizePhone(this._values.phone)) }),
                tx.resultDescription ? [el('dt', { text: 'M-Pesa says' }), el('dd', { text: tx.resultDescription })] : null,
                tx.updatedAt ? [el('dt', { text: 'Updated' }), el('dd', { text: formatDateTime(tx.updatedAt) })] : null,
                tx.id ? [el('dt', { text: 'Transaction' }), el('dd', {}, el('a', { href: `/transactions.html?id=${encodeURIComponent(tx.id)}`, text: String(tx.id) }))] : null),
            next ? el('p', { class: 'b2c-next', text: next }) : null,
            again);
        this._setStep('result', view, true);
        if (!pending) this._emit(ok ? 'success' : 'failure', tx);
    }
}

function describeError(err) {
    if (err instanceof ApiError) {
        if (err.status === 403) return 'Only admins can send money.';
        const details = err.details.map((d) => d.message).filter(Boolean);
        return details.length ? `${err.message}: ${details.join('; ')}` : err.message;
    }
    return (err && err.message) || 'Something went wrong.';
}

if (!customElements.get('b2c-payment')) customElements.define('b2c-payment', B2cPayment);
