// The React wrappers (web/react/index.js) as Haven's frontend uses them, with React 18 and with React 19 from npm:
// react-app.jsx is bundled here with esbuild (react -> react18 or react19) and served on the gateway's origin under
// the gateway's own Content-Security-Policy. A rent payment goes through against the simulator (the test answers the
// prompt through the simulator control API, as the virtual phone does) and reaches onSuccess with the receipt;
// onCancel, the forwarded ref, and a prop change reaching <account-balance> are checked too.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { assertNoProblems, screenshot, setup, waitFor } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const kVersions = ['18', '19'];
const kPhone = '0712345678';

let env;
let token;
let pageHeaders; // the headers the gateway sends with its own pages (CSP and the rest)
const bundles = {};

async function bundle(major) {
    const result = await esbuild.build({
        entryPoints: [path.join(here, 'react-app.jsx')],
        bundle: true,
        write: false,
        format: 'esm',
        jsx: 'automatic',
        // web/react imports plain "react"; the test's node_modules hold it under the aliases.
        alias: { react: `react${major}`, 'react-dom': `react-dom${major}` },
        nodePaths: [path.join(here, 'node_modules')],
        define: { 'process.env.NODE_ENV': '"development"' }, // development builds: React's warnings are console errors
        logLevel: 'silent',
    });
    return result.outputFiles[0].text;
}

