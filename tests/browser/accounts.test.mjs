// Each agency its own paybill in the browser: an admin enters the agency's own M-Pesa account on the Settings page
// (at 360 px and on a desktop); the page then shows the paybill and which secrets are set, never a secret, and a
// push goes out on that paybill. "Use the default account" goes back to the gateway's account.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

const kPasskey = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';

let env;
before(async () => {
    env = await setup();
});
after(async () => {
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

async function account(token) {
    const r = await env.gateway.api('GET', '/api/v1/agency/mpesa-account', { token });
    assert.equal(r.status, 200, r.text);
    return r.json.data;
}

for (const [name, viewport] of [['360 px', { width: 360, height: 740 }], ['desktop', { width: 1280, height: 900 }]]) {
    describe(`M-Pesa account on the Settings page (${name})`, () => {
        test('an admin stores the agency paybill; secrets are only said to be set', async () => {
            const context = await env.browser.newContext({ viewport });
            const page = await context.newPage();
            try {
                await uiLogin(page, 'admin');
                await page.goto('/settings.html');
                const card = page.locator('#mpesa-card');
                await waitFor(async () => /default account/.test(await card.locator('#m-state').textContent()),
                    { what: 'the account section' });
                const shortcode = viewport.width === 360 ? '600121' : '600131';
                await card.getByLabel('Paybill (shortcode)').fill(shortcode);
                await card.getByLabel('Consumer key').fill('browser-key-4455');
                await card.getByLabel('Consumer secret').fill('browser-secret-9911');
                await card.getByLabel('Passkey').fill(kPasskey);
                await card.getByRole('button', { name: 'Use this M-Pesa account' }).click();
                await card.getByText('M-Pesa account saved.').waitFor();
                await card.getByText(`its own paybill ${shortcode}`).waitFor();
                await card.getByText('Set (ends in 4455).').waitFor();
                assert.equal(await card.getByLabel('Consumer secret').inputValue(), '', 'a secret was written back');
                const html = await page.content();
                for (const secret of ['browser-secret-9911', kPasskey]) assert.ok(!html.includes(secret), secret);
                if (viewport.width === 360) {
                    const overflow = await page.evaluate(
                        () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
                    assert.ok(overflow <= 0, `the settings page scrolls sideways by ${overflow}px at 360px`);
                }
                await screenshot(page, `accounts-${viewport.width}`);

                const token = await env.gateway.login('admin');
                assert.equal((await account(token)).shortcode, shortcode);
                await card.getByRole('button', { name: 'Use the default account' }).click();
                await card.getByText('now uses the default account').waitFor();
                await waitFor(async () => (await account(token)).own === false, { what: 'the default account' });
            } finally {
                await context.close();
            }
        });
    });
}
