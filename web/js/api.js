// Fetch wrapper for the Haven M-Pesa REST API.
// - adds the JWT from sessionStorage (staff pages) as "Authorization: Bearer ..."
// - sends and parses JSON; unwraps {"success":true,"data":...}
// - turns the error envelope into an ApiError with code / message / details / status / requestId
// - a 401 on an authenticated call renews the session once (POST /api/v1/auth/refresh with the HttpOnly
//   refresh cookie; one renewal in flight at a time) and retries; when renewal fails too, the session is cleared
//   and the login page says "Your session expired, log in again"
// Embedders (e.g. Haven's React app) may call configureApi({baseUrl, getToken, onUnauthorized, renew: false}).

const kTokenKey = 'haven.token';
const kUserKey = 'haven.user';

const settings = {
    baseUrl: '',
    getToken: () => sessionStorage.getItem(kTokenKey),
    onUnauthorized: () => {
        clearSession();
        const next = encodeURIComponent(location.pathname + location.search);
        location.assign(`/index.html?expired=1&next=${next}`);
    },
    renew: true,
};

let renewal = null;

/**
 * Renews the access token with the refresh cookie. Concurrent callers share one request (a refresh token is good
 * once: two renewals at once would look like a stolen token and end the session). Resolves true when renewed.
 */
export function renewSession() {
    if (!renewal) {
        renewal = (async () => {
            try {
                const response = await fetch(`${settings.baseUrl}/api/v1/auth/refresh`, {
                    method: 'POST',
                    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
                    body: '{}',
                    credentials: 'same-origin',
                });
                if (!response.ok) return false;
                const payload = await response.json();
                if (!payload || !payload.data || !payload.data.token) return false;
                saveSession(payload.data.token, payload.data.user);
                return true;
            } catch {
                return false;
            } finally {
                renewal = null;
            }
        })();
    }
    return renewal;
}

/** Ends the session on the server (revokes the refresh token chain and its cookie) and here. */
export async function logout() {
    try {
        await fetch(`${settings.baseUrl}/api/v1/auth/logout`, {
            method: 'POST',
            headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
            body: '{}',
            credentials: 'same-origin',
        });
    } catch {
        // Offline: the local session still ends; the refresh token runs out on its own.
    }
    clearSession();
}

export class ApiError extends Error {
    constructor({ status = 0, code = 'NETWORK_ERROR', message = 'Request failed', details = [], requestId = null }) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
        this.code = code;
        this.details = Array.isArray(details) ? details : [];
        this.requestId = requestId;
    }

    /** The message for one field from details, or "". */
    fieldMessage(field) {
        const hit = this.details.find((d) => d && d.field === field);
        return hit ? hit.message : '';
    }
}

export function configureApi(options = {}) {
    Object.assign(settings, options);
}

export function saveSession(token, user) {
    sessionStorage.setItem(kTokenKey, token);
    sessionStorage.setItem(kUserKey, JSON.stringify(user || null));
}

export function clearSession() {
    sessionStorage.removeItem(kTokenKey);
    sessionStorage.removeItem(kUserKey);
}

export function currentUser() {
    try {
        return JSON.parse(sessionStorage.getItem(kUserKey) || 'null');
    } catch {
        return null;
    }
}

export function hasToken() {
    return Boolean(settings.getToken());
}

/** A fresh idempotency key. */
export function newIdempotencyKey() {
    if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Calls the API. options: {method, body, auth (default true), idempotencyKey, query, signal}.
 * Resolves with the "data" member; rejects with ApiError.
 */
export async function api(path, options = {}) {
    const { method = 'GET', body, auth = true, idempotencyKey, query, signal, retried = false } = options;
    let url = settings.baseUrl + path;
    if (query) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) {
            if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
        }
        const qs = params.toString();
        if (qs) url += (url.includes('?') ? '&' : '?') + qs;
    }
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const token = auth ? settings.getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;

    let response;
    try {
        response = await fetch(url, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            signal,
        });
    } catch (err) {
        if (err && err.name === 'AbortError') throw err;
        throw new ApiError({ message: 'Cannot reach the server. Check your connection and try again.' });
    }

    const requestId = response.headers.get('Request-Id');
    let payload = null;
    const text = await response.text();
    if (text) {
        try {
            payload = JSON.parse(text);
        } catch {
            payload = null;
        }
    }

    if (response.ok && payload && payload.success !== false) {
        return Object.prototype.hasOwnProperty.call(payload, 'data') ? payload.data : payload;
    }

    const error = (payload && payload.error) || {};
    const apiError = new ApiError({
        status: response.status,
        code: error.code || (response.status === 401 ? 'UNAUTHORIZED' : `HTTP_${response.status}`),
        message: error.message || response.statusText || 'Request failed',
        details: error.details || [],
        requestId,
    });
    if (response.status === 401 && token) {
        // The access token lives minutes: renew it silently and try once more before giving up.
        if (settings.renew && !retried && await renewSession()) return api(path, { ...options, retried: true });
        settings.onUnauthorized(apiError);
    }
    throw apiError;
}

/** Polls fn() every intervalMs until done(result) or the deadline; returns the last result. */
export async function poll(fn, done, { intervalMs = 3000, timeoutMs = 90000, signal, onTick } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        if (signal && signal.aborted) throw new DOMException('aborted', 'AbortError');
        try {
            last = await fn();
            if (onTick) onTick(last, null);
            if (done(last)) return { result: last, timedOut: false };
        } catch (err) {
            if (err && err.name === 'AbortError') throw err;
            if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) throw err;
            if (onTick) onTick(last, err);
        }
        if (Date.now() + intervalMs > deadline) return { result: last, timedOut: true };
        await sleep(intervalMs, signal);
    }
}

export function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        const id = setTimeout(resolve, ms);
        if (signal) {
            signal.addEventListener('abort', () => {
                clearTimeout(id);
                reject(new DOMException('aborted', 'AbortError'));
            }, { once: true });
        }
    });
}

/**
 * Downloads an authenticated file (e.g. the audit log's CSV export): the bearer token is not a cookie, so a plain
 * link cannot carry it. Fetches with the token, then saves the Blob under `filename`. Rejects with ApiError.
 */
export async function apiDownload(path, { query, filename = 'download', accept = '*/*' } = {}) {
    let url = settings.baseUrl + path;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query || {})) {
        if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    if (params.toString()) url += (url.includes('?') ? '&' : '?') + params.toString();
    const headers = { Accept: accept };
    const token = settings.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
        response = await fetch(url, { headers, credentials: 'same-origin' });
    } catch {
        throw new ApiError({ message: 'Cannot reach the server. Check your connection and try again.' });
    }
    if (!response.ok) {
        let error = {};
        try {
            error = (await response.json()).error || {};
        } catch {
            error = {};
        }
        const apiError = new ApiError({ status: response.status, code: error.code || `HTTP_${response.status}`,
            message: error.message || response.statusText || 'Download failed', details: error.details || [],
            requestId: response.headers.get('Request-Id') });
        if (response.status === 401 && token) settings.onUnauthorized(apiError);
        throw apiError;
    }
    const blob = await response.blob();
    const href = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = href;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 0);
    return blob;
}
