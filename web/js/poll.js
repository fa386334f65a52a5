// Waiting for M-Pesa: polls a transaction until it leaves PENDING, shared by the money components.
import { api, sleep } from './api.js';

/**
 * Polls GET /api/v1/mpesa/transactions/:id every intervalMs until the status is final or timeoutMs
 * has passed; returns the last transaction seen (merged over `initial`). onUpdate(tx, error) is
 * called after each attempt. Throws an AbortError when `signal` aborts.
 */
export async function pollTransaction(initial, { intervalMs = 3000, timeoutMs = 120000, signal, onUpdate } = {}) {
    let tx = { ...initial };
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        await sleep(intervalMs, signal);
        try {
            tx = { ...tx, ...(await api(`/api/v1/mpesa/transactions/${encodeURIComponent(initial.id)}`, { signal })) };
            if (onUpdate) onUpdate(tx, null);
            if (tx.status && tx.status !== 'PENDING') break;
        } catch (err) {
            if (err && err.name === 'AbortError') throw err;
            if (onUpdate) onUpdate(tx, err);
        }
    }
    return tx;
}

/** The live line under a spinner: M-Pesa's own words when it has spoken, else a connection note. */
export function liveText(tx, err, current) {
    if (err) return 'Connection problem, still trying…';
    return tx.resultDescription ? `M-Pesa: ${tx.resultDescription}` : current;
}
