// API keys in the browser: an admin creates a key, sees it once (it works as a bearer key), and revokes it; the key
// is refused from then on. Managers do not see the page's tools.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

describe('api keys', () => {
    test('an admin creates a key, sees it once and revokes it', async () => {
        await uiLogin(page, 'admin');
        await page.goto('/api-keys.html');
        await page.getByLabel('Name').fill('haven-backend');
        await page.getByLabel('Role').selectOption('manager');
        await page.getByRole('button', { name: 'Create key' }).click();
        const shown = page.locator('#new-key-value');
        await shown.waitFor();
        const key = (await shown.textContent()).trim();
        assert.match(key, /^hmk_[A-Za-z0-9_-]{43}$/);
        const row = page.locator('tr[data-key-id]');
        await row.first().waitFor();
        assert.match(await row.first().textContent(), /haven-backend/);
        assert.match(await row.first().textContent(), /Never/);
        assert.ok(!(await row.first().textContent()).includes(key), 'the list never shows the key');
        await screenshot(page, 'api-keys-created');

        const works = await env.gateway.api('GET', '/api/v1/leases', { token: key });
        assert.equal(works.status, 200, works.text);

        // Once put away, the key is gone from the page; a reload never shows it again.
        await page.getByRole('button', { name: 'I have stored it' }).click();
        assert.equal(await page.locator('#new-key').isVisible(), false);
        await page.reload();
        await row.first().waitFor();
        assert.ok(!(await page.content()).includes(key));

        page.once('dialog', (dialog) => dialog.accept());
        await row.first().getByRole('button', { name: 'Revoke key haven-backend' }).click();
        await page.locator('tr[data-key-id]', { hasText: 'Revoked' }).waitFor();
        const refused = await env.gateway.api('GET', '/api/v1/leases', { token: key });
        assert.equal(refused.status, 401, refused.text);
    });

    test('a manager sees no key tools', async () => {
        await context.clearCookies();
        await page.evaluate(() => sessionStorage.clear());
        await uiLogin(page, 'manager');
        await page.goto('/api-keys.html');
        await page.locator('#admin-only').waitFor();
        assert.equal(await page.locator('#admin-tools').isVisible(), false);
        assert.equal(await page.locator('a[href="/api-keys.html"]').count(), 0, 'no nav link for managers');
    });
});
