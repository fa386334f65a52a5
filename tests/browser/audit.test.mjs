// The audit log in the browser: an admin edits a lease and sees the change in its history; the audit page lists the
// entries, filters them and exports them as CSV (fetched with the bearer token, saved as a file).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
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

describe('audit log', () => {
    test('an admin edits a lease, sees it in the history, then lists and exports the audit log', async () => {
        const token = await env.gateway.login('admin');
        const created = await env.gateway.api('POST', '/api/v1/leases', {
            token, body: { tenantName: 'Achieng Otieno', phoneNumber: '0708374149', unit: 'C7', monthlyRent: 18000, accountReference: 'C7' },
        });
        assert.equal(created.status, 201, created.text);
        const id = created.json.data.id;

        await uiLogin(page, 'admin');
        await page.goto(`/leases.html?id=${id}`);
        await page.getByRole('button', { name: 'Edit lease' }).click();
        await page.locator('#e-rent').fill('19500');
        await page.getByRole('button', { name: 'Save changes' }).click();
        await page.locator('#page-message', { hasText: 'Lease saved.' }).waitFor();
        const change = page.locator('#lease-history tr', { hasText: 'lease.update' }).first();
        await change.waitFor();
        assert.match(await change.locator('.history-change').textContent(), /Rent: 18000 → 19500/);
        assert.match(await page.locator('#detail-fields').textContent(), /19,500/);
        await screenshot(page, 'lease-history');

        // End it: shown as ended, no more "Request rent".
        await page.getByRole('button', { name: 'End lease' }).click();
        await page.getByLabel('Reason').fill('Tenant moved out');
        await page.locator('#end-form').getByRole('button', { name: 'End lease' }).click();
        await page.locator('#lease-status-text', { hasText: 'Ended' }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Request rent' }).isHidden(), true);
        await page.locator('#lease-history tr', { hasText: 'lease.end' }).first().waitFor();
        // Its tenant link no longer takes payments, and says why.
        env.browser.allow(/status of 409/);
        const tenantPage = await context.newPage();
        await tenantPage.goto(created.json.data.paymentLink);
        await tenantPage.getByText('This lease has ended').waitFor();
        await tenantPage.close();

        await page.getByRole('link', { name: 'Audit log' }).click();
        await page.waitForURL('**/audit.html');
        const rows = page.locator('#audit-entries tbody tr');
        await rows.first().waitFor();
        assert.ok(await rows.count() >= 3, 'create, update and end are listed');
        await page.getByLabel('Action').fill('lease.update');
        await page.getByRole('button', { name: 'Show' }).click();
        await page.waitForFunction(() => [...document.querySelectorAll('#audit-entries tbody .audit-action')]
            .every((td) => td.textContent === 'lease.update'));
        assert.match(await rows.first().locator('.audit-detail').textContent(), /monthlyRent: 18000 → 19500/);
        await screenshot(page, 'audit-log');

        const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.getByRole('button', { name: 'Export CSV' }).click(),
        ]);
        const csv = await fs.readFile(await download.path(), 'utf8');
        const lines = csv.trim().split('\r\n');
        assert.equal(lines[0], 'id,at,actor,actorUserId,action,target,outcome,requestId,detail');
        assert.equal(lines.length, 2, csv);
        assert.match(lines[1], /lease\.update/);
        // The detail cell is JSON (keys in sorted order) inside RFC 4180 quotes, its own quotes doubled.
        assert.match(lines[1], /"\{""after"":\{""monthlyRent"":19500\},""before"":\{""monthlyRent"":18000\}\}"/);
    });

    test('a manager sees no audit link and the page refuses them', async () => {
        await context.clearCookies();
        await page.evaluate(() => sessionStorage.clear());
        await uiLogin(page, 'manager');
        assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
        await page.goto('/audit.html');
        await page.getByText('Only an agency admin may read the audit log.').waitFor();
    });
});
