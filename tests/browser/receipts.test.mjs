// Receipts on the virtual phone: an SMS that reaches the simulated Africa's Talking (sent as the gateway's SMS sender
// sends it: form-encoded, apiKey header) shows on the phone page, at 360 px and on a desktop; an SMS to a number that
// is none of the agency's tenants does not.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertNoProblems, freePort, screenshot, setup, uiLogin } from './harness.mjs';

const kApiKey = `atsk_browser_${randomBytes(8).toString('hex')}`;
const kUsername = 'havenco';
let env;
let simPort;

before(async () => {
    simPort = await freePort();
    env = await setup({ env: { AT_API_KEY: kApiKey, AT_USERNAME: kUsername, AT_SENDER_ID: 'SUNRISE', SIMULATOR_PORT: String(simPort) } });
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

async function sendSms(to, message) {
    const res = await fetch(`http://127.0.0.1:${simPort}/version1/messaging`, {
        method: 'POST',
        headers: { apiKey: kApiKey, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: kUsername, to, message, from: 'SUNRISE' }).toString(),
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const body = JSON.parse(text);
    assert.equal(body.SMSMessageData.Recipients[0].statusCode, 101);
}

for (const [name, viewport, local, receipt] of [
    ['360 px', { width: 360, height: 740 }, '0712345678', 'TL4H2K9QX1'],
    ['desktop', { width: 1280, height: 900 }, '0712345679', 'TL4H2K9QX2'],
]) {
    test(`the virtual phone shows a receipt SMS its tenant received (${name})`, async () => {
        const token = await env.gateway.login('admin');
        const unit = `R-${receipt.slice(-1)}`;
        await env.gateway.createLease(token, { phoneNumber: local, unit, accountReference: unit });
        const context = await env.browser.newContext({ viewport });
        try {
            const page = await context.newPage();
            await uiLogin(page, 'manager');
            await page.goto('/phone.html');
            await page.locator('#sms-status:not(:empty)').waitFor();
            assert.equal(await page.locator('#sms').isVisible(), true);

            const stranger = `Not for this agency ${receipt}`;
            await sendSms('+254799000111', stranger);
            const text = `${receipt} confirmed. KES 1,500 received for ${unit} on 2 Dec 2026 09:15. Dec 2026 rent paid in full. Test Agency`;
            await sendSms(`+254${local.slice(1)}`, text);

            const item = page.locator('.sms', { hasText: receipt });
            await item.waitFor();
            assert.equal(await item.locator('.sms-text').textContent(), text);
            assert.match(await item.locator('.sms-meta').textContent(), new RegExp(`To ${local.slice(0, 4)} ${local.slice(4, 7)} ${local.slice(7)} · from SUNRISE`));
            // Both messages were in the simulator before this one showed, so the same answer held the other one too.
            assert.equal(await page.getByText(stranger).count(), 0);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
            await screenshot(page, `receipts-phone-${name}`);
        } finally {
            await context.close();
        }
    });
}
