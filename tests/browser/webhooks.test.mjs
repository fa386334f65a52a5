// Webhooks and alerts in the browser, against the real API of a real gateway (simulator mode, interactive: a push
// waits for the virtual phone, so until it is answered no callback arrives).
//   - the dashboard's banner shows an open alert when callbacks stop, at 360 px too, and loses it once one arrives;
//   - an admin adds an endpoint (event types ticked), sees its secret once, disables and enables it, rotates the
//     secret (shown once, with until when the old one signs), reads a failing message's attempts, resends it, and
//     deletes the endpoint; a gateway-disabled endpoint shows on the dashboard with a link to the Webhooks page.
// The webhooks part needs the outbox's REST API (/api/v1/webhooks/...): it runs once that is in the build.
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

let env;
let context;
let page;
let receiver;
let received = [];
before(async () => {
    env = await setup({
        env: {
            ALERT_CALLBACK_SECONDS: '2',
            ALERT_INTERVAL_SECONDS: '1',
            ALERT_MIN_PUSHES: '3',
            WEBHOOKS_ALLOW_PRIVATE: 'true', // the test's receiver listens on loopback
        },
    });
    context = await env.browser.newContext();
    page = await context.newPage();
    // A receiver that refuses everything: the messages sent to it stay PENDING with their attempts recorded.
    receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => { body += chunk; });
        req.on('end', () => {
            received.push({ headers: req.headers, body });
            res.writeHead(503, { 'Content-Type': 'text/plain' });
            res.end('receiver busy, try later');
        });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
after(async () => {
    if (context) await context.close();
    if (env) await env.teardown();
    if (receiver) await new Promise((resolve) => receiver.close(resolve));
});
afterEach(() => assertNoProblems(env.browser));

async function push(token, amount) {
    const res = await env.gateway.api('POST', '/api/v1/mpesa/stk-push', {
        token, headers: { 'Idempotency-Key': `alert-${amount}-${Date.now()}` },
        // A phone per amount: the simulator refuses a second prompt to a phone that has one open.
        body: { phoneNumber: `0712345${amount}`, amount, accountReference: 'A1', transactionDesc: 'Rent' },
    });
    assert.equal(res.status, 200, res.text);
    return res.json.data.checkoutRequestId;
}

async function answer(token, cid) {
    await waitFor(async () => {
        const res = await env.gateway.api('POST', `/api/v1/simulator/stk/${cid}/resolve`, { token, body: { action: 'accept', pin: '1234' } });
        return res.status === 200;
    }, { what: 'the prompt to be accepted' });
    await waitFor(async () => {
        const res = await env.gateway.api('GET', `/api/v1/mpesa/status/${cid}`, { token });
        return res.json && res.json.data.status === 'SUCCESS';
    }, { what: 'the payment to succeed', timeoutMs: 20000 });
}

describe('alerts banner', () => {
    test('callbacks that stop show a banner on the dashboard, which goes once one arrives', async () => {
        const token = await env.gateway.login('manager');
        const waiting = [];
        for (const amount of [301, 302, 303]) waiting.push(await push(token, amount)); // nobody answers on the phone
        await waitFor(async () => {
            const res = await env.gateway.api('GET', '/api/v1/alerts', { token });
            return res.status === 200 && res.json.data.length === 1;
        }, { what: 'the callbacks_missing alert', timeoutMs: 20000 });

        // A manager's dashboard (no webhook tools): the alert, what to do, where to go.
        await uiLogin(page, 'manager');
        const banner = page.locator('#alerts [data-alert="callbacks_missing"]');
        await banner.waitFor();
        assert.match(await banner.textContent(), /M-Pesa callbacks are not arriving/);
        assert.match(await banner.textContent(), /3 payment prompts/);
        assert.equal(await banner.getByRole('link', { name: 'Open Needs review' }).getAttribute('href'), '/review.html');
        await screenshot(page, 'alerts-banner-desktop');

        const narrow = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        try {
            const small = await narrow.newPage();
            await uiLogin(small, 'manager');
            await small.locator('#alerts [data-alert="callbacks_missing"]').waitFor();
            const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 360 px`);
            await screenshot(small, 'alerts-banner-360');
        } finally {
            await narrow.close();
        }

        // The tenant answers one prompt: its callback arrives, the alert clears itself, the banner goes.
        await answer(token, waiting[0]);
        await waitFor(async () => {
            const res = await env.gateway.api('GET', '/api/v1/alerts', { token });
            return res.status === 200 && res.json.data.length === 0;
        }, { what: 'the alert to clear', timeoutMs: 20000 });
        await page.reload();
        await page.locator('#recent table, #recent .empty').first().waitFor();
        assert.equal(await page.locator('#alerts [data-alert]').count(), 0);
        await page.evaluate(() => sessionStorage.clear());
    });
});

// Needs the outbox's webhooks API (/api/v1/webhooks/...).
describe('webhooks page', () => {
    test('an admin adds an endpoint, sees its secret once, disables, rotates, reads attempts, resends, deletes', async () => {
        const admin = await env.gateway.login('admin');
        const url = `http://127.0.0.1:${receiver.address().port}/haven`;
        await uiLogin(page, 'admin');
        await page.getByRole('link', { name: 'Webhooks' }).click();
        await page.waitForURL('**/webhooks.html');
        await page.getByLabel('URL').fill(url);
        await page.getByLabel('Description').fill('Haven test receiver');
        await page.getByLabel('payment.succeeded').check();
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        const secretBox = page.locator('#new-secret');
        await secretBox.waitFor();
        assert.match(await secretBox.textContent(), /you will not see it again/);
        const secret = (await page.locator('#new-secret-value').textContent()).trim();
        assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
        const row = page.locator('tr[data-endpoint-id]', { hasText: url });
        await row.waitFor();
        assert.match(await row.textContent(), /payment\.succeeded/);
        assert.match(await row.textContent(), /Enabled/);
        assert.ok(!(await row.textContent()).includes(secret), 'the list never shows the secret');
        const listed = await env.gateway.api('GET', '/api/v1/webhooks/endpoints', { token: admin });
        assert.equal(listed.status, 200, listed.text);
        assert.ok(!listed.text.includes(secret), 'the API never shows it again');
        await screenshot(page, 'webhooks-created');

        // Put away: gone from the page for good.
        await page.getByRole('button', { name: 'I have stored it' }).click();
        assert.equal(await secretBox.isVisible(), false);
        await page.reload();
        await row.waitFor();
        assert.ok(!(await page.content()).includes(secret));

        await row.getByRole('button', { name: `Disable ${url}` }).click();
        await page.locator('tr[data-endpoint-id]', { hasText: 'Disabled' }).waitFor();
        await page.locator('#page-message', { hasText: 'disabled' }).waitFor();
        const endpoints = (await env.gateway.api('GET', '/api/v1/webhooks/endpoints', { token: admin })).json.data;
        assert.equal(endpoints.find((e) => e.url === url).enabled, false);
        await row.getByRole('button', { name: `Enable ${url}` }).click();
        await page.locator('tr[data-endpoint-id]', { hasText: 'Enabled' }).waitFor();

        page.once('dialog', (dialog) => dialog.accept());
        await row.getByRole('button', { name: `Rotate the secret of ${url}` }).click();
        await page.locator('#new-secret-previous', { hasText: 'previous secret signs' }).waitFor();
        const rotated = (await page.locator('#new-secret-value').textContent()).trim();
        assert.match(rotated, /^whsec_/);
        assert.notEqual(rotated, secret);
        await page.getByRole('button', { name: 'I have stored it' }).click();

        // A payment: its payment.succeeded goes to the receiver, which refuses it; the attempt is on the page.
        const manager = await env.gateway.login('manager');
        await answer(manager, await push(manager, 410));
        await waitFor(() => received.length > 0, { what: 'the receiver to be called', timeoutMs: 30000 });
        const message = page.locator('#messages tr[data-message-id]', { hasText: 'payment.succeeded' });
        // The receiver sees the request before the gateway has recorded the attempt: reload until the row shows it.
        await waitFor(async () => {
            if ((await message.count()) && /503|busy/.test(await message.first().textContent())) return true;
            await row.getByRole('button', { name: `Messages of ${url}` }).click(); // (re)loads the list
            return false;
        }, { what: 'the message in the list with its refused attempt', intervalMs: 500 });
        assert.match(await message.first().textContent(), /503|busy/);
        await message.first().getByRole('button', { name: /Details of message/ }).click();
        const detail = page.locator('#message-detail');
        await detail.getByRole('heading', { name: 'Attempts' }).waitFor();
        assert.match(await detail.textContent(), /503/);
        assert.match(await detail.textContent(), /receiver busy, try later/);
        await screenshot(page, 'webhooks-message');
        const before = received.length;
        await detail.getByRole('button', { name: 'Resend' }).click();
        await page.locator('#message-status', { hasText: 'queued again' }).waitFor();
        await waitFor(() => received.length > before, { what: 'the resent message', timeoutMs: 30000 });
        assert.equal(received[received.length - 1].headers['webhook-id'], received[0].headers['webhook-id'],
            'a resend keeps the webhook-id');
        await page.locator('#message-close').click();

        // Disabled by the gateway after failing too long (the outbox worker's state, written as it writes it): the
        // dashboard says so and links to this page.
        const id = endpoints.find((e) => e.url === url).id;
        const db = path.join(env.gateway.dir, 'haven.db');
        const set = spawnSync('sqlite3', [db, `UPDATE webhook_endpoints SET enabled = 0, disabled_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), disabled_reason = 'failed for 24 hours' WHERE id = ${id}`], { encoding: 'utf8' });
        assert.equal(set.status, 0, set.stderr);
        await page.goto('/dashboard.html');
        const notice = page.locator(`#alerts [data-disabled-endpoint="${id}"]`);
        await notice.waitFor();
        assert.match(await notice.textContent(), /failed for 24 hours/);
        await notice.getByRole('link', { name: /Open Webhooks/ }).click();
        await page.waitForURL('**/webhooks.html');
        await page.locator('tr[data-endpoint-id]', { hasText: 'Disabled by the gateway' }).waitFor();

        page.once('dialog', (dialog) => dialog.accept());
        await page.locator('tr[data-endpoint-id]', { hasText: url }).getByRole('button', { name: `Delete ${url}` }).click();
        await page.locator('#endpoints .empty', { hasText: 'No endpoints yet.' }).waitFor();
    });

    test('the page at 360 px keeps to the screen', async () => {
        const narrow = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
        try {
            const small = await narrow.newPage();
            await uiLogin(small, 'admin');
            await small.goto('/webhooks.html');
            await small.locator('#w-type-boxes input[type="checkbox"]').first().waitFor();
            const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 360 px`);
            await screenshot(small, 'webhooks-360');
        } finally {
            await narrow.close();
        }
    });

    test('a manager sees no webhook tools and no link', async () => {
        const own = await env.browser.newContext(); // a session of its own
        try {
            const managerPage = await own.newPage();
            await uiLogin(managerPage, 'manager');
            assert.equal(await managerPage.locator('a[href="/webhooks.html"]').count(), 0);
            await managerPage.goto('/webhooks.html');
            await managerPage.locator('#admin-only').waitFor();
            assert.equal(await managerPage.locator('#admin-tools').isVisible(), false);
        } finally {
            await own.close();
        }
    });
});
