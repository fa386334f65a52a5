// Two people for big money moves in the browser: admin A asks for a payout above the agency's approval threshold
// and sees it waiting for approval (nothing sent); on the approvals page A sees it as waiting for another admin;
// admin B approves it there and the payout completes.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, kAgency, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

const kSecondAdmin = { email: 'admin2@test.haven', password: 'second-admin-pass-1234' };

let env;
let context;
let page;
before(async () => {
    env = await setup();
    env.gateway.runCli(['user', 'add', '--email', kSecondAdmin.email, '--password', kSecondAdmin.password,
        '--role', 'admin', '--agency', kAgency]);
    context = await env.browser.newContext();
    page = await context.newPage();
});
after(async () => {
    if (context) await context.close();
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

async function b2cRequestsSeen(token) {
    const list = await env.gateway.api('GET', '/api/v1/mpesa/transactions?kind=b2c', { token });
    assert.equal(list.status, 200, list.text);
    return list.json.data.items;
}

describe('approvals', () => {
    test('a payout above the threshold waits for a second admin, who approves it on the approvals page', async () => {
        await uiLogin(page, 'admin');
        await page.goto('/settings.html');
        await page.getByLabel('Approval threshold (KES)').fill('5000');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText('Settings saved.').waitFor();

        await page.goto('/payouts.html');
        const b2c = page.locator('b2c-payment');
        await b2c.locator('form').waitFor();
        await b2c.getByLabel('Type').selectOption('payout');
        await b2c.getByLabel('Recipient phone number').pressSequentially('0712100200');
        await b2c.getByLabel('Amount (KES)').fill('20000');
        await b2c.getByLabel('Remarks').fill('Roof repair');
        await b2c.getByRole('button', { name: 'Continue' }).click();
        await page.locator('b2c-payment[data-step="confirm"]').waitFor();
        await b2c.getByRole('button', { name: 'Send KES 20,000' }).click();
        await page.locator('b2c-payment[data-step="held"]').waitFor();
        await b2c.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
        await screenshot(page, 'approvals-held');
        const tokenA = await env.gateway.login('admin');
        assert.equal((await b2cRequestsSeen(tokenA)).length, 0, 'a held payout was sent');

        await page.goto('/approvals.html');
        const row = page.locator('tr[data-approval-id]');
        await row.first().waitFor();
        assert.match(await row.first().textContent(), /20,000/);
        assert.match(await row.first().textContent(), /Waiting for another admin/);
        assert.equal(await row.first().getByRole('button', { name: 'Approve' }).count(), 0, 'the maker cannot approve');

        await page.evaluate(() => sessionStorage.clear());
        await page.goto('/index.html');
        await page.getByLabel('Email').fill(kSecondAdmin.email);
        await page.getByLabel('Password').fill(kSecondAdmin.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL('**/dashboard.html');
        await page.getByRole('link', { name: 'Approvals' }).click();
        await page.waitForURL('**/approvals.html');
        await row.first().waitFor();
        assert.match(await row.first().textContent(), /admin@test\.haven/);
        await screenshot(page, 'approvals-pending');
        await row.first().getByRole('button', { name: 'Approve' }).click();
        await page.getByText(/approved and sent to M-Pesa/).waitFor();

        const paid = await waitFor(async () => {
            const items = await b2cRequestsSeen(tokenA);
            return items.length === 1 && items[0].status === 'SUCCESS' ? items[0] : null;
        }, { what: 'the approved payout to succeed', timeoutMs: 30000 });
        assert.equal(paid.amount, 20000);
        await page.locator('#a-status').selectOption('approved');
        await page.locator('tr[data-approval-id]').first().getByText(/Approved by admin2@test\.haven/).waitFor();
        await screenshot(page, 'approvals-approved');
    });
});
