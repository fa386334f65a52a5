// Sending a money-moving request from a component: one Idempotency-Key per distinct body (a double
// click or a resend after an error never pays twice), buttons disabled while it is in flight.
import { api, newIdempotencyKey } from './api.js';

/**
 * POSTs `body` to `path` for `owner` (a component: `_attempt` and `_sending` live on it).
 * `ui` = { buttons: [HTMLButtonElement], main: the button whose label changes, busyText, idleText,
 *          errorBox, describeError }. Returns the API's data, or null after showing the error.
 */
export async function sendOnce(owner, path, body, ui) {
    const bodyText = JSON.stringify(body);
    if (!owner._attempt || owner._attempt.body !== bodyText) owner._attempt = { key: newIdempotencyKey(), body: bodyText };
    owner._sending = true;
    for (const b of ui.buttons) b.disabled = true;
    ui.main.textContent = ui.busyText;
    ui.errorBox.hidden = true;
    try {
        return await api(path, { method: 'POST', body, idempotencyKey: owner._attempt.key });
    } catch (err) {
        for (const b of ui.buttons) b.disabled = false;
        ui.main.textContent = ui.idleText;
        ui.errorBox.textContent = ui.describeError(err);
        ui.errorBox.hidden = false;
        return null;
    } finally {
        owner._sending = false;
    }
}
