// A payout or reversal above the agency's approval threshold is not sent: the gateway answers 202 with
// {approval} and a second admin approves it on the approvals page. This is the view both components show then.
import { displayPhone, el, formatDateTime, formatKES } from './format.js';

/** The "waiting for approval" step for `approval` (the 202's data.approval); `prefix` is the component's class prefix. */
export function heldView(approval, prefix, again) {
    return el('div', { class: `${prefix}-step ${prefix}-result ${prefix}-held held-for-approval`, role: 'status' },
        el('h3', { class: `${prefix}-title`, tabindex: '-1', 'data-focus': true, text: 'Waiting for approval' }),
        el('p', { class: 'held-text', text: 'This amount is above the agency\'s approval threshold, so nothing has been sent yet. '
            + 'Another admin must approve it on the Approvals page; it is sent to M-Pesa then.' }),
        el('dl', { class: 'kv' },
            el('dt', { text: 'Amount' }), el('dd', { text: formatKES(approval.amount) }),
            el('dt', { text: 'To' }), el('dd', { text: displayPhone(approval.phoneNumber) }),
            el('dt', { text: 'Approval request' }), el('dd', {}, el('a', { href: '/approvals.html', text: `#${approval.id}` })),
            el('dt', { text: 'Expires' }), el('dd', { text: formatDateTime(approval.expiresAt) })),
        again);
}
