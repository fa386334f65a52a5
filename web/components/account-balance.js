// <account-balance> — the business account balances from GET /api/v1/mpesa/balance/latest,
// with a Refresh button that asks Daraja (POST /api/v1/mpesa/balance) and waits for the result.
//
// Attributes: readonly (no Refresh button, e.g. for viewers), poll-interval-ms (2000), poll-timeout-ms (60000)
// Events (bubbling, composed): refreshed (detail = latest balance), error (detail = Error).
import { api, ApiError, sleep } from '../js/api.js';
import { el, formatDateTime, formatKES } from '../js/format.js';

export class AccountBalance extends HTMLElement {
    static get observedAttributes() {
        return ['readonly'];
    }

    constructor() {
        super();
        this._latest = null;
        this._refreshing = false;
        this._abort = null;
        this._built = false;
    }

    connectedCallback() {
        this.classList.add('account-balance');
        if (!this._built) {
            this._build();
            this.load();
        }
    }

    disconnectedCallback() {
        if (this._abort) this._abort.abort();
    }

    attributeChangedCallback() {
        if (this._built) this._refreshButton.hidden = this.hasAttribute('readonly');
    }

    get latest() {
        return this._latest;
    }

    _build() {
        this._built = true;
        this._title = el('h2', { class: 'card-title', text: 'M-Pesa balance' });
        this._refreshButton = el('button', { type: 'button', class: 'btn btn-secondary btn-small ab-refresh', text: 'Refresh' });
        this._refreshButton.hidden = this.hasAttribute('readonly');
        this._refreshButton.addEventListener('click', () => this.refresh());
        this._body = el('div', { class: 'ab-accounts' });
        this._checked = el('p', { class: 'ab-checked muted' });
        this._status = el('p', { class: 'ab-status', role: 'status', 'aria-live': 'polite' });
        this.replaceChildren(
            el('div', { class: 'card-head' }, this._title, this._refreshButton),
            this._body, this._checked, this._status);
    }

    /** The last check, or null before the first one. */
    async _fetchLatest() {
        return api('/api/v1/mpesa/balance/latest');
    }

    /** Loads the last known balance. */
    async load() {
        try {
            this._latest = await this._fetchLatest();
            this._render();
        } catch (err) {
            this._status.textContent = `Could not load the balance: ${err.message}`;
            this._emit('error', err);
        }
    }

    /** Asks Daraja for a fresh balance and waits for the answer. */
    async refresh() {
        if (this._refreshing) return;
        this._refreshing = true;
        this._refreshButton.disabled = true;
        this._refreshButton.textContent = 'Refreshing…';
        this.dataset.state = 'refreshing';
        this._status.textContent = 'Asking M-Pesa for the balance…';
        const before = this._latest ? this._latest.checkedAt : null;
        const abort = new AbortController();
        this._abort = abort;
        try {
            const request = await api('/api/v1/mpesa/balance', { method: 'POST', body: {} });
            const interval = Number(this.getAttribute('poll-interval-ms')) || 2000;
            const deadline = Date.now() + (Number(this.getAttribute('poll-timeout-ms')) || 60000);
            let done = false;
            while (!done && Date.now() < deadline) {
                await sleep(interval, abort.signal);
                const latest = await this._fetchLatest();
                if (!latest) continue;
                const sameRequest = request && request.id !== undefined && latest.id !== undefined && String(latest.id) === String(request.id);
                const newer = latest.checkedAt && latest.checkedAt !== before;
                if ((sameRequest || (newer && latest.id === undefined)) && latest.status !== 'PENDING') {
                    this._latest = latest;
                    done = true;
                } else if (sameRequest && latest.status === 'PENDING') {
                    this._status.textContent = 'Waiting for M-Pesa to answer…';
                }
            }
            if (done) {
                this._render();
                const failed = this._latest.status && this._latest.status !== 'SUCCESS';
                this._status.textContent = failed
                    ? `M-Pesa could not give the balance${this._latest.resultDescription ? `: ${this._latest.resultDescription}` : ''}.`
                    : 'Balance updated.';
                this.dataset.state = failed ? 'failed' : 'updated';
                this._emit('refreshed', this._latest);
            } else {
                this._status.textContent = 'M-Pesa has not answered yet. Try again in a minute.';
                this.dataset.state = 'timeout';
            }
        } catch (err) {
            if (err && err.name === 'AbortError') return;
            this.dataset.state = 'failed';
            this._status.textContent = err instanceof ApiError && err.status === 403
                ? 'Your role cannot refresh the balance.'
                : `Could not refresh: ${err.message}`;
            this._emit('error', err);
        } finally {
            this._refreshing = false;
            this._refreshButton.disabled = false;
            this._refreshButton.textContent = 'Refresh';
        }
    }

    _render() {
        const latest = this._latest;
        const accounts = (latest && latest.accounts) || [];
        if (!latest) {
            this._body.replaceChildren(el('p', { class: 'muted', text: 'The balance has not been checked yet.' }));
            this._checked.textContent = '';
            return;
        }
        if (!accounts.length) {
            this._body.replaceChildren(el('p', { class: 'muted', text: 'No accounts in the last answer.' }));
        } else {
            this._body.replaceChildren(el('ul', { class: 'ab-list' }, accounts.map((a) => el('li', { class: 'ab-account' },
                el('span', { class: 'ab-name', text: a.name }),
                el('span', { class: 'ab-available' }, el('span', { class: 'visually-hidden', text: 'available ' }),
                    a.currency && a.currency !== 'KES' ? `${a.currency} ${a.available}` : formatKES(a.available)),
                a.reserved || a.uncleared ? el('span', { class: 'ab-extra muted',
                    text: `reserved ${formatKES(a.reserved)} · uncleared ${formatKES(a.uncleared)}` }) : null))));
        }
        this._checked.textContent = latest.checkedAt ? `Last checked ${formatDateTime(latest.checkedAt)}` : '';
    }

    _emit(name, detail) {
        this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
    }
}

if (!customElements.get('account-balance')) customElements.define('account-balance', AccountBalance);
