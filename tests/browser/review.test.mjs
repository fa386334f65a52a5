// Needs review in the browser: a callback that failed our checks shows up with its reason and a badge in the
// navigation; a manager resolves it saying what was done; a viewer can read but not resolve.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, uiLogin } from './harness.mjs';

let env;
let context;
let page;
before(async () => {
    env = await setup();
    context = await env.browser.newContext();
    page = await context.newPage();
});
after(async () => {
    if (context) await context.close();
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

/** A push waiting on the virtual phone, then a callback for it whose ResultCode is not an integer. */
async function rejectedCallback() {
    const token = await env.gateway.login('admin');
    const push = await env.gateway.api('POST', '/api/v1/mpesa/stk-push', {
        token, body: { phoneNumber: '0708374149', amount: 1500, accountReference: 'R1', transactionDesc: 'Rent' },
    });
    assert.equal(push.status, 200, push.text);
    const { checkoutRequestId, transactionId } = push.json.data;
    const cb = await env.gateway.api('POST', `/api/v1/mpesa/callback?secret=${env.gateway.callbackSecret}`, {
        body: { Body: { stkCallback: { MerchantRequestID: 'm-1', CheckoutRequestID: checkoutRequestId, ResultCode: '0.4', ResultDesc: 'odd' } } },
    });
    assert.equal(cb.status, 200, cb.text);
    return transactionId;
}

describe('needs review', () => {
    test('an item is listed with its reason, counted in the navigation and resolved by a manager', async () => {
        const transactionId = await rejectedCallback();
        await uiLogin(page, 'viewer');
        await page.goto('/review.html');
        const row = page.locator('tr[data-review-id]');
        await row.first().waitFor();
        assert.match(await row.first().textContent(), /failed our checks and changed nothing/);
        assert.match(await row.first().textContent(), new RegExp(`Transaction ${transactionId}`));
        // The transaction's own page says why it needs review.
        await row.first().getByRole('button', { name: `Transaction ${transactionId}` }).click();
        const dialog = page.locator('#tx-dialog');
        await dialog.locator('.tx-detail').waitFor();
        assert.match(await dialog.textContent(), /Needs review/);
        assert.match(await dialog.locator('.tx-review').textContent(), /Open: .*failed our checks/);
        await dialog.getByRole('button', { name: 'Close' }).click();
        assert.equal(await row.first().getByRole('button', { name: 'Resolve' }).count(), 0, 'viewers do not resolve');
        assert.equal((await page.locator('[data-badge="review"]').textContent()).trim(), '1');

        await context.clearCookies();
        await page.evaluate(() => sessionStorage.clear());
        await uiLogin(page, 'manager');
        await page.goto('/review.html');
        await row.first().waitFor();
        await screenshot(page, 'review-open');
        await row.first().getByRole('button', { name: 'Resolve' }).click();
        assert.equal(await page.locator('#page-message').isHidden(), true, 'an empty resolution is not sent');
        await row.first().getByRole('textbox').fill('Checked the M-Pesa statement: no payment');
        await row.first().getByRole('button', { name: 'Resolve' }).click();
        await page.getByText('Item', { exact: false }).filter({ hasText: 'resolved' }).first().waitFor();
        assert.match(await page.locator('tr[data-review-id]').first().textContent(), /Checked the M-Pesa statement/);
        assert.match(await page.locator('#review-count').textContent(), /^0 open items/);
    });
});
