// Privacy in the browser: an admin looks up a paying tenant's number, downloads what is held about it, and erases it
// after typing the number again; the lease then reads "Erased tenant" while the payment's amount is kept.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertNoProblems, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

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

/** A lease for 0708374149 paid once through the simulator. */
async function paidLease() {
    const token = await env.gateway.login('admin');
    const lease = await env.gateway.createLease(token, { tenantName: 'Achieng Odhiambo', phoneNumber: '0708374149' });
    const push = await env.gateway.api('POST', '/api/v1/mpesa/stk-push', {
        token,
        headers: { 'Idempotency-Key': 'privacy-browser-1' },
        body: { phoneNumber: '0708374149', amount: 2500, accountReference: 'R1', transactionDesc: 'Rent', leaseId: lease.id },
    });
    assert.equal(push.status, 200, push.text);
    const { checkoutRequestId } = push.json.data;
    // The simulator waits for the virtual phone: the tenant accepts with their PIN.
    const resolved = await env.gateway.api('POST', `/api/v1/simulator/stk/${encodeURIComponent(checkoutRequestId)}/resolve`, {
        token,
        body: { action: 'accept', pin: '1234' },
    });
    assert.equal(resolved.status, 200, resolved.text);
    await waitFor(async () => {
        const r = await env.gateway.api('GET', `/api/v1/mpesa/status/${checkoutRequestId}`, { token });
        return r.json?.data?.status === 'SUCCESS';
    }, { what: 'the payment to succeed' });
    return { token, lease };
}

describe('privacy', () => {
    test('an admin looks up a number, downloads the export and erases it with a typed confirmation', async () => {
        const { token, lease } = await paidLease();
        await uiLogin(page, 'admin');
        await page.goto('/privacy.html');
        await page.getByRole('link', { name: 'Privacy' }).waitFor();

        await page.getByLabel('Phone number', { exact: true }).fill('0708 374 149');
        await page.getByRole('button', { name: 'Look up' }).click();
        const table = page.locator('#held-table');
        await table.waitFor();
        assert.match(await table.textContent(), /Achieng Odhiambo/);
        assert.match(await table.textContent(), /Payments by STK push\s*1/);

        const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.getByRole('button', { name: 'Download export (JSON)' }).click(),
        ]);
        const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
        assert.equal(exported.phoneNumber, '254708374149');
        assert.equal(exported.leases[0].tenantName, 'Achieng Odhiambo');
        assert.equal(exported.transactions[0].amount, 2500);

        // A wrong confirmation is not sent.
        await page.getByLabel('Reason').fill('The tenant asked in writing');
        await page.getByLabel('Type the phone number again to confirm').fill('0711 000 222');
        await page.getByRole('button', { name: 'Erase personal data' }).click();
        await page.locator('#page-message', { hasText: 'Type the same phone number again' }).waitFor();
        const still = await env.gateway.api('GET', `/api/v1/leases/${lease.id}`, { token });
        assert.equal(still.json.data.tenantName, 'Achieng Odhiambo');

        await page.getByLabel('Type the phone number again to confirm').fill('0708374149');
        await screenshot(page, 'privacy-erase');
        await page.getByRole('button', { name: 'Erase personal data' }).click();
        await page.locator('#page-message', { hasText: 'Erased: the number now reads ERASED-' }).waitFor();

        const erased = await env.gateway.api('GET', `/api/v1/leases/${lease.id}`, { token });
        assert.equal(erased.json.data.tenantName, 'Erased tenant');
        assert.match(erased.json.data.phoneNumber, /^ERASED-[0-9a-f]{8}$/);
        assert.equal(erased.json.data.totalPaid, 2500);
        const again = await env.gateway.api('GET', '/api/v1/privacy/export?phone=0708374149', { token });
        assert.equal(again.json.data.leases.length, 0);
    });

    test('a manager has no privacy link and the page says admins only', async () => {
        await context.clearCookies();
        await page.goto('/index.html');
        await page.evaluate(() => sessionStorage.clear());
        await uiLogin(page, 'manager');
        await page.goto('/privacy.html');
        await page.locator('#admin-only').waitFor({ state: 'visible' });
        assert.equal(await page.getByRole('link', { name: 'Privacy' }).count(), 0);
    });
});
