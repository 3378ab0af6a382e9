// The browser tests' toolkit: the demo server, Debian's chromium through playwright-core, a page
// visit that always saves a screenshot and runs axe-core, and plain checks counted for the summary.
// A walk (walks/*.mjs) gets one `Tester` and uses only what is here.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Where Debian's chromium is, and how it is started (no sandbox: CI runs as root). */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];

/**
 * Starts `custodia demo --addr 127.0.0.1:0` in a fresh data directory and waits for its
 * `address: http://HOST:PORT` line. Returns the base URL, the users of `demo-users.json` by name
 * (name, role, token, password) and `stop()`.
 */
export async function startDemo({ bin, dataDir, people, timeoutMs = 600_000 }) {
  rmSync(dataDir, { recursive: true, force: true });
  const args = ['demo', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--reset'];
  if (people) args.push('--people', String(people));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CUSTODIA_LOG_FILTER: 'warn' } });
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "address:" line from the demo in ${timeoutMs} ms`)), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before serving:\n${Buffer.concat(stderr).toString().slice(-4000)}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^address: (http:\/\/\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const users = Object.fromEntries(
    JSON.parse(readFileSync(path.join(dataDir, 'demo-users.json'), 'utf8')).map((u) => [u.name, u]),
  );
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { base, users, stop };
}

/** Debian's chromium, headless. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** What every walk gets: the demo, the browser, visits with screenshots and axe, and checks. */
export class Tester {
  constructor({ browser, demo, screenshotDir }) {
    this.browser = browser;
    this.demo = demo;
    this.screenshotDir = screenshotDir;
    this.passed = 0;
    this.failures = [];
    this.shots = 0;
    this.walk = '';
    mkdirSync(screenshotDir, { recursive: true });
  }

  /** A URL on the demo server. */
  url(pathAndQuery) {
    return new URL(pathAndQuery, this.demo.base).toString();
  }

  /** A check: counted, and named in the summary when it fails. */
  check(ok, what) {
    if (ok) {
      this.passed += 1;
    } else {
      this.failures.push(`${this.walk}: ${what}`);
      console.log(`  FAILED ${what}`);
    }
    return ok;
  }

  /**
   * A new browser page (its own context: cookies, language). Content-Security-Policy violations
   * and script errors on it fail the walk.
   */
  async newPage({ locale = 'en-US' } = {}) {
    const context = await this.browser.newContext({ locale, viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') this.check(false, `no console error on ${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.check(false, `no script error on ${page.url()}: ${e.message}`));
    return page;
  }

  /** Opens a path, then `seen(page, label)`. Returns the response. */
  async visit(page, pathAndQuery, label) {
    const response = await page.goto(this.url(pathAndQuery));
    await this.seen(page, label);
    return response;
  }

  /**
   * The page now shown: saves a screenshot (`NN-walk-label.png`) and checks it with axe-core
   * (WCAG 2.1 A and AA rules and best practices): no violation.
   */
  async seen(page, label) {
    this.shots += 1;
    const file = `${String(this.shots).padStart(2, '0')}-${this.walk}-${label}.png`.replace(/[^\w.-]+/g, '-');
    await page.screenshot({ path: path.join(this.screenshotDir, file), fullPage: true });
    // Evaluated through the DevTools protocol, which the page's CSP (no script) does not govern.
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
    );
    const text = await page.textContent('body');
    this.check(!text.includes('{$'), `every message on ${label} has its facts (no "{$…}" left)`);
    this.check(result.passes.length > 0, `axe-core ran its rules on ${label}`);
    const violations = result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.help}`);
    this.check(violations.length === 0, `axe-core finds no violation on ${label}: ${violations.join('; ')}`);
  }

  /**
   * Signs in on the staff pages as a demo user (`demo-users.json` name) in a new page, for walks
   * of the web interface: the sign-in form's `name` and `password` fields.
   */
  async signIn(userName, options) {
    const user = this.demo.users[userName];
    if (!this.check(Boolean(user), `demo-users.json has ${userName}`)) return null;
    const page = await this.newPage(options);
    await this.visit(page, '/', `sign-in-${userName}`);
    await page.fill('#name', user.name);
    await page.fill('#password', user.password);
    await Promise.all([page.waitForLoadState('load'), page.locator('form button[type=submit]').click()]);
    return page;
  }

  /** A POST to the demo's API as a user (bearer token), JSON both ways; the status and body. */
  async apiPost(userName, pathAndQuery, body) {
    const r = await fetch(this.url(pathAndQuery), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.demo.users[userName].token}`,
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  }

  /** The demo's API as a user (bearer token), JSON. */
  async api(userName, pathAndQuery) {
    const r = await fetch(this.url(pathAndQuery), {
      headers: { authorization: `Bearer ${this.demo.users[userName].token}`, accept: 'application/json' },
    });
    if (!r.ok) throw new Error(`${pathAndQuery}: ${r.status} ${await r.text()}`);
    return r.json();
  }
}
