import { api } from '../api.js';
import { formatKES, isoDay, parseDate } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';
import { openTransactionDialog, transactionTable } from '../tx.js';
import '../../components/account-balance.js';

const kMaxPages = 40;

async function loadCollections() {
    const now = new Date();
    const monthStart = new Date(now.getFullYear(), now.getMonth(), 1);
    const today = isoDay(now);
    let cursor = null;
    let month = 0;
    let monthCount = 0;
    let day = 0;
    let dayCount = 0;
    for (let page = 0; page < kMaxPages; page++) {
        const result = await api('/api/v1/mpesa/transactions', {
            query: { status: 'SUCCESS', kind: 'stk', from: isoDay(monthStart), to: today, limit: 100, cursor },
        });
        for (const t of result.items || []) {
            const when = parseDate(t.transactionDate) || parseDate(t.createdAt);
            if (!when || when < monthStart) continue;
            const amount = Number(t.amount) || 0;
            month += amount;
            monthCount += 1;
            if (isoDay(when) === today) {
                day += amount;
                dayCount += 1;
            }
        }
        cursor = result.nextCursor;
        if (!cursor) break;
    }
    document.getElementById('today-total').textContent = formatKES(day);
    document.getElementById('today-count').textContent = `${dayCount} payment${dayCount === 1 ? '' : 's'}`;
    document.getElementById('month-total').textContent = formatKES(month);
    document.getElementById('month-count').textContent = `${monthCount} payment${monthCount === 1 ? '' : 's'} since ${monthStart.toLocaleDateString('en-KE', { day: 'numeric', month: 'short' })}`;
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
    const results = await Promise.allSettled([loadCollections(), loadRecent()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) showMessage(`Some figures could not be loaded: ${errorText(failed.reason)}`, 'error');
}

main();
