// Rent collection end to end: create a lease, "Request rent" with <mpesa-payment>, answer the STK prompt on the
// virtual phone page in a second tab, and see the outcome; cancelled and timed-out prompts, and Retry.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, kUsers, screenshot, setup, uiLogin, waitFor } from './harness.mjs';

let env;
let context;
let staff; // tab 1: the lease page
let phone; // tab 2: the virtual phone

before(async () => {
    env = await setup();
    context = await env.browser.newContext();
    staff = await context.newPage();
    await uiLogin(staff, 'admin');
    phone = await context.newPage();
    await phone.goto('/phone.html');
    await phone.waitForURL(/index\.html/); // each tab has its own sessionStorage: log in here too
    await phone.getByLabel('Email').fill(kUsers.manager.email);
    await phone.getByLabel('Password').fill(kUsers.manager.password);
    await phone.getByRole('button', { name: 'Log in' }).click();
    await phone.waitForURL('**/phone.html');
    await phone.locator('#phone-status:not(:empty)').waitFor();
});
after(async () => {
    if (context) await context.close();
    if (env) await env.teardown();
});
afterEach(() => assertNoProblems(env.browser));

async function createLeaseInUi({ tenant, phoneNumber, unit, rent }) {
    await staff.goto('/leases.html');
    const form = staff.locator('#create-form');
    await form.getByLabel('Tenant name').fill(tenant);
    await form.getByLabel('Tenant phone').pressSequentially(phoneNumber);
    await form.getByLabel('Unit').fill(unit);
    await form.getByLabel('Monthly rent (KES)').fill(String(rent));
    await form.getByRole('button', { name: 'Create lease' }).click();
    await staff.waitForURL(/leases\.html\?id=\d+/);
    await staff.locator('#detail-title').filter({ hasText: unit }).waitFor();
    return Number(new URL(staff.url()).searchParams.get('id'));
}

async function requestRent() {
    await staff.getByRole('button', { name: 'Request rent' }).click();
    const widget = staff.locator('mpesa-payment');
    await staff.locator('mpesa-payment[data-step="phone"]').waitFor();
    return widget;
}

/** Waits for the widget to show the waiting step; returns its CheckoutRequestID. */
async function waitingCheckoutId(widget, previous) {
    await staff.locator('mpesa-payment[data-step="waiting"]').waitFor();
    return waitFor(async () => {
        const id = await widget.getAttribute('data-checkout-request-id');
        return id && id !== previous ? id : null;
    }, { what: 'a CheckoutRequestID on <mpesa-payment>' });
}

function handset(checkoutRequestId) {
    return phone.locator(`article.handset[data-checkout-request-id="${checkoutRequestId}"]`);
}

async function acceptOnPhone(checkoutRequestId, pin = '1234') {
    const card = handset(checkoutRequestId);
    await card.waitFor({ timeout: 15000 });
    for (const digit of pin) await card.getByRole('button', { name: digit, exact: true }).click();
    await card.locator('.phone-send').click();
    await card.locator('.handset-result').filter({ hasText: 'PIN sent' }).waitFor();
}

async function waitForOutcome(outcome) {
    await staff.locator(`mpesa-payment[data-step="result"][data-outcome="${outcome}"]`).waitFor({ timeout: 30000 });
}

