// Invite and reset links (/invite.html#token=...): the person sets a password; the server's password policy answers
// with zxcvbn's feedback when it is too easy to guess. Then on to the login page. The token stays in the fragment,
// so it never reaches a server log.
import { api, clearSession } from '../api.js';
import { errorText } from '../nav.js';

function tokenFromHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    return params.get('token') || '';
}

function main() {
    const form = document.getElementById('invite-form');
    const feedback = document.getElementById('password-feedback');
    const done = document.getElementById('invite-done');
    const token = tokenFromHash();
    const show = (text) => {
        feedback.textContent = text;
        feedback.hidden = !text;
    };
    if (!token) {
        show('This link is incomplete: open the whole link your agency admin sent you.');
        form.hidden = true;
        return;
    }
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        show('');
        const password = form.elements.password.value;
        if (password !== form.elements.confirm.value) {
            show('The two passwords differ.');
            return;
        }
        const submit = document.getElementById('invite-submit');
        submit.disabled = true;
        try {
            const answer = await api('/api/v1/invites/accept', { method: 'POST', auth: false, body: { token, password } });
            clearSession();
            form.hidden = true;
            done.textContent = `Password set for ${answer.user.email}. Taking you to the login page…`;
            done.hidden = false;
            history.replaceState(null, '', location.pathname);  // the used token leaves the address bar
            setTimeout(() => location.assign(`/index.html?email=${encodeURIComponent(answer.user.email)}`), 1200);
        } catch (err) {
            show(err.code === 'VALIDATION_ERROR' && err.details.length ? err.message : errorText(err));
        } finally {
            submit.disabled = false;
        }
    });
}

main();
