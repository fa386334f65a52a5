// The rent roll in the browser: leases paid in full, in part and not at all (STK payments accepted through the
// simulator's control API) show with their status, balance and the month's totals; the status filter, the search
// and the month picker choose the rows; the CSV download has the same rows. At a desktop width and at 360 px
// (the table becomes cards; nothing scrolls sideways). Viewers see no link and the page refuses them.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { assertNoProblems, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

let env;
before(async () => {
    env = await setup();
    const token = await env.gateway.login('admin');
    const full = await env.gateway.createLease(token, { tenantName: 'Achieng Full', unit: 'R1', accountReference: 'R1', monthlyRent: 1000, phoneNumber: '0712100001' });
    const part = await env.gateway.createLease(token, { tenantName: 'Baraka Part', unit: 'R2', accountReference: 'R2', monthlyRent: 1000, phoneNumber: '0712100002' });
    await env.gateway.createLease(token, { tenantName: 'Chebet None', unit: 'R3', accountReference: 'R3', monthlyRent: 1000, phoneNumber: '0712100003' });
    await pay(token, full, 1000);
    await pay(token, part, 400);
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

/** A successful STK payment of the lease (the prompt accepted through the simulator's control API). */
async function pay(token, lease, amount) {
    const push = await env.gateway.api('POST', '/api/v1/mpesa/stk-push', {
        token, headers: { 'Idempotency-Key': `rr-${lease.id}-${amount}` },
        body: { phoneNumber: lease.phoneNumber, amount, accountReference: lease.accountReference, transactionDesc: 'Rent', leaseId: lease.id },
    });
    assert.equal(push.status, 200, push.text);
    const cid = push.json.data.checkoutRequestId;
    await waitFor(async () => {
        const res = await env.gateway.api('POST', `/api/v1/simulator/stk/${cid}/resolve`, { token, body: { action: 'accept', pin: '1234' } });
        return res.status === 200;
    }, { what: 'the prompt to be accepted' });
    await waitFor(async () => {
        const res = await env.gateway.api('GET', `/api/v1/mpesa/status/${cid}`, { token });
        return res.json && res.json.data.status === 'SUCCESS';
    }, { what: 'the payment to succeed', timeoutMs: 20000 });
}

function row(page, unit) {
    return page.locator('#roll-rows tbody tr', { has: page.getByRole('link', { name: unit, exact: true }) });
}

describe('rent roll', () => {
    test('desktop: statuses, balances, totals, filters, month picker and CSV', async () => {
        const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        try {
            await uiLogin(page, 'manager');
            await page.getByRole('link', { name: 'Rent roll' }).click();
            await page.waitForURL('**/rent-roll.html*');
            await page.locator('#roll-rows tbody tr').nth(2).waitFor();
            assert.equal(await page.locator('#roll-rows tbody tr').count(), 3);
            assert.equal((await row(page, 'R1').locator('.roll-status').textContent()).trim(), 'Paid');
            assert.match(await row(page, 'R2').locator('.roll-status').textContent(), /^Partial/);
            assert.match(await row(page, 'R2').locator('.roll-balance').textContent(), /KES 600/);
            assert.match(await row(page, 'R3').locator('.roll-status').textContent(), /^Unpaid/);
            assert.match(await row(page, 'R3').locator('.roll-balance').textContent(), /KES 1,000/);
            assert.equal(await page.locator('#total-due').textContent(), 'KES 3,000');
            assert.equal(await page.locator('#total-paid').textContent(), 'KES 1,400');
            assert.equal(await page.locator('#total-arrears').textContent(), 'KES 1,600');
            assert.equal(await page.locator('#count-paid').textContent(), '1');
            await screenshot(page, 'rent-roll-desktop');

            await page.getByLabel('Status').selectOption('partial');
            await page.waitForFunction(() => document.querySelectorAll('#roll-rows tbody tr').length === 1);
            await row(page, 'R2').waitFor();
            assert.equal(await page.locator('#total-due').textContent(), 'KES 3,000', 'the totals cover the whole month');
            await page.getByLabel('Status').selectOption('');
            await page.getByLabel('Search').fill('chebet');
            await page.getByRole('button', { name: 'Show' }).click();
            await page.waitForFunction(() => document.querySelectorAll('#roll-rows tbody tr').length === 1);
            await row(page, 'R3').waitFor();

            const [download] = await Promise.all([
                page.waitForEvent('download'),
                page.getByRole('button', { name: 'Download CSV' }).click(),
            ]);
            const csv = await fs.readFile(await download.path(), 'utf8');
            const lines = csv.trim().split('\r\n');
            assert.match(lines[0], /^leaseId,tenantName,unit,accountReference,externalId,monthlyRent,dueDate,broughtForward,due,paid,balance,status,late,/);
            assert.equal(lines.length, 2, csv);
            assert.match(lines[1], /,Chebet None,R3,R3,,1000,/);
            assert.match(lines[1], /,1000,unpaid,(true|false),,,$/);

            // Last month: the leases started this month, so none owed rent then.
            await page.getByLabel('Search').fill('');
            const month = await page.getByLabel('Month', { exact: true }).inputValue();
            const [y, m] = month.split('-').map(Number);
            const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
            await page.getByLabel('Month', { exact: true }).fill(previous);
            await page.getByRole('button', { name: 'Show' }).click();
            await page.locator('#roll-rows').getByText('No leases match.').waitFor();
            assert.equal(await page.locator('#totals-month').textContent(), previous);
        } finally {
            await context.close();
        }
    });

    test('360 px: the rows are readable cards and nothing scrolls sideways', async () => {
        const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        try {
            await uiLogin(page, 'admin');
            await page.goto('/rent-roll.html');
            await row(page, 'R2').waitFor();
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(overflow <= 0, `the rent roll scrolls sideways by ${overflow}px at 360px`);
            const box = await row(page, 'R2').boundingBox();
            assert.ok(box && box.width <= 360, `a row fits the screen (${box && box.width}px)`);
            assert.ok(await row(page, 'R2').locator('.roll-balance').isVisible());
            assert.equal(await page.locator('#total-due').textContent(), 'KES 3,000');
            await screenshot(page, 'rent-roll-360');
        } finally {
            await context.close();
        }
    });

    test('a viewer sees no rent roll link and the page refuses them', async () => {
        const context = await env.browser.newContext();
        const page = await context.newPage();
        try {
            await uiLogin(page, 'viewer');
            assert.equal(await page.getByRole('link', { name: 'Rent roll' }).count(), 0);
            await page.goto('/rent-roll.html');
            await page.getByText('Only admins and managers may read the rent roll.').waitFor();
        } finally {
            await context.close();
        }
    });
});
