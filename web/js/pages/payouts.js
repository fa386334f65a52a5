import { api } from '../api.js';
import { canPayOut, initPage } from '../nav.js';
import { openTransactionDialog, transactionTable } from '../tx.js';
import '../../components/b2c-payment.js';
import '../../components/transaction-reversal.js';

async function loadRecent() {
    const box = document.getElementById('recent');
    const [b2c, reversals] = await Promise.all([
        api('/api/v1/mpesa/transactions', { query: { kind: 'b2c', limit: 10 } }).catch(() => ({ items: [] })),
        api('/api/v1/mpesa/transactions', { query: { kind: 'reversal', limit: 10 } }).catch(() => ({ items: [] })),
    ]);
    const items = [...(b2c.items || []), ...(reversals.items || [])]
        .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'No payouts or reversals yet.';
    box.replaceChildren(items.length ? transactionTable(items, { caption: 'Recent payouts and reversals', onView: (t) => openTransactionDialog(t.id) }) : empty);
}

async function main() {
    const { user } = await initPage();
    if (!canPayOut(user)) {
        document.getElementById('admin-only').hidden = false;
        return;
    }
    const reverseId = new URLSearchParams(location.search).get('reverse');
    const reversal = document.getElementById('reversal');
    if (reverseId) reversal.setAttribute('transaction-id', reverseId);
    document.getElementById('admin-tools').hidden = false;
    document.getElementById('recent-card').hidden = false;
    for (const id of ['b2c', 'reversal']) {
        const node = document.getElementById(id);
        node.addEventListener('success', () => loadRecent());
        node.addEventListener('failure', () => loadRecent());
    }
    await loadRecent();
}

main();
