// <transaction-reversal> — reverse a successful M-Pesa payment. Admins only.
//
// Attributes: transaction-id (preselects a transaction), poll-interval-ms (3000), poll-timeout-ms (120000)
// Events (bubbling, composed; detail = the reversal transaction): success, failure, cancel.
// Steps: pick (list of successful payments + details + reason) -> confirm (clear warning) -> waiting -> result.
import { api, ApiError } from '../js/api.js';
import { sendOnce } from '../js/send.js';
import { heldView } from '../js/held.js';
import { liveText, pollTransaction } from '../js/poll.js';
import { displayPhone, el, formatDateTime, formatKES } from '../js/format.js';

let instanceCounter = 0;

export class TransactionReversal extends HTMLElement {
    static get observedAttributes() {
        return ['transaction-id'];
    }

    constructor() {
        super();
        this._uid = `rev${++instanceCounter}`;
        this._transactions = [];
        this._selected = null;
        this._reason = '';
        this._amount = null;
        this._attempt = null;
        this._sending = false;
        this._abort = null;
        this._step = null;
    }

    connectedCallback() {
        this.classList.add('transaction-reversal');
        if (!this._step) this.reload();
    }

    disconnectedCallback() {
        if (this._abort) this._abort.abort();
    }

    attributeChangedCallback(name, oldValue, newValue) {
        if (this._step === 'pick' && oldValue !== newValue) this.reload();
    }

