// Agency settings (admins): the approval threshold, the daily payout limit and how long approval requests wait.
import { api } from '../api.js';
import { errorText, initPage, showMessage } from '../nav.js';

const form = document.getElementById('settings-form');
const threshold = document.getElementById('s-threshold');
const limit = document.getElementById('s-limit');
const expiry = document.getElementById('s-expiry');
const save = document.getElementById('s-save');

function show(s) {
    threshold.value = s.approvalThreshold ?? '';
    limit.value = s.dailyPayoutLimit ?? '';
    expiry.value = s.approvalExpiryMinutes;
}

/** An input's whole shillings, or null when empty. */
function amountOrNull(input) {
    const text = input.value.trim();
    return text === '' ? null : Number(text);
}

async function main() {
    await initPage();
    try {
        show(await api('/api/v1/agency/settings'));
    } catch (err) {
        showMessage(`Could not load the settings: ${errorText(err)}`, 'error');
        return;
    }
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        save.disabled = true;
        try {
            const body = { approvalThreshold: amountOrNull(threshold), dailyPayoutLimit: amountOrNull(limit),
                approvalExpiryMinutes: Number(expiry.value) };
            show(await api('/api/v1/agency/settings', { method: 'PATCH', body }));
            showMessage('Settings saved.', 'ok');
        } catch (err) {
            showMessage(`Could not save: ${errorText(err)}`, 'error');
        } finally {
            save.disabled = false;
        }
    });
}

main();
