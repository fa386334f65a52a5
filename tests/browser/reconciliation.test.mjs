// Reconciliation in the browser: a manager uploads an M-Pesa statement, reads the report, records a payment our
// records lack on the lease of its account number and downloads the CSV; the same at 360 px; viewers only read.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { assertNoProblems, screenshot, setup, uiLogin } from './harness.mjs';

let env;
before(async () => {
    env = await setup();
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

const kHeader = 'Organization Short Code:,600977\n'
    + 'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,'
    + 'Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n';

/** A statement with a Pay Bill payment for account `account`, its charge, and a payout (unique receipts per call). */
function statement(tag, account) {
    // Each test its own month: one statement's period never covers the other's recorded payment.
    const m = tag === '11' ? '2026-12' : '2026-11';
    return kHeader
        + `RB${tag}00001,${m}-05 18:42:10,${m}-05 18:42:09,Pay Bill from 2547****149 - WANJIKU KAMAU Acc. ${account},Completed,"15,000.00",,"148,250.00",true,Pay Bill Online,2547****149 - WANJIKU KAMAU,,${account}\n`
        + `RB${tag}00002,${m}-05 18:42:10,${m}-05 18:42:09,Pay Bill Charge,Completed,,"52.00","148,198.00",true,Pay Bill Charge,,RB${tag}00001,\n`
        + `RB${tag}00003,${m}-02 12:30:45,${m}-02 12:30:40,Business Payment to 2547****149 - WANJIKU KAMAU,Completed,,"2,000.00","118,250.00",true,Business Payment,2547****149 - WANJIKU KAMAU,,\n`;
}

async function uploadAndRecord(page, tag, account) {
    await page.goto('/reconciliation.html');
    await page.locator('#statement-file').setInputFiles({
        name: `statement-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(statement(tag, account)),
    });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#page-message').filter({ hasText: `Imported statement-${tag}.csv` }).waitFor();
    const rows = page.locator('tr[data-finding-id]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2, 'the payment in and the payout are missing in our records; the charge is not a finding');
    const payIn = rows.filter({ hasText: `RB${tag}00001` });
    assert.match(await payIn.textContent(), /Missing in our records/);
    assert.equal(await rows.filter({ hasText: `RB${tag}00003` }).getByRole('button').count(), 0, 'a payout is not recorded');
    await payIn.getByRole('button', { name: 'Record payment' }).click();
    await page.locator('#page-message').filter({ hasText: `Receipt RB${tag}00001 recorded on lease` }).waitFor();
    assert.match(await rows.filter({ hasText: `RB${tag}00001` }).textContent(), /recorded/);
    // The same file again changes nothing.
    await page.locator('#statement-file').setInputFiles({
        name: `statement-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(statement(tag, account)),
    });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#page-message').filter({ hasText: 'was imported before; nothing changed' }).waitFor();
    assert.equal(await page.locator('tr[data-import-id]').filter({ hasText: `statement-${tag}.csv` }).count(), 1);
}

describe('reconciliation', () => {
    test('a manager imports a statement, records the missing payment and downloads the report (desktop)', async () => {
        const token = await env.gateway.login('admin');
        await env.gateway.createLease(token, { accountReference: 'B4', unit: 'B4' });
        const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
        const page = await context.newPage();
        await uiLogin(page, 'manager');
        await uploadAndRecord(page, '11', 'b4');
        await screenshot(page, 'reconciliation-desktop');
        const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.getByRole('button', { name: 'Download CSV' }).click(),
        ]);
        const csv = await fs.readFile(await download.path(), 'utf8');
        assert.match(csv, /^findingId,kind,receipt,line/);
        assert.match(csv, /RB1100001/);
        // A malformed file is refused with its line, and nothing is listed for it.
        env.browser.allow(/status of 400 .*\/api\/v1\/reconciliations/);
        await page.locator('#statement-file').setInputFiles({
            name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from(kHeader + 'RB9900001,2026-12-05 18:42:10,,x,Completed,"10.50",,,true,P,,,B4\n'),
        });
        await page.getByRole('button', { name: 'Import' }).click();
        await page.locator('#page-message').filter({ hasText: 'line 3' }).waitFor();
        assert.equal(await page.locator('tr[data-import-id]').filter({ hasText: 'broken.csv' }).count(), 0);
        await context.close();
    });

    test('the page is usable at 360 px, and viewers read without acting', async () => {
        const token = await env.gateway.login('admin');
        await env.gateway.createLease(token, { accountReference: 'C7', unit: 'C7' });
        const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        await uiLogin(page, 'manager');
        await uploadAndRecord(page, '22', 'C7');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 360px`);
        await screenshot(page, 'reconciliation-360');

        await context.clearCookies();
        await page.evaluate(() => sessionStorage.clear());
        await uiLogin(page, 'viewer');
        await page.goto('/reconciliation.html');
        await page.locator('tr[data-import-id]').first().waitFor();
        assert.equal(await page.locator('#upload-card').isHidden(), true, 'viewers do not import');
        await page.locator('tr[data-import-id]').first().getByRole('button').click();
        await page.locator('tr[data-finding-id]').first().waitFor();
        assert.equal(await page.getByRole('button', { name: 'Record payment' }).count(), 0, 'viewers do not record');
        await context.close();
    });
});
