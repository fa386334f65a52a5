// The analytics page (any signed-in user): charts of the agency's collections, STK outcomes, payouts and reversals
// per Nairobi day (30) or month (12), and this month's largest arrears. Charts are drawn by Chart.js, which the
// gateway serves from its own origin (/vendor/chart.js, Debian's libjs-chart.js); each chart has a text summary (its
// figcaption, also the canvas's aria-label) and a table view with every number. Without Chart.js the tables show.
import { api } from '../api.js';
import { el, formatKES } from '../format.js';
import { errorText, initPage, showMessage } from '../nav.js';

const kMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const kTypeText = { refund: 'Refunds', payout: 'Payouts', salary: 'Salaries', bonus: 'Bonuses', promotion: 'Promotions', reversal: 'Reversals' };
const kFailureText = { cancelled: 'Cancelled', timeout: 'No answer', insufficientFunds: 'Insufficient funds', wrongPin: 'Wrong PIN', other: 'Other' };

const charts = new Map();  // figure id -> Chart

function cssVar(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

const palette = () => ({
    green: cssVar('--green', '#0a7d32'),
    blue: cssVar('--blue', '#1a5fb4'),
    amber: '#c98a00',
    red: cssVar('--red', '#b3261e'),
    purple: '#6d3fa8',
    grey: '#7a8591',
    teal: '#0f7c80',
});

/** "28 Nov" for a day, "Nov 2026" for a month. */
function shortLabel(label) {
    const [y, m, d] = label.split('-');
    return d ? `${Number(d)} ${kMonths[Number(m) - 1]}` : `${kMonths[Number(m) - 1]} ${y}`;
}

function periodText(period) {
    return period === 'month' ? 'the last 12 months' : 'the last 30 days';
}

function percent(rate) {
    return rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`;
}

function chartsAvailable() {
    return typeof window.Chart === 'function';
}

/** The table view of a figure: a toggle button (made once) and the table, replaced on every render. */
function renderTable(figure, table) {
    let box = document.getElementById(`${figure.id}-table`);  // after the figure, made on the first render
    if (!box) {
        box = el('div', { class: 'chart-table', id: `${figure.id}-table`, hidden: chartsAvailable() ? 'hidden' : null });
        const toggle = el('button', {
            type: 'button', class: 'btn btn-ghost btn-small chart-toggle', 'aria-controls': box.id,
            'aria-expanded': box.hidden ? 'false' : 'true', text: box.hidden ? 'Show table' : 'Hide table',
        });
        toggle.addEventListener('click', () => {
            box.hidden = !box.hidden;
            toggle.setAttribute('aria-expanded', String(!box.hidden));
            toggle.textContent = box.hidden ? 'Show table' : 'Hide table';
        });
        figure.after(toggle, box);
    }
    box.replaceChildren(el('table', { class: 'data' },
        el('caption', { class: 'visually-hidden', text: table.caption }),
        el('thead', {}, el('tr', {}, table.headers.map((h, i) => el('th', { scope: 'col', class: i > 0 ? 'num' : null, text: h })))),
        el('tbody', {}, table.rows.map((row) => el('tr', {}, row.map((cell, i) => (i === 0
            ? el('th', { scope: 'row', text: cell })
            : el('td', { class: 'num', text: cell }))))))));
}

/** Draws (or redraws) one figure: its chart, its summary and its table. */
function renderFigure(id, { config, summary, table }) {
    const figure = document.getElementById(id);
    const canvas = figure.querySelector('canvas');
    canvas.setAttribute('aria-label', summary);
    figure.querySelector('.chart-summary').textContent = summary;
    if (chartsAvailable()) {
        charts.get(id)?.destroy();
        config.options = {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, ...(config.options?.plugins || {}) },
            ...config.options,
        };
        charts.set(id, new window.Chart(canvas, config));
    } else {
        figure.querySelector('.chart-box').hidden = true;
    }
    renderTable(figure, table);
    figure.setAttribute('aria-busy', 'false');
}

function failFigure(id, err) {
    const figure = document.getElementById(id);
    figure.querySelector('.chart-summary').textContent = `Could not load: ${errorText(err)}`;
    figure.setAttribute('aria-busy', 'false');
}

const moneyTicks = { callback: (v) => (v >= 1000 ? `${v / 1000}k` : v) };

function drawCollections(data) {
    const c = palette();
    const labels = data.buckets.map((b) => shortLabel(b.label));
    const t = data.totals.total;
    let best = null;
    for (const b of data.buckets) if (b.total.amount > 0 && (!best || b.total.amount > best.total.amount)) best = b;
    const unit = data.period === 'month' ? 'month' : 'day';
    const summary = t.count === 0
        ? `No rent was collected in ${periodText(data.period)}.`
        : `${formatKES(t.amount)} collected in ${periodText(data.period)} from ${t.count} payments: `
            + `${formatKES(data.totals.stk.amount)} by STK prompt and ${formatKES(data.totals.c2b.amount)} by paybill. `
            + `Best ${unit}: ${shortLabel(best.label)} with ${formatKES(best.total.amount)}.`;
    renderFigure('collections', {
        summary,
        config: {
            type: 'bar',
            data: {
                labels,
                datasets: [
                    { label: 'STK prompt', data: data.buckets.map((b) => b.stk.amount), backgroundColor: c.green, stack: 'kes' },
                    { label: 'Paybill', data: data.buckets.map((b) => b.c2b.amount), backgroundColor: c.blue, stack: 'kes' },
                ],
            },
            options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: moneyTicks } } },
        },
        table: {
            caption: `Rent collected per ${unit}`,
            headers: [unit === 'month' ? 'Month' : 'Day', 'STK payments', 'STK KES', 'Paybill payments', 'Paybill KES', 'Total KES'],
            rows: data.buckets.map((b) => [b.label, b.stk.count, formatKES(b.stk.amount), b.c2b.count, formatKES(b.c2b.amount), formatKES(b.total.amount)]),
        },
    });
}

function drawStk(data) {
    const c = palette();
    const labels = data.buckets.map((b) => shortLabel(b.label));
    const unit = data.period === 'month' ? 'month' : 'day';
    const t = data.totals;
    const finished = t.succeeded + t.failed;
    let worst = null;
    for (const b of data.buckets) if (b.successRate !== null && (!worst || b.successRate < worst.successRate)) worst = b;
    renderFigure('success', {
        summary: finished === 0
            ? `No STK prompt finished in ${periodText(data.period)}.`
            : `${percent(t.successRate)} of ${finished} finished STK prompts succeeded in ${periodText(data.period)}`
                + `${t.pending ? ` (${t.pending} still waiting)` : ''}. Lowest ${unit}: ${shortLabel(worst.label)} at ${percent(worst.successRate)}.`,
        config: {
            type: 'line',
            data: {
                labels,
                datasets: [{
                    label: 'Success rate (%)', data: data.buckets.map((b) => (b.successRate === null ? null : Math.round(b.successRate * 1000) / 10)),
                    borderColor: c.green, backgroundColor: c.green, pointRadius: 3, spanGaps: true,
                }],
            },
            options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } } },
        },
        table: {
            caption: `STK prompts per ${unit}`,
            headers: [unit === 'month' ? 'Month' : 'Day', 'Prompts', 'Succeeded', 'Failed', 'Waiting', 'Success rate'],
            rows: data.buckets.map((b) => [b.label, b.pushes, b.succeeded, b.failed, b.pending, percent(b.successRate)]),
        },
    });
    const f = t.failures;
    const reasons = Object.keys(kFailureText).filter((k) => f[k] > 0).sort((a, b) => f[b] - f[a]);
    const colours = { cancelled: c.amber, timeout: c.grey, insufficientFunds: c.red, wrongPin: c.purple, other: c.teal };
    renderFigure('failures', {
        summary: t.failed === 0
            ? `No STK prompt failed in ${periodText(data.period)}.`
            : `${t.failed} STK prompts failed in ${periodText(data.period)}: `
                + `${reasons.map((k) => `${f[k]} ${kFailureText[k].toLowerCase()}`).join(', ')}.`,
        config: {
            type: 'bar',
            data: {
                labels,
                datasets: Object.keys(kFailureText).map((k) => ({
                    label: kFailureText[k], data: data.buckets.map((b) => b.failures[k]), backgroundColor: colours[k], stack: 'n',
                })),
            },
            options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
        },
        table: {
            caption: `Failed STK prompts per ${unit} by reason`,
            headers: [unit === 'month' ? 'Month' : 'Day', ...Object.values(kFailureText)],
            rows: data.buckets.map((b) => [b.label, ...Object.keys(kFailureText).map((k) => b.failures[k])]),
        },
    });
}

/** Sums of one bucket's transfer groups: paid (successful) amount per type, failed and pending counts. */
function transferSums(groups) {
    const out = { byType: {}, paid: 0, paidCount: 0, reversed: 0, reversedCount: 0, failed: 0, pending: 0 };
    for (const g of groups) {
        if (g.status === 'SUCCESS') {
            out.byType[g.type] = (out.byType[g.type] || 0) + g.amount;
            if (g.kind === 'reversal') { out.reversed += g.amount; out.reversedCount += g.count; } else { out.paid += g.amount; out.paidCount += g.count; }
        } else if (g.status === 'FAILED') {
            out.failed += g.count;
        } else {
            out.pending += g.count;
        }
    }
    return out;
}

function drawTransfers(data) {
    const c = palette();
    const labels = data.buckets.map((b) => shortLabel(b.label));
    const unit = data.period === 'month' ? 'month' : 'day';
    const sums = data.buckets.map((b) => transferSums(b.groups));
    const total = transferSums(data.totals.groups);
    const types = Object.keys(kTypeText).filter((type) => total.byType[type]);
    const colours = { refund: c.amber, payout: c.blue, salary: c.teal, bonus: c.purple, promotion: c.grey, reversal: c.red };
    const nothing = total.paidCount + total.reversedCount + total.failed + total.pending === 0;
    renderFigure('transfers', {
        summary: nothing
            ? `No payouts or reversals in ${periodText(data.period)}.`
            : `${formatKES(total.paid)} paid out in ${total.paidCount} B2C transfers`
                + `${types.filter((x) => x !== 'reversal').map((x) => ` (${kTypeText[x].toLowerCase()} ${formatKES(total.byType[x])})`).join('')}`
                + ` and ${formatKES(total.reversed)} reversed in ${total.reversedCount} reversals in ${periodText(data.period)}; `
                + `${total.failed} failed, ${total.pending} still waiting.`,
        config: {
            type: 'bar',
            data: {
                labels,
                datasets: (types.length ? types : ['payout']).map((type) => ({
                    label: kTypeText[type], data: sums.map((s) => s.byType[type] || 0), backgroundColor: colours[type], stack: 'kes',
                })),
            },
            options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: moneyTicks } } },
        },
        table: {
            caption: `Payouts and reversals per ${unit}`,
            headers: [unit === 'month' ? 'Month' : 'Day', 'Paid out KES', 'Transfers', 'Reversed KES', 'Reversals', 'Failed', 'Waiting'],
            rows: data.buckets.map((b, i) => [b.label, formatKES(sums[i].paid), sums[i].paidCount, formatKES(sums[i].reversed),
                sums[i].reversedCount, sums[i].failed, sums[i].pending]),
        },
    });
}

function drawArrears(data) {
    const c = palette();
    const top = data.items[0];
    renderFigure('arrears', {
        summary: data.leasesInArrears === 0
            ? `Nobody owes rent for ${data.month}.`
            : `${data.leasesInArrears} ${data.leasesInArrears === 1 ? 'lease owes' : 'leases owe'} ${formatKES(data.totalArrears)} for ${data.month}; the most: `
                + `${top.unit} (${top.tenantName}) with ${formatKES(top.balance)}${top.late ? ', late' : ''}.`,
        config: {
            type: 'bar',
            data: {
                labels: data.items.map((r) => `${r.unit} · ${r.tenantName}`),
                datasets: [{ label: 'Owed (KES)', data: data.items.map((r) => r.balance), backgroundColor: data.items.map((r) => (r.late ? c.red : c.amber)) }],
            },
            options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: moneyTicks } } },
        },
        table: {
            caption: `Largest arrears for ${data.month}`,
            headers: ['Unit', 'Tenant', 'Due date', 'Brought forward', 'Rent', 'Paid', 'Owed', 'Late'],
            rows: data.items.map((r) => [r.unit, r.tenantName, r.dueDate, formatKES(r.broughtForward), formatKES(r.due),
                formatKES(r.paid), formatKES(r.balance), r.late ? 'yes' : 'no']),
        },
    });
}

let loads = 0;

async function loadSeries(period) {
    const mine = ++loads;  // a slower earlier answer must not overwrite a later one
    for (const id of ['collections', 'success', 'failures', 'transfers']) document.getElementById(id).setAttribute('aria-busy', 'true');
    const query = { period };
    const [collections, stk, transfers] = await Promise.allSettled([
        api('/api/v1/analytics/collections', { query }),
        api('/api/v1/analytics/stk', { query }),
        api('/api/v1/analytics/transfers', { query }),
    ]);
    if (mine !== loads) return;
    if (collections.status === 'fulfilled') drawCollections(collections.value); else failFigure('collections', collections.reason);
    if (stk.status === 'fulfilled') drawStk(stk.value);
    else { failFigure('success', stk.reason); failFigure('failures', stk.reason); }
    if (transfers.status === 'fulfilled') drawTransfers(transfers.value); else failFigure('transfers', transfers.reason);
}

async function loadArrears() {
    try {
        drawArrears(await api('/api/v1/analytics/arrears', { query: { limit: 10 } }));
    } catch (err) {
        failFigure('arrears', err);
    }
}

async function main() {
    await initPage();
    if (!chartsAvailable()) showMessage('Charts are unavailable (Chart.js did not load); the tables show every number.', 'error');
    const params = new URLSearchParams(location.search);
    let period = params.get('period') === 'month' ? 'month' : 'day';
    const buttons = document.querySelectorAll('.period-switch [data-period]');
    const press = () => buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.period === period)));
    press();
    buttons.forEach((button) => button.addEventListener('click', () => {
        if (button.dataset.period === period) return;
        period = button.dataset.period;
        press();
        const url = new URL(location.href);
        url.searchParams.set('period', period);
        history.replaceState(null, '', url);
        loadSeries(period);
    }));
    await Promise.all([loadSeries(period), loadArrears()]);
    document.body.dataset.loaded = 'true';
}

main();
