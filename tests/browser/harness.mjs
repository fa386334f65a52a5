// Browser test harness: starts a real haven-mpesa gateway (simulator mode, SQLite in a temp dir),
// launches Debian's Chromium through playwright-core, and records console errors, page errors and
// CSP violations so every test can fail on them.
//
// Env: HAVEN_BIN (default <repo>/build/haven-mpesa), CHROMIUM_PATH (default /usr/bin/chromium),
//      HAVEN_TEST_KEEP=1 keeps the temp dir and prints the gateway log path.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const artifactsDir = path.join(here, 'artifacts');
export const havenBin = path.resolve(repoRoot, process.env.HAVEN_BIN || 'build/haven-mpesa');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const kUsers = {
    admin: { email: 'admin@test.haven', password: 'admin-pass-1234', role: 'admin' },
    manager: { email: 'manager@test.haven', password: 'manager-pass-1234', role: 'manager' },
    viewer: { email: 'viewer@test.haven', password: 'viewer-pass-1234', role: 'viewer' },
};
export const kAgency = 'Test Agency';

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function waitFor(fn, { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {}) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
        try {
            const value = await fn();
            if (value) return value;
        } catch (err) {
            lastError = err;
        }
        await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

/** A running gateway. */
export class Gateway {
    /** extraEnv: settings a test file needs on top of the defaults (e.g. short alert windows). */
    constructor(extraEnv = {}) {
        this.extraEnv = extraEnv;
        this.proc = null;
        this.dir = null;
        this.port = null;
        this.baseUrl = null;
        this.env = null;
        this.logPath = null;
    }

    runCli(args) {
        const result = spawnSync(havenBin, args, { cwd: this.dir, env: this.env, encoding: 'utf8', timeout: 60000 });
        if (result.status !== 0) {
            throw new Error(`${path.basename(havenBin)} ${args[0]} ${args[1] || ''} failed (${result.status}): ${result.stderr || result.stdout}`);
        }
        return result.stdout;
    }

    /** Starts `serve` in simulator mode with the constructor's extra settings. */
    async start() {
        if (!existsSync(havenBin)) throw new Error(`gateway binary not found: ${havenBin} (set HAVEN_BIN)`);
        this.dir = mkdtempSync(path.join(os.tmpdir(), 'haven-browser-'));
        this.port = await freePort();
        this.baseUrl = `http://127.0.0.1:${this.port}`;
        this.env = {
            PATH: process.env.PATH,
            HOME: this.dir,
            PORT: String(this.port),
            HOST: '127.0.0.1',
            DATABASE_URL: `sqlite:${path.join(this.dir, 'haven.db')}`,
            MPESA_ENVIRONMENT: 'simulator',
            JWT_SECRET: randomBytes(32).toString('hex'),
            MPESA_CALLBACK_SECRET: (this.callbackSecret = randomBytes(16).toString('hex')),
            SIMULATOR_CALLBACK_DELAY_MS: '300',
            SIMULATOR_INTERACTIVE: '1',
            WEB_ROOT: path.join(repoRoot, 'web'),
            RATE_LIMIT_PER_SECOND: '1000',
            RATE_LIMIT_BURST: '5000',
            ...this.extraEnv,
        };
        this.runCli(['migrate']);
        for (const u of Object.values(kUsers)) {
            this.runCli(['user', 'add', '--email', u.email, '--password', u.password, '--role', u.role, '--agency', kAgency]);
        }
        this.logPath = path.join(this.dir, 'gateway.log');
        const log = openSync(this.logPath, 'a');
        this.proc = spawn(havenBin, ['serve'], { cwd: this.dir, env: this.env, stdio: ['ignore', log, log] });
        this.exited = null;
        this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
        await waitFor(async () => {
            if (this.exited) throw new Error(`gateway exited early (${JSON.stringify(this.exited)}): ${this.log().slice(-2000)}`);
            const res = await fetch(`${this.baseUrl}/api/v1/config`);
            return res.ok;
        }, { timeoutMs: 20000, what: 'the gateway to answer /api/v1/config' });
        return this;
    }

    log() {
        try {
            return readFileSync(this.logPath, 'utf8');
        } catch {
            return '';
        }
    }

    /** Calls the API directly (for setup and checks). */
    async api(method, urlPath, { token, body, headers = {} } = {}) {
        const res = await fetch(this.baseUrl + urlPath, {
            method,
            headers: {
                ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
                ...(token ? { Authorization: `Bearer ${token}` } : {}),
                ...headers,
            },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        let json = null;
        try {
            json = JSON.parse(text);
        } catch {
            json = null;
        }
        return { status: res.status, json, text, headers: res.headers };
    }

    async login(role = 'admin') {
        const u = kUsers[role];
        const res = await this.api('POST', '/api/v1/auth/login', { body: { email: u.email, password: u.password } });
        if (res.status !== 200) throw new Error(`login as ${role} failed: ${res.status} ${res.text}`);
        return res.json.data.token;
    }

    async createLease(token, overrides = {}) {
        const body = {
            tenantName: 'Wanjiku Kamau', phoneNumber: '0712345678', unit: 'A1', monthlyRent: 1500, accountReference: 'A1', ...overrides,
        };
        const res = await this.api('POST', '/api/v1/leases', { token, body });
        if (res.status >= 300) throw new Error(`create lease failed: ${res.status} ${res.text}`);
        return res.json.data;
    }

    async stop() {
        if (this.proc && !this.exited) {
            const exited = new Promise((resolve) => this.proc.once('exit', resolve));
            this.proc.kill('SIGTERM');
            const timer = setTimeout(() => { if (!this.exited) this.proc.kill('SIGKILL'); }, 5000);
            await exited;
            clearTimeout(timer);
        }
        if (this.dir && process.env.HAVEN_TEST_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
        else if (this.dir) console.log(`kept ${this.dir} (gateway log: ${this.logPath})`);
    }
}

/** A Chromium instance with error collection on every page it opens. */
export class Browser {
    constructor(gateway) {
        this.gateway = gateway;
        this.browser = null;
        this.problems = [];
        this.allowed = []; // regexps of console messages a test expects (e.g. a deliberate 401)
    }

    async start() {
        // playwright's launch() always starts Chromium on a new, empty temporary profile (it refuses an explicit
        // --user-data-dir, which only launchPersistentContext takes), so every run starts fresh.
        this.browser = await chromium.launch({
            executablePath: chromiumPath,
            headless: true,
            args: [
                '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync',
            ],
        });
        return this;
    }

    /** A fresh context (own sessionStorage) with a page; options: {viewport}. */
    async newContext({ viewport = { width: 1280, height: 900 } } = {}) {
        const context = await this.browser.newContext({ viewport, baseURL: this.gateway.baseUrl, acceptDownloads: true });
        await context.addInitScript(() => {
            document.addEventListener('securitypolicyviolation', (e) => {
                console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
            });
        });
        context.on('page', (page) => this.watch(page));
        return context;
    }

    watch(page) {
        page.on('console', (msg) => {
            if (msg.type() !== 'error' && msg.type() !== 'warning') return;
            const text = msg.text();
            const where = msg.location() && msg.location().url ? ` (${msg.location().url})` : '';
            if (msg.type() === 'warning' && !/Content Security Policy|CSP/i.test(text)) return;
            if (this.allowed.some((re) => re.test(text + where))) return;
            this.problems.push(`console ${msg.type()} on ${page.url()}: ${text}${where}`);
        });
        page.on('pageerror', (err) => this.problems.push(`page error on ${page.url()}: ${err.message}`));
        page.on('requestfailed', (req) => {
            const failure = req.failure();
            // A navigation away aborts in-flight polls; that is not an error of the page.
            if (failure && /ERR_ABORTED/.test(failure.errorText)) return;
            this.problems.push(`request failed on ${page.url()}: ${req.method()} ${req.url()} ${failure ? failure.errorText : ''}`);
        });
    }

    /** Allows console errors matching re for the rest of the current test (call resetProblems to clear). */
    allow(re) {
        this.allowed.push(re);
    }

    takeProblems() {
        const out = this.problems;
        this.problems = [];
        this.allowed = [];
        return out;
    }

    async stop() {
        if (this.browser) await this.browser.close();
    }
}

/** Saves a full-page screenshot into artifacts/<name>.png. */
export async function screenshot(page, name) {
    mkdirSync(artifactsDir, { recursive: true });
    const file = path.join(artifactsDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
}

/** Logs in through the UI and waits for the dashboard. */
export async function uiLogin(page, role = 'admin') {
    const u = kUsers[role];
    await page.goto('/index.html');
    await page.getByLabel('Email').fill(u.email);
    await page.getByLabel('Password').fill(u.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/dashboard.html');
}

/**
 * Starts a gateway and a browser for a test file; returns {gateway, browser, after} — call after() in the
 * test file's after hook. Also asserts, after each test, that no console error or CSP violation happened.
 */
export async function setup({ env = {} } = {}) {
    const gateway = await new Gateway(env).start();
    let browser;
    try {
        browser = await new Browser(gateway).start();
    } catch (err) {
        await gateway.stop();
        throw err;
    }
    return {
        gateway,
        browser,
        async teardown() {
            await browser.stop();
            await gateway.stop();
        },
    };
}

/** Throws when the browser recorded any console error, page error or CSP violation. */
export function assertNoProblems(browser) {
    const problems = browser.takeProblems();
    if (problems.length) throw new Error(`browser reported problems:\n  ${problems.join('\n  ')}`);
}
