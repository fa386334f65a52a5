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
        if (result.twoFactorRequired) {
            askForCode(result.challenge);
            return;
        }
        if (result.twoFactorSetupRequired) {
            // The agency requires two-factor login for admins: enrol first; enrolment finishes the login.
            sessionStorage.setItem('haven.enrolChallenge', result.challenge);
            location.assign(`/two-factor.html?enrol=1&next=${encodeURIComponent(safeNext())}`);
            return;
        }
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

if (new URLSearchParams(location.search).get('expired') === '1') {
    document.getElementById('session-expired').hidden = false;
}

const codeForm = document.getElementById('code-form');
const codeError = document.getElementById('code-error');
const codeSubmit = document.getElementById('code-submit');
const useRecovery = document.getElementById('use-recovery');
let challenge = '';
let recoveryMode = false;

function askForCode(value) {
    challenge = value;
    form.hidden = true;
    document.getElementById('login-title').textContent = 'Two-factor login';
    codeForm.hidden = false;
    codeForm.code.focus();
}

useRecovery.addEventListener('click', () => {
    recoveryMode = !recoveryMode;
    document.getElementById('code-field').hidden = recoveryMode;
    document.getElementById('recovery-field').hidden = !recoveryMode;
    document.getElementById('code-hint').textContent = recoveryMode
        ? 'Enter one of the recovery codes you saved; each works once.'
        : 'Enter the 6-digit code from your authenticator app.';
    useRecovery.textContent = recoveryMode ? 'Use a code from the app instead' : 'Use a recovery code instead';
    (recoveryMode ? codeForm.recoveryCode : codeForm.code).focus();
});

codeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    codeError.hidden = true;
    const body = { challenge };
    if (recoveryMode) body.recoveryCode = codeForm.recoveryCode.value.trim();
    else body.code = codeForm.code.value.trim();
    codeSubmit.disabled = true;
    try {
        const result = await api('/api/v1/auth/login/totp', { method: 'POST', body, auth: false });
        saveSession(result.token, result.user);
        location.assign(safeNext());
    } catch (err) {
        codeError.textContent = err.status === 401 && err.message === 'wrong code'
            ? 'That code is not right. Try the newest code from your app.'
            : err.message;
        codeError.hidden = false;
        codeSubmit.disabled = false;
        if (err.status === 401 && err.message !== 'wrong code') {
            // The challenge ran out: start again from the password.
            codeForm.hidden = true;
            form.hidden = false;
            errorBox.textContent = err.message;
            errorBox.hidden = false;
        }
    }
});
