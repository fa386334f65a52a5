import { api } from '../api.js';
import { formatKES, isoDay, parseDate } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';
import { openTransactionDialog, transactionTable } from '../tx.js';
import { showAlerts } from '../alerts-banner.js';
import '../../components/account-balance.js';

const kMaxPages = 40;

/** Successful transactions of one kind since monthStart (all pages). */
async function successfulSince(kind, monthStart, today) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < kMaxPages; page++) {
        const result = await api('/api/v1/mpesa/transactions', {
            query: { status: 'SUCCESS', kind, from: monthStart, to: today, limit: 100, cursor },
        });
        items.push(...(result.items || []));
        cursor = result.nextCursor;
        if (!cursor) break;
    }
    return items;
}

async function loadCollections() {
    // Days and months are Nairobi's, as on the server and in M-Pesa's own records.
    const today = isoDay(new Date());
    const monthStart = `${today.slice(0, 8)}01`;
    const [payments, reversals] = await Promise.all([
        successfulSince('stk', monthStart, today),
        successfulSince('reversal', monthStart, today),
    ]);
    let month = 0;
    let monthCount = 0;
    let day = 0;
    let dayCount = 0;
    // Collections are rent received minus rent reversed (a reversal returns the money to the payer).
    for (const [items, sign] of [[payments, 1], [reversals, -1]]) {
        for (const t of items) {
            const when = parseDate(t.transactionDate) || parseDate(t.updatedAt) || parseDate(t.createdAt);
            if (!when || isoDay(when) < monthStart) continue;
            const amount = sign * (Number(t.amount) || 0);
            month += amount;
            if (sign > 0) monthCount += 1;
            if (isoDay(when) === today) {
                day += amount;
                if (sign > 0) dayCount += 1;
            }
        }
    }
    document.getElementById('today-total').textContent = formatKES(day);
    document.getElementById('today-count').textContent = `${dayCount} payment${dayCount === 1 ? '' : 's'}`;
    document.getElementById('month-total').textContent = formatKES(month);
    document.getElementById('month-count').textContent = `${monthCount} payment${monthCount === 1 ? '' : 's'} since ${new Date(`${monthStart}T00:00:00+03:00`).toLocaleDateString('en-KE', { day: 'numeric', month: 'short', timeZone: 'Africa/Nairobi' })}`;
}

async function loadRecent() {
    const box = document.getElementById('recent');
    const result = await api('/api/v1/mpesa/transactions', { query: { limit: 10 } });
    const items = result.items || [];
    box.replaceChildren(items.length
        ? transactionTable(items, { caption: 'Recent transactions', onView: (t) => openTransactionDialog(t.id) })
        : Object.assign(document.createElement('p'), { className: 'empty', textContent: 'No transactions yet.' }));
}

async function main() {
    const { user } = await initPage();
    const balance = document.getElementById('balance');
    if (user.role === 'viewer') balance.setAttribute('readonly', '');
    const results = await Promise.allSettled([loadCollections(), loadRecent(), showAlerts(user)]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) showMessage(`Some figures could not be loaded: ${errorText(failed.reason)}`, 'error');
}

main();
