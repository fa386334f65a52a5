// Unmatched payments in the browser: paybill confirmations whose account matches no lease wait in the queue; a
// manager assigns one to a lease; an admin refunds another, refused for a number that did not pay. At 360 px the
// queue fits the screen.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, uiLogin } from './harness.mjs';

let env;
before(async () => {
    env = await setup();
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

let seq = 0;
/** A v2 paybill confirmation as Daraja sends it (REFERENCE §9.3), posted to the gateway's confirmation URL. */
async function confirmation(account, amount) {
    seq += 1;
    const transId = `TLC${String(Date.now()).slice(-5)}${seq}X`.slice(0, 10);
    const res = await env.gateway.api('POST', `/api/v1/mpesa/c2b/confirmation?secret=${env.gateway.callbackSecret}`, {
        body: {
            TransactionType: 'Pay Bill', TransID: transId, TransTime: '20261201093000', TransAmount: `${amount}.00`,
            BusinessShortCode: '174379', BillRefNumber: account, InvoiceNumber: '', OrgAccountBalance: '1000.00',
            ThirdPartyTransID: '', MSISDN: '2547 ***** 149', FirstName: 'John', MiddleName: '', LastName: 'Doe',
        },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { ResultCode: 0, ResultDesc: 'Accepted' });
    return transId;
}

async function lease(token, reference) {
    const res = await env.gateway.api('POST', '/api/v1/leases', {
        token, body: { tenantName: `Tenant ${reference}`, phoneNumber: '0708374149', unit: reference, monthlyRent: 12000, accountReference: reference },
    });
    assert.equal(res.status, 201, res.text);
    return res.json.data;
}

describe('unmatched payments', () => {
    test('a manager assigns a payment to a lease and an admin refunds one to the number that paid', async () => {
        const admin = await env.gateway.login('admin');
        const b4 = await lease(admin, 'B4');
        const assignMe = await confirmation('flat four', 12000);
        const refundMe = await confirmation('wrong-ref', 500);

        const context = await env.browser.newContext();
        const page = await context.newPage();
        await uiLogin(page, 'manager');
        await page.goto('/unmatched.html');
        const row = (id) => page.locator('tr[data-c2b-id]').filter({ hasText: id });
        await row(assignMe).waitFor();
        assert.match(await row(assignMe).textContent(), /flat four/);
        assert.equal(await row(assignMe).locator('form[data-action="refund"]').count(), 0, 'managers do not send money');
        await row(assignMe).locator('select').selectOption(String(b4.id));
        await row(assignMe).getByRole('button', { name: 'Assign' }).click();
        await page.getByText(`${assignMe} assigned to B4.`).waitFor();
        await screenshot(page, 'unmatched-assigned');
        const payments = await env.gateway.api('GET', `/api/v1/leases/${b4.id}/payments`, { token: admin });
        assert.equal(payments.status, 200, payments.text);
        const list = Array.isArray(payments.json.data) ? payments.json.data : payments.json.data.items;
        assert.equal(list.length, 1);
        assert.equal(list[0].source, 'c2b');
        await context.close();

        const adminContext = await env.browser.newContext();
        const adminPage = await adminContext.newPage();
        adminPage.on('dialog', (dialog) => dialog.accept());
        await uiLogin(adminPage, 'admin');
        await adminPage.goto('/unmatched.html');
        const refundRow = adminPage.locator('tr[data-c2b-id]').filter({ hasText: refundMe });
        await refundRow.waitFor();
        env.browser.allow(/status of 400 .*\/refund/);  // the wrong number, refused on purpose
        await refundRow.locator('input[type="tel"]').fill('0711 000 222');
        await refundRow.getByRole('button', { name: 'Refund' }).click();
        await adminPage.locator('#page-message').filter({ hasText: 'does not agree' }).waitFor();
        await refundRow.locator('input[type="tel"]').fill('0708 374 149');
        await refundRow.getByRole('button', { name: 'Refund' }).click();
        await adminPage.getByText(`${refundMe}: refund of`).waitFor();
        await screenshot(adminPage, 'unmatched-refunded');
        // The transactions page lists C2B payments under their own kind.
        await adminPage.goto('/transactions.html');
        await adminPage.locator('#f-kind').selectOption('c2b');
        await adminPage.locator('#f-kind').evaluate((s) => s.form.requestSubmit());
        await adminPage.locator('.tx-table tbody tr').filter({ hasText: assignMe }).waitFor();
        await adminContext.close();
    });

    test('the queue is usable at 360 px', async () => {
        await confirmation('unknown-360', 300);
        const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        await uiLogin(page, 'admin');
        await page.goto('/unmatched.html');
        await page.locator('tr[data-c2b-id]').first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `the unmatched page scrolls sideways by ${overflow}px at 360px`);
        await screenshot(page, 'unmatched-360');
        await context.close();
    });
});
