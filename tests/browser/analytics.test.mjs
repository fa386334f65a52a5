// The analytics page in the browser, after real payments through the simulator (two accepted STK prompts, one
// cancelled, one refused for insufficient funds, and a lease left unpaid): every chart is drawn by Chart.js (served
// by the gateway under its CSP: any violation or console error fails the test) on a canvas that is not blank, its
// summary and its table view give the numbers, the period switch shows months; at a desktop width and at 360 px
// (nothing scrolls sideways). A viewer (the least role) reads it: the page is for every signed-in user.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

const kFigures = ['collections', 'success', 'failures', 'transfers', 'arrears'];

let env;
before(async () => {
    env = await setup();
    const token = await env.gateway.login('admin');
    const paid = await env.gateway.createLease(token, { tenantName: 'Akinyi Paid', unit: 'A1', accountReference: 'A1', monthlyRent: 1500, phoneNumber: '0712200001' });
    const owes = await env.gateway.createLease(token, { tenantName: 'Barasa Owes', unit: 'A2', accountReference: 'A2', monthlyRent: 4000, phoneNumber: '0712200002' });
    await prompt(token, paid, 1500, 'accept', 'SUCCESS');
    await prompt(token, owes, 700, 'accept', 'SUCCESS');
    await prompt(token, owes, 3300, 'cancel', 'FAILED');
    await prompt(token, owes, 3300, 'insufficient_funds', 'FAILED');
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

/** An STK prompt for the lease, answered on the simulator's phone with `action`, waited for until it is `final`. */
async function prompt(token, lease, amount, action, final) {
    const push = await env.gateway.api('POST', '/api/v1/mpesa/stk-push', {
        token, headers: { 'Idempotency-Key': `an-${lease.id}-${amount}-${action}` },
        body: { phoneNumber: lease.phoneNumber, amount, accountReference: lease.accountReference, transactionDesc: 'Rent', leaseId: lease.id },
    });
    assert.equal(push.status, 200, push.text);
    const cid = push.json.data.checkoutRequestId;
    await waitFor(async () => {
        const body = action === 'accept' ? { action, pin: '1234' } : { action };
        const res = await env.gateway.api('POST', `/api/v1/simulator/stk/${cid}/resolve`, { token, body });
        return res.status === 200;
    }, { what: `the prompt to be answered (${action})` });
    await waitFor(async () => {
        const res = await env.gateway.api('GET', `/api/v1/mpesa/status/${cid}`, { token });
        return res.json && res.json.data.status === final;
    }, { what: `the prompt to end ${final}`, timeoutMs: 20000 });
}

/** How many pixels of the figure's canvas Chart.js painted (not transparent), and the canvas's size. */
function painted(page, id) {
    return page.evaluate((figureId) => {
        const canvas = document.querySelector(`#${figureId} canvas`);
        const { width, height } = canvas;
        if (!width || !height) return { width, height, pixels: 0 };
        const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
        let pixels = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) pixels++;
        return { width, height, pixels };
    }, id);
}

async function openPage(page, role) {
    await uiLogin(page, role);
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.waitForURL('**/analytics.html*');
    await page.waitForSelector('body[data-loaded="true"]');
}

async function assertChartsDrawn(page) {
    for (const id of kFigures) {
        const p = await painted(page, id);
        assert.ok(p.width > 0 && p.height > 0, `${id}: the canvas has a size (${p.width}x${p.height})`);
        assert.ok(p.pixels > 500, `${id}: the chart is drawn (${p.pixels} painted pixels)`);
        const label = await page.locator(`#${id} canvas`).getAttribute('aria-label');
        assert.equal(label, (await page.locator(`#${id} figcaption`).textContent()).trim(), `${id}: the canvas is labelled with its summary`);
    }
}

/** The cells of a figure's table view (opened with its toggle), one array per body row. */
async function tableOf(page, id) {
    const toggle = page.locator(`button[aria-controls="${id}-table"]`);
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.locator(`#${id}-table table`).waitFor();
    return page.locator(`#${id}-table tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
}

const kes = (text) => Number(text.replace(/[^0-9]/g, ''));
const sum = (rows, column) => rows.reduce((total, row) => total + kes(row[column]), 0);

describe('analytics', () => {
    test('desktop: charts drawn, summaries and tables give the numbers, months too', async () => {
        const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        try {
            await openPage(page, 'viewer');
            await assertChartsDrawn(page);
            assert.match(await page.locator('#collections figcaption').textContent(), /KES 2,200 collected in the last 30 days from 2 payments/);
            assert.match(await page.locator('#success figcaption').textContent(), /^50% of 4 finished STK prompts succeeded/);
            assert.match(await page.locator('#failures figcaption').textContent(), /2 STK prompts failed .*1 cancelled.*1 insufficient funds/);
            assert.match(await page.locator('#transfers figcaption').textContent(), /No payouts or reversals/);
            assert.match(await page.locator('#arrears figcaption').textContent(), /A2 \(Barasa Owes\) with KES 3,300/);

            const collections = await tableOf(page, 'collections');
            assert.equal(collections.length, 30, 'one row a day');
            assert.equal(sum(collections, 2), 2200, 'STK KES over the days');
            assert.equal(sum(collections, 1), 2, 'STK payments over the days');
            assert.equal(sum(collections, 4), 0, 'no paybill payments');
            const stk = await tableOf(page, 'success');
            assert.equal(sum(stk, 1), 4, 'prompts');
            assert.equal(sum(stk, 2), 2, 'succeeded');
            assert.equal(sum(stk, 3), 2, 'failed');
            const failures = await tableOf(page, 'failures');
            assert.equal(sum(failures, 1), 1, 'cancelled');
            assert.equal(sum(failures, 3), 1, 'insufficient funds');
            assert.equal(sum(failures, 4), 0, 'wrong PIN');
            const arrears = await tableOf(page, 'arrears');
            assert.deepEqual(arrears.map((r) => [r[0], r[6]]), [['A2', 'KES 3,300']], 'the one lease that owes, and what');
            await screenshot(page, 'analytics-desktop');

            await page.getByRole('button', { name: 'Last 12 months' }).click();
            await waitFor(async () => (await page.locator('#collections-table tbody tr').count()) === 12, { what: 'twelve months' });
            assert.equal(await page.getByRole('button', { name: 'Last 12 months' }).getAttribute('aria-pressed'), 'true');
            assert.equal(sum(await tableOf(page, 'collections'), 2), 2200, 'STK KES over the months');
            assert.match(await page.locator('#collections figcaption').textContent(), /in the last 12 months/);
            await assertChartsDrawn(page);
        } finally {
            await context.close();
        }
    });

    test('360 px: every chart drawn inside the screen and nothing scrolls sideways', async () => {
        const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        try {
            await openPage(page, 'viewer');
            await assertChartsDrawn(page);
            const tables = await tableOf(page, 'collections');
            assert.equal(sum(tables, 2), 2200);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 360px`);
            for (const id of kFigures) {
                const box = await page.locator(`#${id} canvas`).boundingBox();
                assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${id}: the chart fits the screen (${JSON.stringify(box)})`);
            }
            await screenshot(page, 'analytics-360');
        } finally {
            await context.close();
        }
    });
});
