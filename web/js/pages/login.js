import { api, saveSession } from '../api.js';

const form = document.getElementById('login-form');
const errorBox = document.getElementById('login-error');
const submit = document.getElementById('login-submit');

function safeNext() {
    const next = new URLSearchParams(location.search).get('next') || '';
    // Only same-site paths: "/x", never "//host" or "http:".
    return /^\/(?!\/)[\w\-./?=&%]*$/.test(next) && !next.startsWith('/index.html') ? next : '/dashboard.html';
}

api('/api/v1/config', { auth: false }).then((config) => {
    const badge = document.getElementById('env');
    if (config && config.environment && config.environment !== 'production') {
        badge.textContent = config.environment;
        badge.hidden = false;
    }
}).catch(() => {});

form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const email = form.email.value.trim();
    const password = form.password.value;
    if (!email || !password) {
        errorBox.textContent = 'Enter your email and password.';
        errorBox.hidden = false;
        (email ? form.password : form.email).focus();
        return;
    }
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    try {
        const result = await api('/api/v1/auth/login', { method: 'POST', body: { email, password }, auth: false });
        saveSession(result.token, result.user);
        location.assign(safeNext());
    } catch (err) {
        // A 429 says how long to wait ("... try again in 8 seconds"): show the server's words as they are.
        errorBox.textContent = err.status === 401 || err.code === 'UNAUTHORIZED'
            ? 'Wrong email or password.'
            : err.message;
        errorBox.hidden = false;
        submit.disabled = false;
        submit.textContent = 'Log in';
        form.password.select();
        form.password.focus();
    }
});