function testPage(major) {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Haven React wrappers, React ${major}</title><link rel="stylesheet" href="/css/app.css">
<script type="module" src="/react-test/app-react${major}.js"></script></head>
<body><div id="root"></div></body></html>`;
}

before(async () => {
    const [built18, built19] = await Promise.all(kVersions.map(bundle));
    bundles['18'] = built18;
    bundles['19'] = built19;
    env = await setup();
    token = await env.gateway.login('admin');
    const res = await fetch(`${env.gateway.baseUrl}/index.html`);
    pageHeaders = Object.fromEntries([...res.headers].filter(([name]) => !/^(content-length|content-type|etag|last-modified|date|connection|keep-alive)$/i.test(name)));
    assert.ok(pageHeaders['content-security-policy'], 'the gateway sends a CSP with its pages');
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

/** A page on the gateway's origin running the app bundled with React `major`. */
async function openApp(major, leaseExternalId) {
    const context = await env.browser.newContext();
    await context.route(`${env.gateway.baseUrl}/react-test/**`, (route) => {
        const { pathname } = new URL(route.request().url());
        const js = pathname.match(/^\/react-test\/app-react(\d+)\.js$/);
        if (js && bundles[js[1]]) {
            return route.fulfill({ status: 200, headers: { ...pageHeaders, 'content-type': 'text/javascript; charset=utf-8' }, body: bundles[js[1]] });
        }
        if (pathname === `/react-test/react${major}.html`) {
            return route.fulfill({ status: 200, headers: { ...pageHeaders, 'content-type': 'text/html; charset=utf-8' }, body: testPage(major) });
        }
        return route.fulfill({ status: 404, body: 'not found' });
    });
    const page = await context.newPage();
    const query = new URLSearchParams({ lease: leaseExternalId });
    await page.goto(`/react-test/react${major}.html?${query}#token=${encodeURIComponent(token)}`);
    await page.locator('#react-version').filter({ hasText: new RegExp(`^${major}\\.`) }).waitFor();
    return { context, page };
}

async function events(page, component, name) {
    return page.evaluate(([c, n]) => window.reactEvents.filter((e) => e.component === c && e.name === n), [component, name]);
}

async function resolvePrompt(checkoutRequestId, body) {
    const res = await env.gateway.api('POST', `/api/v1/simulator/stk/${encodeURIComponent(checkoutRequestId)}/resolve`, { token, body });
    assert.equal(res.status, 200, `resolve the prompt: ${res.text}`);
    return res.json.data;
}

/** Types the phone, sends the request and returns the CheckoutRequestID the element shows. */
async function sendPayment(page, previous = null) {
    const widget = page.locator('mpesa-payment');
    await page.locator('mpesa-payment[data-step="phone"]').waitFor();
    await widget.getByLabel('M-Pesa phone number').fill(kPhone);
    await widget.getByRole('button', { name: 'Send payment request' }).click();
    await page.locator('mpesa-payment[data-step="waiting"]').waitFor();
    return waitFor(async () => {
        const id = await widget.getAttribute('data-checkout-request-id');
        return id && id !== previous ? id : null;
    }, { what: 'a CheckoutRequestID on <mpesa-payment>' });
}

test('the gateway serves the module at /react/index.js, beside the elements it imports', async () => {
    for (const file of ['/react/index.js', '/components/mpesa-payment.js', '/js/api.js']) {
        const res = await fetch(env.gateway.baseUrl + file);
        assert.equal(res.status, 200, file);
        assert.match(res.headers.get('content-type'), /javascript/, file);
    }
});

for (const major of kVersions) {
    describe(`React ${major}`, () => {
        test(`<MpesaPayment> as the seed writes it pays rent on a lease synced by external id; onSuccess gets the receipt, onCancel the cancellation`, async () => {
            const externalId = `lease-id-123-react${major}`;
            const lease = await env.gateway.api('PUT', `/api/v1/leases/by-external/${externalId}`, {
                token,
                body: { tenantName: 'Achieng Odhiambo', phoneNumber: kPhone, unit: `R${major}`, monthlyRent: 1200, accountReference: `R${major}` },
            });
            assert.equal(lease.status, 201, lease.text);
            const { context, page } = await openApp(major, externalId);
            try {
                const widget = page.locator('mpesa-payment');
                // Props arrive as the attributes the element reads (camelCase -> kebab-case, numbers as text).
                assert.equal(await widget.getAttribute('amount'), '1200');
                assert.equal(await widget.getAttribute('lease-id'), externalId);
                // The seed writes accountReference="Rent-Dec-2024": 13 characters. Daraja documents at most 12, and
                // longer references have been reported accepted by Daraja and then never reaching the phone, so the
                // gateway refuses them; this app uses "Rent-Dec-24".
                assert.equal(await widget.getAttribute('account-reference'), 'Rent-Dec-24');
                assert.equal(await widget.getAttribute('poll-interval-ms'), '300');
                assert.match(await widget.getAttribute('class'), /\breact-payment\b/);
                assert.equal(await page.evaluate(() => window.paymentElement && window.paymentElement.tagName), 'MPESA-PAYMENT',
                    'the ref is the element');

                const checkoutRequestId = await sendPayment(page);
                const answer = await resolvePrompt(checkoutRequestId, { action: 'accept', pin: '1234' });
                assert.ok(answer.mpesaReceiptNumber, 'the simulator gave a receipt');
                await page.locator('mpesa-payment[data-step="result"][data-outcome="SUCCESS"]').waitFor({ timeout: 30000 });
                const successes = await waitFor(async () => {
                    const list = await events(page, 'MpesaPayment', 'success');
                    return list.length ? list : null;
                }, { what: 'onSuccess' });
                assert.equal(successes.length, 1, 'onSuccess fired once (StrictMode mounts effects twice)');
                const tx = successes[0].detail;
                assert.equal(tx.status, 'SUCCESS');
                assert.equal(tx.mpesaReceiptNumber, answer.mpesaReceiptNumber);
                assert.equal(tx.checkoutRequestId, checkoutRequestId);
                assert.equal(Number(tx.amount), 1200);
                await screenshot(page, `react${major}-payment-success`);

                // The payment is on the lease Haven named by its own id.
                const payments = await env.gateway.api('GET', `/api/v1/leases/${lease.json.data.id}/payments`, { token });
                assert.equal(payments.status, 200, payments.text);
                assert.deepEqual(payments.json.data.map((p) => p.mpesaReceiptNumber), [answer.mpesaReceiptNumber]);

                // Through the ref: back to the first step; a prompt cancelled on the phone reaches onCancel.
                await page.evaluate(() => window.paymentElement.reset());
                const second = await sendPayment(page, checkoutRequestId);
                await resolvePrompt(second, { action: 'cancel' });
                await page.locator('mpesa-payment[data-step="result"][data-outcome="CANCELLED"]').waitFor({ timeout: 30000 });
                const cancels = await waitFor(async () => {
                    const list = await events(page, 'MpesaPayment', 'cancel');
                    return list.length ? list : null;
                }, { what: 'onCancel' });
                assert.equal(cancels.length, 1);
                assert.equal(cancels[0].detail.checkoutRequestId, second);
                assert.equal((await events(page, 'MpesaPayment', 'success')).length, 1, 'no second onSuccess');
                assert.equal((await events(page, 'MpesaPayment', 'failure')).length, 0);
            } finally {
                await context.close();
            }
        });

        test('<AccountBalance>: a prop change reaches the element, and onRefreshed gets the balance', async () => {
            const { context, page } = await openApp(major, 'unused');
            try {
                const balance = page.locator('account-balance');
                const refresh = balance.getByRole('button', { name: 'Refresh' });
                await balance.locator('.ab-accounts:not(:empty)').waitFor();
                assert.equal(await balance.getAttribute('readonly'), '', 'readonly={true} is a present attribute');
                assert.equal(await refresh.isHidden(), true);

                await page.locator('#toggle-readonly').click(); // readonly={false}
                await waitFor(async () => (await balance.getAttribute('readonly')) === null, { what: 'readonly removed' });
                await refresh.waitFor({ state: 'visible' });

                await refresh.click();
                const refreshed = await waitFor(async () => {
                    const list = await events(page, 'AccountBalance', 'refreshed');
                    return list.length ? list : null;
                }, { timeoutMs: 30000, what: 'onRefreshed' });
                assert.equal(refreshed.length, 1);
                assert.equal(refreshed[0].detail.status, 'SUCCESS');
                assert.ok(Array.isArray(refreshed[0].detail.accounts) && refreshed[0].detail.accounts.length > 0,
                    'the balance lists accounts');
                await balance.locator('.ab-account').first().waitFor();
                assert.equal((await events(page, 'AccountBalance', 'error')).length, 0);
                await screenshot(page, `react${major}-balance`);

                await page.locator('#toggle-readonly').click(); // readonly={true} again
                await refresh.waitFor({ state: 'hidden' });
            } finally {
                await context.close();
            }
        });
    });
}
