// Paybill in the browser: an admin sees the neutral URLs M-Pesa would be given (secret masked), saves the C2B
// settings and registers with the simulator; the last registration is shown. A manager sees the page without its
// actions. At 360 px and on a desktop.
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

for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['360px', { width: 360, height: 740 }]]) {
    describe(`paybill (${name})`, () => {
        test('an admin saves the C2B settings and registers the neutral URLs', async () => {
            const context = await env.browser.newContext({ viewport });
            const page = await context.newPage();
            try {
                await uiLogin(page, 'admin');
                await page.goto('/paybill.html');
                const confirmation = page.locator('#p-confirmation');
                await page.waitForFunction(() => document.getElementById('p-confirmation').textContent.includes('/hooks/'));
                const shown = (await confirmation.textContent()).trim();
                assert.equal(shown, `${env.gateway.baseUrl}/hooks/daraja/****/c2b/confirmation`);
                assert.ok(!(await page.content()).includes(env.gateway.callbackSecret), 'the page never shows the secret');

                await page.getByLabel('C2B API version').selectOption('1');
                await page.getByLabel('Response type').selectOption('Cancelled');
                await page.getByRole('button', { name: 'Save settings' }).click();
                await page.locator('#page-message', { hasText: 'Settings saved' }).waitFor();

                await page.getByRole('button', { name: 'Register with M-Pesa' }).click();
                await page.locator('#page-message', { hasText: 'Registered with M-Pesa' }).waitFor();
                await page.locator('#p-last').waitFor();
                assert.equal((await page.locator('#p-last-version').textContent()).trim(), 'v1');
                assert.equal((await page.locator('#p-last-type').textContent()).trim(), 'Cancelled');
                assert.equal((await page.locator('#p-last-confirmation').textContent()).trim(), shown);
                if (viewport.width === 360) {
                    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
                    assert.ok(overflow <= 0, `the paybill page scrolls sideways by ${overflow}px at 360px`);
                }
                await screenshot(page, `paybill-registered-${name}`);
                assert.ok(!(await page.content()).includes(env.gateway.callbackSecret));
            } finally {
                await context.close();
            }
        });

        test('a manager sees the URLs but no actions', async () => {
            const context = await env.browser.newContext({ viewport });
            const page = await context.newPage();
            try {
                await uiLogin(page, 'manager');
                await page.goto('/paybill.html');
                await page.waitForFunction(() => document.getElementById('p-confirmation').textContent.includes('/hooks/'));
                assert.equal(await page.getByRole('button', { name: 'Register with M-Pesa' }).isVisible(), false);
                assert.equal(await page.getByRole('button', { name: 'Save settings' }).isVisible(), false);
                assert.equal(await page.getByLabel('C2B API version').isDisabled(), true);
            } finally {
                await context.close();
            }
        });
    });
}