describe('rent payment with <mpesa-payment> and the virtual phone', () => {
    test('accepted on the phone: success with the receipt, and the payment on the lease', async () => {
        const leaseId = await createLeaseInUi({ tenant: 'Amina Njeri', phoneNumber: '0712111222', unit: 'B4', rent: 2500 });
        const widget = await requestRent();
        const phoneInput = widget.getByLabel('M-Pesa phone number');
        assert.equal(await phoneInput.inputValue(), '0712 111 222', 'the lease phone is prefilled and formatted');
        await screenshot(staff, 'request-rent-phone-step');

        // A double click must send a single prompt (button disabled + one Idempotency-Key per attempt).
        await widget.getByRole('button', { name: 'Send payment request' }).dblclick();
        const cid = await waitingCheckoutId(widget);
        await widget.getByRole('status').filter({ hasText: /PIN/ }).waitFor();
        await screenshot(staff, 'request-rent-waiting');

        await handset(cid).waitFor();
        const prompts = await phone.locator('article.handset[data-phone="254712111222"]:not([data-resolved])').count();
        assert.equal(prompts, 1, 'exactly one prompt reached the phone');
        await screenshot(phone, 'virtual-phone-prompt');
        await acceptOnPhone(cid);

        await waitForOutcome('SUCCESS');
        const receipt = (await widget.locator('.mp-receipt').textContent()).trim();
        assert.match(receipt, /^[A-Z0-9]{8,12}$/, `receipt looks like an M-Pesa receipt: ${receipt}`);
        await screenshot(staff, 'request-rent-success');

        // The success event reloads the lease: the payment with its receipt and the new total.
        await staff.locator('#lease-payments .payment-receipt').filter({ hasText: receipt }).waitFor();
        await staff.locator('#lease-total-paid').filter({ hasText: '2,500' }).waitFor();
        const token = await env.gateway.login('admin');
        const payments = await env.gateway.api('GET', `/api/v1/leases/${leaseId}/payments`, { token });
        assert.equal(payments.status, 200);
        assert.equal(payments.json.data.length, 1);
        assert.equal(payments.json.data[0].mpesaReceiptNumber, receipt);
        await screenshot(staff, 'lease-with-payment');
    });

    test('cancelled on the phone: the message, then Retry succeeds', async () => {
        await createLeaseInUi({ tenant: 'Brian Otieno', phoneNumber: '0712333444', unit: 'C2', rent: 1800 });
        const widget = await requestRent();
        await widget.getByRole('button', { name: 'Send payment request' }).click();
        const first = await waitingCheckoutId(widget);
        const card = handset(first);
        await card.waitFor();
        await card.locator('.phone-cancel').click();
        await waitForOutcome('CANCELLED');
        await widget.getByRole('heading', { name: 'Payment cancelled' }).waitFor();
        assert.match(await widget.locator('.mp-next').textContent(), /Retry/);
        await screenshot(staff, 'payment-cancelled');

        await widget.getByRole('button', { name: 'Retry' }).click();
        const second = await waitingCheckoutId(widget, first);
        assert.notEqual(second, first, 'Retry sends a new request');
        await acceptOnPhone(second);
        await waitForOutcome('SUCCESS');
    });

    test('ignored on the phone: the timeout message, then Retry succeeds', async () => {
        await createLeaseInUi({ tenant: 'Chebet Mutai', phoneNumber: '0712555666', unit: 'D7', rent: 3200 });
        const widget = await requestRent();
        await widget.getByRole('button', { name: 'Send payment request' }).click();
        const first = await waitingCheckoutId(widget);
        const card = handset(first);
        await card.waitFor();
        await card.locator('.phone-ignore').click();
        await waitForOutcome('TIMEOUT');
        await widget.getByRole('heading', { name: 'No answer from the phone' }).waitFor();
        assert.match(await widget.locator('.mp-mpesa-text').textContent(), /timeout/i, "M-Pesa's own words are shown");
        await screenshot(staff, 'payment-timeout');

        await widget.getByRole('button', { name: 'Retry' }).click();
        const second = await waitingCheckoutId(widget, first);
        await acceptOnPhone(second);
        await waitForOutcome('SUCCESS');
    });

    test('wrong PIN on the phone shows what to do next', async () => {
        await createLeaseInUi({ tenant: 'Daudi Kiprop', phoneNumber: '0112777888', unit: 'E1', rent: 900 });
        const widget = await requestRent();
        await widget.getByRole('button', { name: 'Send payment request' }).click();
        const cid = await waitingCheckoutId(widget);
        await handset(cid).waitFor();
        await handset(cid).locator('.phone-wrong-pin').click();
        await waitForOutcome('WRONG_PIN');
        await widget.getByRole('heading', { name: 'Wrong M-Pesa PIN' }).waitFor();
        await widget.getByRole('button', { name: 'Retry' }).waitFor();
    });

    test('not enough money on the phone shows what to do next', async () => {
        await createLeaseInUi({ tenant: 'Halima Yusuf', phoneNumber: '0712888111', unit: 'H8', rent: 60000 });
        const widget = await requestRent();
        await widget.getByRole('button', { name: 'Send payment request' }).click();
        const cid = await waitingCheckoutId(widget);
        await handset(cid).locator('.phone-no-funds').click();
        await waitForOutcome('INSUFFICIENT_FUNDS');
        await widget.getByRole('heading', { name: 'Not enough money on M-Pesa' }).waitFor();
        assert.match(await widget.locator('.mp-next').textContent(), /Top up/);
        await screenshot(staff, 'payment-insufficient-funds');
    });

    test('an invalid phone number is refused before anything is sent', async () => {
        await createLeaseInUi({ tenant: 'Esther Wambui', phoneNumber: '0712999000', unit: 'F3', rent: 1000 });
        const widget = await requestRent();
        const input = widget.getByLabel('M-Pesa phone number');
        await input.fill('');
        await input.pressSequentially('0812345678');
        await widget.getByRole('button', { name: 'Send payment request' }).click();
        await widget.locator('.field-error').filter({ hasText: /Safaricom number/ }).waitFor();
        assert.equal(await input.getAttribute('aria-invalid'), 'true');
        assert.equal(await staff.locator('mpesa-payment[data-step="phone"]').count(), 1);
    });

    test('an account reference over 12 characters is refused with the reason, not cut', async () => {
        await createLeaseInUi({ tenant: 'Otieno Baraka', phoneNumber: '0712999001', unit: 'F4', rent: 1000 });
        env.browser.allow(/status of 400/); // the refusal this test expects
        const widget = await requestRent();
        // The integration guide's own example reference, "Rent-Dec-2024", is 13 characters.
        await widget.evaluate((node) => node.setAttribute('account-reference', 'Rent-Dec-2024'));
        await widget.getByRole('button', { name: 'Send payment request' }).click();
        await widget.locator('.notice-error').filter({ hasText: /at most 12 characters/ }).waitFor();
        assert.equal(await staff.locator('mpesa-payment[data-step="phone"]').count(), 1);
    });
});