    get step() {
        return this._step;
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

    /** Loads successful payments and shows the picker. */
    async reload() {
        this._step = 'pick';
        this.dataset.step = 'loading';
        this.replaceChildren(el('p', { class: 'muted', role: 'status', text: 'Loading successful payments…' }));
        const wanted = this.getAttribute('transaction-id');
        try {
            const page = await api('/api/v1/mpesa/transactions', { query: { status: 'SUCCESS', kind: 'stk', limit: 50 } });
            this._transactions = (page && page.items) || [];
            if (wanted && !this._transactions.some((t) => String(t.id) === wanted)) {
                try {
                    const one = await api(`/api/v1/mpesa/transactions/${encodeURIComponent(wanted)}`);
                    if (one) this._transactions.unshift(one);
                } catch {
                    // not found: the picker simply has no preselection
                }
            }
        } catch (err) {
            this._setStep('pick', el('p', { class: 'notice notice-error', role: 'alert', text: describeError(err) }));
            return;
        }
        if (wanted) this._selected = this._transactions.find((t) => String(t.id) === wanted) || null;
        this._showPick(false);
    }

    _showPick(focus) {
        const id = this._uid;
        const select = el('select', { id: `${id}-tx`, class: 'input', 'aria-describedby': `${id}-tx-hint` },
            el('option', { value: '', text: this._transactions.length ? 'Choose a payment…' : 'No successful payments yet' }),
            this._transactions.map((t) => el('option', {
                value: String(t.id),
                text: `${t.mpesaReceiptNumber || t.checkoutRequestId || t.id} · ${formatKES(t.amount)} · ${displayPhone(t.phoneNumber)} · ${formatDateTime(t.transactionDate || t.createdAt)}`,
            })));
        if (this._selected) select.value = String(this._selected.id);
        const details = el('div', { class: 'rev-details', 'aria-live': 'polite' });
        const reason = el('textarea', { id: `${id}-reason`, class: 'input', rows: '3', maxlength: '100', required: true,
            'aria-describedby': `${id}-reason-error`, placeholder: 'e.g. Tenant paid twice for March' });
        reason.value = this._reason;
        const amount = el('input', { id: `${id}-amount`, type: 'number', inputmode: 'numeric', min: '1', step: '1', class: 'input',
            'aria-describedby': `${id}-amount-hint ${id}-amount-error` });
        const renderDetails = () => {
            const t = this._selected;
            if (!t) {
                details.replaceChildren();
                return;
            }
            details.replaceChildren(el('dl', { class: 'kv' },
                el('dt', { text: 'M-Pesa receipt' }), el('dd', { class: 'rev-receipt', text: t.mpesaReceiptNumber || '—' }),
                el('dt', { text: 'Amount' }), el('dd', { text: formatKES(t.amount) }),
                el('dt', { text: 'Phone' }), el('dd', { text: displayPhone(t.phoneNumber) }),
                el('dt', { text: 'Account' }), el('dd', { text: t.accountReference || '—' }),
                el('dt', { text: 'Paid' }), el('dd', { text: formatDateTime(t.transactionDate || t.createdAt) })));
            if (!amount.value || this._amount === null) amount.value = String(t.amount ?? '');
        };
        select.addEventListener('change', () => {
            this._selected = this._transactions.find((t) => String(t.id) === select.value) || null;
            this._amount = null;
            amount.value = '';
            renderDetails();
        });
        if (this._amount !== null) amount.value = String(this._amount);
        renderDetails();

        const errors = {
            tx: el('p', { id: `${id}-tx-error`, class: 'field-error', hidden: true }),
            reason: el('p', { id: `${id}-reason-error`, class: 'field-error', hidden: true }),
            amount: el('p', { id: `${id}-amount-error`, class: 'field-error', hidden: true }),
        };
        const setError = (key, input, message) => {
            errors[key].textContent = message;
            errors[key].hidden = !message;
            if (message) input.setAttribute('aria-invalid', 'true');
            else input.removeAttribute('aria-invalid');
        };
        const form = el('form', { class: 'rev-step rev-pick', novalidate: true },
            el('h3', { class: 'rev-title', tabindex: '-1', 'data-focus': true, text: 'Reverse a payment' }),
            el('div', { class: 'field' },
                el('label', { for: `${id}-tx`, text: 'Payment to reverse' }), select,
                el('p', { id: `${id}-tx-hint`, class: 'field-hint', text: 'Only successful payments can be reversed.' }),
                errors.tx),
            details,
            el('div', { class: 'field' },
                el('label', { for: `${id}-amount`, text: 'Amount to reverse (KES)' }), amount,
                el('p', { id: `${id}-amount-hint`, class: 'field-hint', text: 'The full amount unless you change it.' }),
                errors.amount),
            el('div', { class: 'field' }, el('label', { for: `${id}-reason`, text: 'Reason' }), reason, errors.reason),
            el('button', { type: 'submit', class: 'btn btn-primary rev-continue', text: 'Continue' }));
        form.addEventListener('submit', (event) => {
            event.preventDefault();
            const t = this._selected;
            const n = Number(amount.value);
            setError('tx', select, t ? '' : 'Choose the payment to reverse.');
            setError('amount', amount, t && (!Number.isInteger(n) || n < 1 || n > Number(t.amount))
                ? `Enter a whole number from 1 to ${t.amount}.` : '');
            setError('reason', reason, reason.value.trim() ? '' : 'Give a reason for the reversal.');
            const firstBad = form.querySelector('[aria-invalid="true"]');
            if (firstBad) {
                firstBad.focus();
                return;
            }
            this._reason = reason.value.trim();
            this._amount = n;
            this._showConfirm();
        });
        this._setStep('pick', form, focus);
    }

    _showConfirm() {
        const t = this._selected;
        const confirmBtn = el('button', { type: 'button', class: 'btn btn-danger rev-confirm', text: `Reverse ${formatKES(this._amount)}` });
        const back = el('button', { type: 'button', class: 'btn btn-ghost rev-back', text: 'Back' });
        const error = el('p', { class: 'notice notice-error rev-error', role: 'alert', hidden: true });
        back.addEventListener('click', () => {
            this._emit('cancel', t);
            this._showPick(true);
        });
        confirmBtn.addEventListener('click', () => this._send(confirmBtn, back, error));
        const view = el('div', { class: 'rev-step rev-confirm-step', role: 'alertdialog', 'aria-labelledby': `${this._uid}-ctitle`, 'aria-describedby': `${this._uid}-cwarn` },
            el('h3', { id: `${this._uid}-ctitle`, class: 'rev-title', tabindex: '-1', 'data-focus': true, text: 'Confirm the reversal' }),
            el('p', { id: `${this._uid}-cwarn`, class: 'notice notice-warn rev-warning' },
                el('strong', { text: 'This cannot be undone. ' }),
                `M-Pesa will take ${formatKES(this._amount)} back from the business account and return it to `
                + `${displayPhone(t.phoneNumber)} (receipt ${t.mpesaReceiptNumber || t.id}). `
                + 'The payment will no longer count towards the lease.'),
            el('dl', { class: 'kv' },
                el('dt', { text: 'Receipt' }), el('dd', { text: t.mpesaReceiptNumber || '—' }),
                el('dt', { text: 'Amount' }), el('dd', { text: formatKES(this._amount) }),
                el('dt', { text: 'Reason' }), el('dd', { text: this._reason })),
            error,
            el('div', { class: 'btn-row' }, confirmBtn, back));
        this._setStep('confirm', view, true);
    }

    async _send(button, back, errorBox) {
        if (this._sending) return;
        const t = this._selected;
        const body = {
            transactionId: /^\d+$/.test(String(t.id)) ? Number(t.id) : t.id,
            amount: this._amount,
            remarks: this._reason.slice(0, 100),
            reason: this._reason,
        };
        const result = await sendOnce(this, '/api/v1/mpesa/reverse', body, {
            buttons: [button, back], main: button, busyText: 'Reversing…', idleText: `Reverse ${formatKES(this._amount)}`, errorBox, describeError,
        });
        if (result && result.approval) this._showHeld(result.approval);
        else if (result) this._wait(result);
    }

    /** Above the approval threshold: held for a second admin, nothing sent (202). */
    _showHeld(approval) {
        const again = el('button', { type: 'button', class: 'btn btn-secondary rev-again', text: 'Reverse another payment' });
        again.addEventListener('click', () => {
            this._selected = null;
            this._reason = '';
            this._amount = null;
            this._attempt = null;
            this.removeAttribute('transaction-id');
            this.reload();
        });
        this._setStep('held', heldView(approval, 'rev', again), true);
        this._emit('held', approval);
    }

    async _wait(initial) {
        const live = el('p', { text: 'Sent to M-Pesa. Waiting for the result…' });
        this._setStep('waiting', el('div', { class: 'rev-step rev-waiting' },
            el('div', { class: 'spinner', 'aria-hidden': 'true' }),
            el('h3', { class: 'rev-title', tabindex: '-1', 'data-focus': true, text: 'Reversing' }),
            el('div', { role: 'status', 'aria-live': 'polite' }, live)), true);
        let tx = { ...initial };
        if (initial.id && (!initial.status || initial.status === 'PENDING')) {
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
        }
        this._showResult(tx);
    }

    _showResult(tx) {
        const ok = tx.status === 'SUCCESS';
        const pending = !tx.status || tx.status === 'PENDING';
        const again = el('button', { type: 'button', class: 'btn btn-secondary rev-again', text: 'Reverse another payment' });
        again.addEventListener('click', () => {
            this._selected = null;
            this._reason = '';
            this._amount = null;
            this._attempt = null;
            this.removeAttribute('transaction-id');
            this.reload();
        });
        const view = el('div', { class: `rev-step rev-result ${ok ? 'rev-success' : pending ? 'rev-pending' : 'rev-failure'}`, role: ok ? 'status' : 'alert' },
            el('h3', { class: 'rev-title', tabindex: '-1', 'data-focus': true,
                text: ok ? 'Payment reversed' : pending ? 'Reversal still processing' : 'Reversal failed' }),
            el('dl', { class: 'kv' },
                el('dt', { text: 'Status' }), el('dd', { class: 'rev-status', text: tx.status || 'PENDING' }),
                tx.mpesaReceiptNumber ? [el('dt', { text: 'Reversal receipt' }), el('dd', { text: tx.mpesaReceiptNumber })] : null,
                tx.resultDescription ? [el('dt', { text: 'M-Pesa says' }), el('dd', { text: tx.resultDescription })] : null,
                tx.id ? [el('dt', { text: 'Transaction' }), el('dd', {}, el('a', { href: `/transactions.html?id=${encodeURIComponent(tx.id)}`, text: String(tx.id) }))] : null),
            el('p', { class: 'rev-next', text: ok ? 'The money has been returned to the payer.'
                : pending ? 'M-Pesa has not answered yet; the result will appear in Transactions. Do not reverse again until it does.'
                    : 'Nothing was reversed. Check the account balance and the reason M-Pesa gave, then try again.' }),
            again);
        this._setStep('result', view, true);
        if (!pending) this._emit(ok ? 'success' : 'failure', tx);
    }
}

function describeError(err) {
    if (err instanceof ApiError) {
        if (err.status === 403) return 'Only admins can reverse payments.';
        const details = err.details.map((d) => d.message).filter(Boolean);
        return details.length ? `${err.message}: ${details.join('; ')}` : err.message;
    }
    return (err && err.message) || 'Something went wrong.';
}

if (!customElements.get('transaction-reversal')) customElements.define('transaction-reversal', TransactionReversal);
