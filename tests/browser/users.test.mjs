// Users in the browser: an admin invites a manager on the Users page and copies the one-time link; the manager opens
// it, a weak password shows zxcvbn's feedback, a strong one works, and the manager logs in.
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

describe('users', () => {
    test('an admin invites a manager, who sets a password through the link and logs in', async () => {
        const adminContext = await env.browser.newContext();
        const admin = await adminContext.newPage();
        await uiLogin(admin, 'admin');
        await admin.getByRole('link', { name: 'Users' }).click();
        await admin.waitForURL('**/users.html');
        await admin.locator('tr[data-email="admin@test.haven"]').waitFor();

        await admin.getByLabel('Email', { exact: true }).fill('new.manager@test.haven');
        await admin.getByLabel('Role', { exact: true }).selectOption('manager');
        await admin.getByRole('button', { name: 'Create invite link' }).click();
        const linkBox = admin.locator('#one-time-link');
        await linkBox.waitFor();
        const link = await linkBox.inputValue();
        assert.match(link, /\/invite\.html#token=[A-Za-z0-9_-]{43}$/);
        await admin.getByText('new.manager@test.haven').first().waitFor();  // listed among pending links
        await screenshot(admin, 'users-invite');
        await adminContext.close();

        const context = await env.browser.newContext();
        const page = await context.newPage();
        env.browser.allow(/status of 400/);  // the weak password's refusal
        await page.goto(link);
        await page.getByLabel('New password').fill('password123');
        await page.getByLabel('Repeat it').fill('password123');
        await page.getByRole('button', { name: 'Set password' }).click();
        const feedback = page.locator('#password-feedback');
        await feedback.waitFor({ state: 'visible' });
        assert.match(await feedback.textContent(), /too easy to guess.*Add another word/);
        await screenshot(page, 'users-weak-password');

        const strong = 'marigold-tugboat-vesper-42';
        await page.getByLabel('New password').fill(strong);
        await page.getByLabel('Repeat it').fill(strong);
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.waitForURL('**/index.html**');
        await page.getByLabel('Email').fill('new.manager@test.haven');
        await page.getByLabel('Password').fill(strong);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL('**/dashboard.html');
        // A manager sees Account but not Users.
        await page.getByRole('link', { name: 'Account' }).waitFor();
        assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
        await context.close();
    });
});
