// The dashboard's banner: open alerts (money that stopped flowing: GET /api/v1/alerts) and, for admins, webhook
// endpoints the gateway disabled after failing too long (GET /api/v1/webhooks/endpoints), each with where to act.
import { api } from './api.js';
import { el, formatDateTime } from './format.js';

const kAlertTitles = {
    callbacks_missing: 'M-Pesa callbacks are not arriving',
    webhooks_failing: 'Webhook deliveries are failing',
};

function alertNotice(alert) {
    const link = alert.code === 'webhooks_failing'
        ? el('a', { href: '/webhooks.html', text: 'Open Webhooks' })
        : el('a', { href: '/review.html', text: 'Open Needs review' });
    return el('div', { class: 'notice notice-error', 'data-alert': alert.code },
        el('p', {}, el('strong', { text: kAlertTitles[alert.code] || 'Alert' }),
            ` (since ${formatDateTime(alert.openedAt)})`),
        el('p', { text: alert.message }),
        el('p', {}, link));
}

function disabledNotice(endpoint) {
    return el('div', { class: 'notice notice-warn', 'data-disabled-endpoint': String(endpoint.id) },
        el('p', {}, el('strong', { text: 'A webhook endpoint was disabled' }),
            ` (${formatDateTime(endpoint.disabledAt)})`),
        el('p', {}, el('code', { class: 'key-value', text: endpoint.url }), `: ${endpoint.disabledReason}`),
        el('p', {}, el('a', { href: '/webhooks.html', text: 'Open Webhooks to enable it again' })));
}

/** Fills <div id="alerts"> (empty when all is well). Either half shows even when the other cannot be loaded. */
export async function showAlerts(user) {
    const box = document.getElementById('alerts');
    if (!box) return;
    const [alerts, endpoints] = await Promise.allSettled([
        api('/api/v1/alerts'),
        user && user.role === 'admin' ? api('/api/v1/webhooks/endpoints') : Promise.resolve([]),
    ]);
    const open = alerts.status === 'fulfilled' ? alerts.value : [];
    const disabled = endpoints.status === 'fulfilled' ? endpoints.value.filter((e) => !e.enabled && e.disabledReason) : [];
    box.replaceChildren(...open.map(alertNotice), ...disabled.map(disabledNotice));
    const failed = [alerts, endpoints].find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
}
