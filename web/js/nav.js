// Page chrome: checks the session, renders the header and navigation for the user's role.
// The viewer role sees no payout links; the virtual phone link appears only in simulator mode.
import { api, currentUser, hasToken, logout as logoutSession, saveSession } from './api.js';
import { el } from './format.js';

const kLinks = [
    { href: '/dashboard.html', label: 'Dashboard' },
    { href: '/transactions.html', label: 'Transactions' },
    { href: '/leases.html', label: 'Leases' },
    { href: '/rent-roll.html', label: 'Rent roll', roles: ['admin', 'manager'] },
    { href: '/analytics.html', label: 'Analytics' },
    { href: '/review.html', label: 'Needs review', badge: 'review' },
    { href: '/unmatched.html', label: 'Unmatched payments', roles: ['admin', 'manager'] },
    { href: '/reconciliation.html', label: 'Reconciliation' },
    { href: '/payouts.html', label: 'Payouts', roles: ['admin'] },
    { href: '/approvals.html', label: 'Approvals', roles: ['admin'] },
    { href: '/users.html', label: 'Users', roles: ['admin'] },
    { href: '/api-keys.html', label: 'API keys', roles: ['admin'] },
    { href: '/audit.html', label: 'Audit log', roles: ['admin'] },
    { href: '/privacy.html', label: 'Privacy', roles: ['admin'] },
    { href: '/paybill.html', label: 'Paybill', roles: ['admin', 'manager'] },
    { href: '/webhooks.html', label: 'Webhooks', roles: ['admin'] },
    { href: '/settings.html', label: 'Settings', roles: ['admin'] },
    { href: '/phone.html', label: 'Virtual phone', simulatorOnly: true },
    { href: '/account.html', label: 'Account' },
    { href: '/two-factor.html', label: 'Two-factor login' },
];

let configPromise = null;

/** GET /api/v1/config, cached for the page's lifetime. */
export function getConfig() {
    if (!configPromise) {
        configPromise = api('/api/v1/config', { auth: false }).catch(() => ({ environment: 'unknown', simulator: false }));
    }
    return configPromise;
}

export function canPayOut(user) {
    return Boolean(user) && user.role === 'admin';
}

export function canWrite(user) {
    return Boolean(user) && (user.role === 'admin' || user.role === 'manager');
}

/**
 * Requires a logged-in user (else goes to the login page), renders the header into <header id="app-header">.
 * Resolves with {user, config}.
 */
export async function initPage() {
    if (!hasToken()) {
        const next = encodeURIComponent(location.pathname + location.search);
        location.replace(`/index.html?next=${next}`);
        return new Promise(() => {});
    }
    const [me, config] = await Promise.all([api('/api/v1/auth/me').catch((err) => {
        if (err.status === 401) return new Promise(() => {});
        return currentUser();
    }), getConfig()]);
    const user = me || currentUser();
    if (me) saveSession(sessionStorage.getItem('haven.token'), me);
    renderHeader(user, config);
    document.body.dataset.role = user ? user.role : '';
    return { user, config };
}

export function renderHeader(user, config) {
    const header = document.getElementById('app-header');
    if (!header) return;
    const here = location.pathname === '/' ? '/index.html' : location.pathname;
    const links = kLinks.filter((link) => {
        if (link.roles && (!user || !link.roles.includes(user.role))) return false;
        if (link.simulatorOnly && !(config && config.simulator)) return false;
        return true;
    });
    const nav = el('nav', { class: 'app-nav', 'aria-label': 'Main' },
        el('ul', {}, links.map((link) => el('li', {},
            el('a', { href: link.href, 'aria-current': link.href === here ? 'page' : null }, link.label,
                link.badge ? el('span', { class: 'nav-badge', 'data-badge': link.badge, hidden: 'hidden' }) : null)))));
    const logout = el('button', { type: 'button', class: 'btn btn-ghost btn-small', text: 'Log out' });
    logout.addEventListener('click', async () => {
        logout.disabled = true;
        await logoutSession();
        location.assign('/index.html');
    });
    const env = config && config.environment && config.environment !== 'production'
        ? el('span', { class: `env-badge env-${config.environment}`, text: config.environment })
        : null;
    header.replaceChildren(
        el('div', { class: 'header-bar' },
            el('a', { class: 'brand', href: '/dashboard.html' }, el('span', { class: 'brand-mark', 'aria-hidden': 'true', text: 'H' }), 'Haven M-Pesa'),
            env,
            el('div', { class: 'header-user' },
                user ? el('span', { class: 'user-label' }, el('span', { class: 'user-email', text: user.email }),
                    el('span', { class: 'role-badge', text: user.role })) : null,
                logout)),
        nav);
    if (user) showReviewBadge();
}

/** The open needs-review count next to its link, so nothing waits unseen. */
async function showReviewBadge() {
    const badge = document.querySelector('[data-badge="review"]');
    if (!badge) return;
    try {
        const page = await api('/api/v1/review', { query: { status: 'open', limit: 1 } });
        badge.textContent = String(page.openCount);
        badge.setAttribute('aria-label', `${page.openCount} open`);
        badge.hidden = page.openCount === 0;
    } catch {
        badge.hidden = true;
    }
}

/** Shows a dismissible message in <div id="page-message">. kind: "error" | "ok" | "info". */
export function showMessage(text, kind = 'info') {
    const box = document.getElementById('page-message');
    if (!box) return;
    box.className = `notice notice-${kind}`;
    box.textContent = text;
    box.hidden = !text;
}

export function errorText(err) {
    if (!err) return '';
    const details = (err.details || []).map((d) => d.message).filter(Boolean);
    return details.length ? `${err.message}: ${details.join('; ')}` : err.message || String(err);
}
