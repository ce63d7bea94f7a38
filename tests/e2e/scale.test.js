// The inbox with 1,000,000 stored messages over 10,000 phones: the seed's and the
// first screen's times are measured and printed (benchmark figures, not timed
// assertions); lists stay virtualized.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startPhonebox, BIN } = require('../sdk/lib/server');
const { launch, openPage } = require('./lib/browser');

const COUNT = 1_000_000;
const PHONES = 10_000;
let dir;
let server;
let browser;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-scale-'));
  const db = path.join(dir, 'phonebox.db');
  const seeded = execFileSync(BIN, ['seed', '--count', String(COUNT), '--phones', String(PHONES), '--db', db], {
    encoding: 'utf8',
  });
  console.log(seeded.trim());
  server = await startPhonebox({ db });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test(`the first screen with ${COUNT} messages`, async () => {
  const figures = [];
  for (let run = 0; run < 3; run += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(server.base);
    await page.locator('article.message').first().waitFor();
    await page.locator('[role="option"]').first().waitFor();
    figures.push(Date.now() - started);
    if (run === 0) {
      const rows = await page.locator('[role="option"]').count();
      assert.ok(rows > 5 && rows < 60, `only the phones in view are in the page (${rows})`);
      assert.ok((await page.locator('article.message').count()) <= 100, 'one page of messages');
      // Scrolling the phones far down fetches more and still keeps the page small.
      const viewport = page.locator('.viewport');
      await viewport.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForFunction(() => document.querySelector('.viewport').scrollHeight > 200 * 68 + 1);
      assert.ok((await page.locator('[role="option"]').count()) < 60);
    }
    await context.close();
  }
  figures.sort((a, b) => a - b);
  console.log(`first screen with ${COUNT} messages on ${PHONES} phones: ${figures.join(' / ')} ms (best / median / worst of 3)`);
});