describe('transactions page', () => {
    test('filters, cursor paging, CSV export and the detail timeline', async () => {
        // The payments above left at least six STK transactions, three of them successful.
        await staff.goto('/transactions.html?limit=2');
        const rows = staff.locator('#results tbody tr');
        await rows.first().waitFor();
        assert.equal(await rows.count(), 2);
        await staff.getByRole('button', { name: 'Load more' }).click();
        await waitFor(async () => (await rows.count()) === 4, { what: 'a second page of rows' });
        await screenshot(staff, 'transactions-paged');

        await staff.getByLabel('Status').selectOption('SUCCESS');
        await staff.getByLabel('Per page').selectOption('50');
        await staff.getByRole('button', { name: 'Apply' }).click();
        await waitFor(async () => {
            const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
            return statuses.length >= 3 && statuses.every((s) => s === 'SUCCESS');
        }, { what: 'only successful transactions' });
        const shown = await rows.count();

        const [download] = await Promise.all([
            staff.waitForEvent('download'),
            staff.getByRole('button', { name: 'Export CSV' }).click(),
        ]);
        const file = await download.path();
        const { readFileSync } = await import('node:fs');
        const lines = readFileSync(file, 'utf8').trim().split(/\r\n/);
        assert.match(lines[0], /^id,kind,status,amount,phoneNumber,mpesaReceiptNumber/);
        assert.equal(lines.length, shown + 1, 'one CSV line per row shown, plus the header');
        assert.ok(lines.slice(1).every((l) => l.split(',')[2] === 'SUCCESS'));

        await rows.first().getByRole('button', { name: /View transaction/ }).click();
        const dialog = staff.getByRole('dialog');
        await dialog.locator('.tx-detail').waitFor();
        await dialog.locator('dl.kv dt').filter({ hasText: 'M-Pesa receipt' }).waitFor();
        assert.match(await dialog.locator('dl.kv').textContent(), /Successful/);
        assert.ok(await dialog.locator('.timeline li').count() >= 2, 'the timeline shows the request and the callback');
        await screenshot(staff, 'transaction-detail');
        await dialog.getByRole('button', { name: 'Close' }).click();
        await dialog.waitFor({ state: 'hidden' });
    });
});
