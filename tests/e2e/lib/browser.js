// Debian's Chromium driven by playwright-core, headless, against a real server, and
// the plain HTTP calls the tests make to that server.
'use strict';

const { chromium } = require('playwright-core');

const CHROMIUM = process.env.PHONEBOX_CHROMIUM || '/usr/bin/chromium';

async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page on `base` whose console errors and page errors are collected. */
async function openPage(browser, base, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await page.goto(base);
  return { context, page, problems };
}

/** Posts a custom-phone-provider capture; resolves with the stored message. */
async function capture(base, body) {
  const res = await fetch(`${base}/capture/auth0/custom-phone-provider`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`capture: ${res.status} ${await res.text()}`);
  return res.json();
}

/** One JSON call to `url`: `body` sent as JSON when given, `headers` added.
 * Resolves with `{ status, body }`, the body parsed (null when empty). */
async function api(method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

module.exports = { launch, openPage, capture, api };
