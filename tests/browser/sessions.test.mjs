// Sessions in the browser: the access token expires and the UI renews it silently with the refresh cookie; when the
// refresh token is gone too, the login page says the session expired; two-factor login through the login page.
// The gateway runs with JWT_TTL=2 (access tokens live 2 seconds); every wait polls, none sleeps.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertNoProblems, Browser, Gateway, kUsers, screenshot, uiLogin, waitFor } from './harness.mjs';

/** A gateway whose access tokens live 2 seconds: JWT_TTL comes from the .env file in its working directory. */
class ShortSessionGateway extends Gateway {
    runCli(args) {
        writeFileSync(path.join(this.dir, '.env'), 'JWT_TTL=2\n');
        return super.runCli(args);
    }
}

function base32Decode(text) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let value = 0;
    const out = [];
    for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
        value = (value << 5) | alphabet.indexOf(ch);
        bits += 5;
        if (bits >= 8) {
            out.push((value >>> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return Buffer.from(out);
}

/** RFC 6238 code of `secret` (base32) for the step holding `unixSeconds`. */
function totp(secret, unixSeconds = Date.now() / 1000) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
    const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
    const offset = mac[mac.length - 1] & 0x0f;
    const binary = mac.readUInt32BE(offset) & 0x7fffffff;
    return String(binary % 1000000).padStart(6, '0');
}

let gateway;
let browser;
before(async () => {
    gateway = await new ShortSessionGateway().start();
    browser = await new Browser(gateway).start();
});
after(async () => {
    if (browser) await browser.stop();
    if (gateway) await gateway.stop();
});
afterEach(() => assertNoProblems(browser));

/** Polls until the page's access token is refused by the gateway (it lives 2 seconds). */
async function waitForExpiry(page) {
    const token = await page.evaluate(() => sessionStorage.getItem('haven.token'));
    assert.ok(token, 'logged in');
    await waitFor(async () => (await gateway.api('GET', '/api/v1/auth/me', { token })).status === 401,
        { timeoutMs: 10000, what: 'the access token to expire' });
    return token;
}

describe('sessions', () => {
    test('an expired access token is renewed silently', async () => {
        // The first call after expiry is answered 401 before the renewal: Chromium logs it as a failed load.
        browser.allow(/status of 401/);
        const context = await browser.newContext();
        const page = await context.newPage();
        await uiLogin(page, 'admin');
        const old = await waitForExpiry(page);
        await page.goto('/leases.html');
        await page.locator('.user-email').waitFor({ state: 'visible' });
        assert.match(page.url(), /leases\.html/);
        assert.equal(await page.locator('.user-email').textContent(), kUsers.admin.email);
        const renewed = await page.evaluate(() => sessionStorage.getItem('haven.token'));
        assert.ok(renewed && renewed !== old, 'a new access token was stored');
        await context.close();
    });

    test('without a refresh token the login page says the session expired', async () => {
        browser.allow(/status of 401/);
        const context = await browser.newContext();
        const page = await context.newPage();
        await uiLogin(page, 'manager');
        // Park on a page without scripts, so no background call meets the expiry before the one this test makes.
        browser.allow(/favicon\.ico/);  // an image shown as a page makes Chromium ask for /favicon.ico
        await page.goto('/favicon.svg');
        await context.clearCookies();  // the HttpOnly refresh cookie is gone
        await waitForExpiry(page);
        await page.goto('/leases.html');
        await page.waitForURL('**/index.html?expired=1*');
        const notice = page.getByText('Your session expired, log in again');
        await notice.waitFor({ state: 'visible' });
        await screenshot(page, 'session-expired');
        await context.close();
    });

    test('log out revokes the refresh token', async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        await uiLogin(page, 'viewer');
        const cookie = (await context.cookies()).find((c) => c.name === 'haven_refresh');
        assert.ok(cookie, 'the refresh cookie is set');
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, 'Strict');
        await page.getByRole('button', { name: 'Log out' }).click();
        await page.waitForURL('**/index.html');
        const refused = await gateway.api('POST', '/api/v1/auth/refresh', { body: { refreshToken: cookie.value } });
        assert.equal(refused.status, 401);
        await context.close();
    });

    test('two-factor login through the login page', async () => {
        browser.allow(/status of 401/);
        // Enrol the manager through the API with a code computed here from the secret.
        const login = await gateway.api('POST', '/api/v1/auth/login',
            { body: { email: kUsers.manager.email, password: kUsers.manager.password } });
        const token = login.json.data.token;
        const setup = await gateway.api('POST', '/api/v1/auth/totp/setup', { token, body: {} });
        assert.equal(setup.status, 200, setup.text);
        const { secret } = setup.json.data;
        const enable = await gateway.api('POST', '/api/v1/auth/totp/enable', { token, body: { code: totp(secret) } });
        assert.equal(enable.status, 200, enable.text);

        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto('/index.html');
        await page.getByLabel('Email').fill(kUsers.manager.email);
        await page.getByLabel('Password').fill(kUsers.manager.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        const code = page.getByLabel('Code', { exact: true });
        await code.waitFor({ state: 'visible' });
        // A wrong code is refused with a message.
        await code.fill(totp(secret) === '000000' ? '111111' : '000000');
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.locator('#code-error').waitFor({ state: 'visible' });
        assert.match(await page.locator('#code-error').textContent(), /not right/);
        // The next step's code (the enrolment used this step's).
        await code.fill(totp(secret, Date.now() / 1000 + 30));
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.waitForURL('**/dashboard.html');
        await context.close();
    });
});
