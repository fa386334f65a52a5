// Issue-4 features in the browser: a B2C payout, a reversal with its confirmation, the balance refresh.
// They need POST /api/v1/mpesa/b2c, /reverse, /balance and GET /balance/latest in the gateway.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

let env;
let context;
let page;
before(async () => {
    env = await setup();
    context = await env.browser.newContext();
    page = await context.newPage();
    await uiLogin(page, 'admin');
});
after(async () => {
    if (context) await context.close();
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

/** A successful STK payment made through the API (prompt accepted via the simulator control API). */
async function paidTransaction(phoneNumber, amount) {
    const token = await env.gateway.login('admin');
    const lease = await env.gateway.createLease(token, { phoneNumber, unit: `R${amount}`, accountReference: `R${amount}`, monthlyRent: amount });
    const push = await env.gateway.api('POST', '/api/v1/mpesa/stk-push', {
        token, headers: { 'Idempotency-Key': `rev-${phoneNumber}-${amount}` },
        body: { phoneNumber, amount, accountReference: lease.accountReference, transactionDesc: 'Rent', leaseId: lease.id },
    });
    assert.equal(push.status, 200, push.text);
    const cid = push.json.data.checkoutRequestId;
    await waitFor(async () => {
        const res = await env.gateway.api('POST', `/api/v1/simulator/stk/${cid}/resolve`, { token, body: { action: 'accept', pin: '1234' } });
        return res.status === 200;
    }, { what: 'the prompt to be accepted' });
    const status = await waitFor(async () => {
        const res = await env.gateway.api('GET', `/api/v1/mpesa/status/${cid}`, { token });
        return res.json && res.json.data.status === 'SUCCESS' ? res.json.data : null;
    }, { what: 'the payment to succeed', timeoutMs: 20000 });
    return status;
}

describe('admin money tools (issue 4 routes)', () => {
    test('a B2C payout: form, confirmation, result', async () => {
        await page.goto('/payouts.html');
        const b2c = page.locator('b2c-payment');
        await b2c.locator('form').waitFor();
        await b2c.getByLabel('Type').selectOption('salary');
        await b2c.getByLabel('Recipient phone number').pressSequentially('0712100200');
        await b2c.getByLabel('Amount (KES)').fill('1000');
        await b2c.getByLabel('Remarks').fill('March salary');
        await b2c.getByRole('button', { name: 'Continue' }).click();
        await page.locator('b2c-payment[data-step="confirm"]').waitFor();
        assert.equal((await b2c.locator('.b2c-confirm-phone').textContent()).trim(), '0712 100 200');
        assert.match(await b2c.locator('.b2c-confirm-amount').textContent(), /1,000/);
        await screenshot(page, 'b2c-confirm');
        await b2c.getByRole('button', { name: 'Send KES 1,000' }).click();
        await page.locator('b2c-payment[data-step="result"]').waitFor({ timeout: 40000 });
        assert.equal((await b2c.locator('.b2c-status').textContent()).trim(), 'SUCCESS');
        await b2c.getByRole('heading', { name: 'Money sent' }).waitFor();
        await screenshot(page, 'b2c-result');
        await page.locator('#recent table').waitFor();
    });

    test('a reversal: pick the payment, confirm the warning, see the result', async () => {
        const paid = await paidTransaction('0712300400', 700);
        await page.goto(`/payouts.html?reverse=${paid.id}`);
        const rev = page.locator('transaction-reversal');
        await page.locator('transaction-reversal[data-step="pick"] form').waitFor();
        assert.equal(await rev.getByLabel('Payment to reverse').inputValue(), String(paid.id));
        await rev.locator('.rev-receipt').filter({ hasText: paid.mpesaReceiptNumber }).waitFor();
        await rev.getByLabel('Reason').fill('Tenant paid twice');
        await rev.getByRole('button', { name: 'Continue' }).click();
        await page.locator('transaction-reversal[data-step="confirm"]').waitFor();
        assert.match(await rev.locator('.rev-warning').textContent(), /cannot be undone/i);
        await screenshot(page, 'reversal-confirm');
        await rev.getByRole('button', { name: 'Reverse KES 700' }).click();
        await page.locator('transaction-reversal[data-step="result"]').waitFor({ timeout: 40000 });
        assert.equal((await rev.locator('.rev-status').textContent()).trim(), 'SUCCESS');
        await rev.getByRole('heading', { name: 'Payment reversed' }).waitFor();
        await screenshot(page, 'reversal-result');
    });

    test('the balance refresh asks M-Pesa and shows the accounts', async () => {
        await page.goto('/dashboard.html');
        const balance = page.locator('account-balance');
        await balance.locator('.ab-accounts > *').first().waitFor();
        await balance.getByRole('button', { name: 'Refresh' }).click();
        await page.locator('account-balance[data-state="updated"]').waitFor({ timeout: 40000 });
        assert.ok(await balance.locator('.ab-account').count() >= 1, 'at least one account is listed');
        assert.match(await balance.locator('.ab-checked').textContent(), /Last checked/);
        // The 700 paid and then reversed in the test above does not count as collected.
        await page.locator('#month-total').filter({ hasText: 'KES' }).waitFor();
        assert.equal((await page.locator('#month-total').textContent()).trim(), 'KES 0');
        await screenshot(page, 'balance-refreshed');
    });
});
