// The tenant payment page: no login, the lease's signed link, <mpesa-payment pay-token=...>, at 360 px.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, waitFor } from './harness.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { if (env) await env.teardown(); });
afterEach(() => assertNoProblems(env.browser));

describe('tenant pay page', () => {
    test('pays without logging in, on a 360 px phone screen', async () => {
        const token = await env.gateway.login('admin');
        const lease = await env.gateway.createLease(token, {
            tenantName: 'Faith Achieng', phoneNumber: '0712246810', unit: 'G5', monthlyRent: 4200, accountReference: 'G5',
        });
        assert.match(lease.paymentLink, /^\/pay\.html\?t=/);

        const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        await page.goto(lease.paymentLink);
        await page.getByRole('heading', { name: 'Pay rent for G5' }).waitFor();
        assert.match(await page.locator('#pay-due').textContent(), /4,200/);
        assert.match(await page.locator('#agency').textContent(), /Test Agency/);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `the pay page scrolls sideways by ${overflow}px at 360px`);
        await screenshot(page, 'pay-360');

        const widget = page.locator('mpesa-payment');
        await widget.getByLabel('M-Pesa phone number').pressSequentially('0712246810');
        assert.equal(await widget.getByLabel('M-Pesa phone number').inputValue(), '0712 246 810');
        // Keyboard only: Enter in the phone field submits; focus then moves to the waiting step's heading.
        await widget.getByLabel('M-Pesa phone number').press('Enter');
        await page.locator('mpesa-payment[data-step="waiting"]').waitFor();
        assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.textContent), 'Check your phone');
        await screenshot(page, 'pay-360-waiting');
        const cid = await widget.getAttribute('data-checkout-request-id');
        assert.ok(cid);

        // Answer on the phone through the control API (the virtual phone page is covered elsewhere).
        await waitFor(async () => {
            const pending = await env.gateway.api('GET', '/api/v1/simulator/stk/pending', { token });
            return pending.json.data.prompts.some((p) => p.checkoutRequestId === cid);
        }, { what: 'the prompt to be pending' });
        const resolved = await env.gateway.api('POST', `/api/v1/simulator/stk/${cid}/resolve`, { token, body: { action: 'accept', pin: '1234' } });
        assert.equal(resolved.status, 200, resolved.text);

        await page.locator('mpesa-payment[data-step="result"][data-outcome="SUCCESS"]').waitFor({ timeout: 30000 });
        assert.match(await widget.locator('.mp-receipt').textContent(), /^[A-Z0-9]{8,12}$/);
        await screenshot(page, 'pay-360-success');

        const payments = await env.gateway.api('GET', `/api/v1/leases/${lease.id}/payments`, { token });
        assert.equal(payments.json.data.length, 1);
        assert.equal(payments.json.data[0].amount, 4200);
        await context.close();
    });

    test('a broken link explains what to do', async () => {
        env.browser.allow(/status of 404/);
        const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        await page.goto('/pay.html?t=not-a-real-token');
        await page.locator('#pay-error').filter({ hasText: /not valid/ }).waitFor();
        await screenshot(page, 'pay-invalid-link');
        await context.close();
    });
});
