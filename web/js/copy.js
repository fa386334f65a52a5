// Copying a value shown once (an API key, a webhook signing secret): to the clipboard when the browser allows it,
// else the text is selected for Ctrl+C. `what` names it in the message ("Key", "Secret").
import { showMessage } from './nav.js';

export async function copyShownOnce(element, what) {
    try {
        await navigator.clipboard.writeText(element.textContent);
        showMessage(`${what} copied.`, 'ok');
    } catch {
        window.getSelection().selectAllChildren(element);
        showMessage(`Select the ${what.toLowerCase()} and copy it (Ctrl+C).`, 'info');
    }
}
