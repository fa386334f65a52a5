// Two-factor login: enrol (secret + otpauth URI, confirm with a code, recovery codes shown once), turn off, and the
// agency's "admins must use two-factor login" policy for admins. Also the enrolment an admin is sent to at login
// when the policy requires it (?enrol=1, with the login's challenge instead of a session).
import { api, saveSession } from '../api.js';
import { errorText, initPage, showMessage } from '../nav.js';

const enrolChallenge = new URLSearchParams(location.search).get('enrol') === '1'
    ? sessionStorage.getItem('haven.enrolChallenge') : null;
const $ = (id) => document.getElementById(id);
let afterCodes = () => load();

function showSecret(setup) {
    $('totp-secret').textContent = setup.secret.replace(/(.{4})/g, '$1 ').trim();
    $('totp-uri').textContent = setup.otpauthUri;
    $('totp-uri').href = setup.otpauthUri;
    $('setup-card').hidden = false;
    $('enable-code').focus();
}

async function startSetup() {
    showMessage('');
    try {
        const body = enrolChallenge ? { challenge: enrolChallenge } : {};
        showSecret(await api('/api/v1/auth/totp/setup', { method: 'POST', body, auth: !enrolChallenge }));
        $('start-setup').hidden = true;
    } catch (err) {
        showMessage(errorText(err), 'error');
    }
}

$('enable-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('enable-error').hidden = true;
    const body = { code: $('enable-code').value.trim() };
    if (enrolChallenge) body.challenge = enrolChallenge;
    $('enable-submit').disabled = true;
    try {
        const result = await api('/api/v1/auth/totp/enable', { method: 'POST', body, auth: !enrolChallenge });
        if (result.token) {
            saveSession(result.token, result.user);
            sessionStorage.removeItem('haven.enrolChallenge');
            const next = new URLSearchParams(location.search).get('next') || '/dashboard.html';
            afterCodes = () => location.assign(/^\/(?!\/)/.test(next) ? next : '/dashboard.html');
        }
        $('setup-card').hidden = true;
        $('recovery-codes').replaceChildren(...result.recoveryCodes.map((code) => {
            const li = document.createElement('li');
            li.textContent = code;
            return li;
        }));
        $('codes-card').hidden = false;
    } catch (err) {
        $('enable-error').textContent = errorText(err);
        $('enable-error').hidden = false;
    } finally {
        $('enable-submit').disabled = false;
    }
});

$('codes-done').addEventListener('click', () => {
    $('codes-card').hidden = true;
    $('recovery-codes').replaceChildren();
    afterCodes();
});

$('disable-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('disable-error').hidden = true;
    const body = {};
    const code = $('disable-code').value.trim();
    if (code) body.code = code;
    else body.password = $('disable-password').value;
    try {
        await api('/api/v1/auth/totp/disable', { method: 'POST', body });
        $('disable-form').reset();
        showMessage('Two-factor login is off.', 'ok');
        load();
    } catch (err) {
        $('disable-error').textContent = errorText(err);
        $('disable-error').hidden = false;
    }
});

$('require-admin-2fa').addEventListener('change', async (event) => {
    const box = event.target;
    box.disabled = true;
    try {
        const result = await api('/api/v1/agency/security', {
            method: 'PATCH', body: { requireAdminTwoFactor: box.checked },
        });
        box.checked = result.requireAdminTwoFactor;
        showMessage(box.checked ? 'Admins must now use two-factor login.' : 'Two-factor login is optional for admins.', 'ok');
    } catch (err) {
        box.checked = !box.checked;
        showMessage(errorText(err), 'error');
    } finally {
        box.disabled = false;
    }
});

$('start-setup').addEventListener('click', startSetup);

async function load() {
    try {
        const status = await api('/api/v1/auth/totp');
        $('totp-status').textContent = status.enabled
            ? `Two-factor login is on. Recovery codes left: ${status.recoveryCodesLeft}.`
            : 'Two-factor login is off.';
        $('start-setup').hidden = status.enabled;
        $('disable-card').hidden = !status.enabled;
    } catch (err) {
        showMessage(errorText(err), 'error');
    }
}

if (enrolChallenge) {
    $('enrol-required').hidden = false;
    $('status-card').hidden = true;
    startSetup();
} else {
    initPage().then(async ({ user }) => {
        await load();
        if (user && user.role === 'admin') {
            const policy = await api('/api/v1/agency/security');
            $('require-admin-2fa').checked = policy.requireAdminTwoFactor;
            $('policy-card').hidden = false;
        }
    });
}
