// Account page (everyone): change your own password. The server checks the current one like a login and the new one
// against the password policy (zxcvbn's feedback shown as it comes); then every session ends and you log in again.
import { api, clearSession } from '../api.js';
import { errorText, initPage, showMessage } from '../nav.js';

async function main() {
    const { user } = await initPage();
    const form = document.getElementById('password-form');
    const errorBox = document.getElementById('password-error');
    const show = (text) => {
        errorBox.textContent = text;
        errorBox.hidden = !text;
    };
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        show('');
        const currentPassword = form.elements.currentPassword.value;
        const newPassword = form.elements.newPassword.value;
        if (newPassword !== form.elements.confirm.value) {
            show('The two new passwords differ.');
            return;
        }
        try {
            await api('/api/v1/auth/password', { method: 'POST', body: { currentPassword, newPassword } });
            form.reset();
            showMessage('Password changed. Log in again with the new password.', 'success');
            clearSession();
            setTimeout(() => location.assign(`/index.html?email=${encodeURIComponent(user ? user.email : '')}`), 1500);
        } catch (err) {
            show(err.code === 'VALIDATION_ERROR' ? err.message : errorText(err));
        }
    });
}

main();
