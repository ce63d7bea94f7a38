// The phone inbox in a real browser: live arrival, copy, search and filters, the
// detail drawer, inert payloads, voice cards, unread marks, keyboard and themes.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startPhonebox } = require('../sdk/lib/server');
const { launch, openPage, capture } = require('./lib/browser');

let server;
let browser;
before(async () => {
  server = await startPhonebox();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

test('a captured message appears live, without reload, and the empty state says how to send one', async () => {
  const { page, problems, context } = await openPage(browser, server.base);
  await page.getByText('No messages yet').waitFor();
  const snippet = await page.locator('.empty pre').first().textContent();
  assert.ok(snippet.includes(server.base), 'the snippet names this server');

  await page.evaluate(() => {
    // Note the moment the message is in the page, as the page sees it.
    new MutationObserver((_, observer) => {
      if (document.body.textContent.includes('318264 is your verification code')) {
        window.__shownAt = Date.now();
        observer.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await capture(server.base, { recipient: '+15555551201', text: '318264 is your verification code', code: '318264' });
  const answered = Date.now();
  await page.locator('article.message', { hasText: '318264 is your verification code' }).waitFor();
  const shown = await page.evaluate(() => window.__shownAt);
  console.log(`live: message on screen ${shown - answered} ms after its capture answered (first message: empty state to inbox)`);
  await capture(server.base, { recipient: '+15555551201', text: 'second 555111', code: '555111' });
  const answered2 = Date.now();
  await page.locator('article.message', { hasText: 'second 555111' }).waitFor();
  console.log(`live: next message on screen within ${Date.now() - answered2} ms (upper bound, includes the test's polling)`);
  assert.equal(await page.locator('[data-number="+15555551201"] .badge.unread').textContent(), '2');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the copy button puts the code on the clipboard', async () => {
  await capture(server.base, { recipient: '+15555551202', text: 'Your code is 771204', code: '771204' });
  const { page, context } = await openPage(browser, server.base, { permissions: ['clipboard-read', 'clipboard-write'] });
  const message = page.locator('article.message', { hasText: '771204' });
  await message.getByRole('button', { name: 'Copy code 771204' }).click();
  await message.getByRole('button', { name: /Copy/ }).getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), '771204');
  await context.close();
});

test('search and filters narrow the list', async () => {
  await capture(server.base, { recipient: '+15555551203', text: 'Voice code 4. 4. 1. 9.', code: '4419', message_type: 'voice' });
  await capture(server.base, { recipient: '+15555551204', text: 'Needle 909090 in a haystack', code: '909090' });
  const { page, context } = await openPage(browser, server.base);
  await page.locator('article.message').first().waitFor();
  await page.getByLabel('Search').fill('Needle');
  await page.waitForFunction(() => document.querySelectorAll('article.message').length === 1);
  assert.match(await page.locator('article.message').textContent(), /Needle 909090/);
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Channel').selectOption('voice');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('article.message')].every((a) => a.dataset.channel === 'voice'),
  );
  assert.ok((await page.locator('article.message').count()) >= 1);
  await page.getByLabel('Channel').selectOption('');
  await page.getByLabel('Search').fill('no such thing anywhere');
  await page.getByText('No messages here.').waitFor();
  await context.close();
});

test('the detail drawer shows the raw payload and the request headers', async () => {
  await capture(server.base, { recipient: '+15555551205', text: 'Drawer code 246813', code: '246813', locale: 'fr_FR' });
  const { page, context } = await openPage(browser, server.base);
  await page.locator('article.message', { hasText: 'Drawer code 246813' }).locator('.body').click();
  const raw = page.getByTestId('raw-payload');
  await raw.waitFor();
  const text = await raw.textContent();
  assert.match(text, /"recipient": "\+15555551205"/);
  assert.match(text, /"locale": "fr_FR"/);
  assert.ok(await page.getByRole('complementary', { name: 'Message details' }).getByText('content-type').isVisible());
  await page.keyboard.press('Escape');
  await raw.waitFor({ state: 'detached' });
  await context.close();
});

test('a body full of HTML renders as text and runs nothing', async () => {
  const evil = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script> code 135790';
  await capture(server.base, { recipient: '+15555551206', text: evil, code: '135790' });
  const { page, problems, context } = await openPage(browser, server.base);
  const message = page.locator('article.message', { hasText: 'code 135790' });
  await message.waitFor();
  assert.equal(await message.locator('.text').textContent(), evil, 'shown as the very text');
  assert.equal(await message.locator('img, script').count(), 0);
  await message.locator('.body').click();
  await page.getByTestId('raw-payload').waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(problems, [], 'no dialog, no error');
  await context.close();
});

test('a voice message is a card with a play button and its transcript', async () => {
  await capture(server.base, { recipient: '+15555551207', text: 'Your code is 8. 2. 7. 1.', code: '8271', message_type: 'voice' });
  const { page, context } = await openPage(browser, server.base);
  const card = page.locator('article.message[data-channel="voice"]', { hasText: 'Your code is 8. 2. 7. 1.' });
  await card.waitFor();
  assert.ok(await card.getByRole('button', { name: 'Play the voice message' }).isVisible());
  assert.ok(await card.getByText('Voice call').isVisible());
  await context.close();
});

test('opening a phone marks it read, and the keyboard moves between phones', async () => {
  await capture(server.base, { recipient: '+15555551208', text: 'Unread 112233', code: '112233' });
  const { page, context } = await openPage(browser, server.base);
  const phone = page.locator('[data-number="+15555551208"]');
  await phone.locator('.badge.unread').waitFor();
  // The badge goes as soon as the phone opens; the server knows once its read
  // request is answered.
  const marked = page.waitForResponse((r) => r.url().endsWith('/read') && r.request().method() === 'POST');
  await phone.click();
  await phone.locator('.badge.unread').waitFor({ state: 'detached' });
  assert.equal((await marked).status(), 200);
  const phones = await (await fetch(`${server.base}/emulator/v1/phones`)).json();
  assert.equal(phones.phones.find((p) => p.number === '+15555551208').unread, 0, 'the server knows it was read');

  await page.locator('body').click({ position: { x: 5, y: 780 } });
  await page.keyboard.press('j');
  const selected = page.locator('[role="option"][aria-selected="true"]');
  await selected.waitFor();
  assert.notEqual(await selected.getAttribute('data-number'), '+15555551208');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Search');
  await page.getByLabel('Theme').selectOption('dark');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await context.close();
});

test('readable in a narrow window', async () => {
  const { page, context } = await openPage(browser, server.base, { viewport: { width: 400, height: 800 } });
  await page.locator('article.message').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scroll (${overflow}px)`);
  await context.close();
});

test('the limits, logs and settings views show and change the emulated tenant', async () => {
  // One MFA enrollment, so a user has a counter and the log has events.
  const login = await fetch(`${server.base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=password&client_id=ui-app&username=gauge%40example.com&password=pw',
  }).then((r) => r.json());
  const associated = await fetch(`${server.base}/mfa/associate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${login.mfa_token}` },
    body: JSON.stringify({ client_id: 'ui-app', authenticator_types: ['oob'], oob_channels: ['sms'], phone_number: '+15555551209' }),
  });
  assert.equal(associated.status, 200);

  const { page, problems, context } = await openPage(browser, server.base);
  await page.getByRole('button', { name: 'Limits' }).click();
  await page.getByText('gauge@example.com').waitFor();
  const sends = page.getByRole('meter', { name: 'Messages (SMS and voice)' });
  assert.equal(await sends.getAttribute('aria-valuenow'), '9', 'one of ten sends used');
  assert.equal(await sends.getAttribute('aria-valuemax'), '10');
  assert.match(await page.getByRole('meter', { name: "Auth0's built-in provider, lifetime" }).getAttribute('aria-valuemax'), /^100$/);
  const before = (await (await fetch(`${server.base}/emulator/v1/clock`)).json()).offset_ms;
  await page.getByRole('button', { name: 'Advance one hour' }).click();
  await page.getByText("Every user's buckets are full.").waitFor();
  const after = (await (await fetch(`${server.base}/emulator/v1/clock`)).json()).offset_ms;
  assert.equal(after - before, 3_600_000);

  await page.getByRole('button', { name: 'Logs' }).click();
  await page.locator('td', { hasText: 'gd_send_sms' }).first().waitFor();

  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('Twilio').check();
  await page.getByRole('button', { name: 'Save phone provider' }).click();
  await page.getByRole('status').getByText('Provider saved').waitFor();
  const selected = await fetch(`${server.base}/api/v2/guardian/factors/phone/selected-provider`, {
    headers: { authorization: 'Bearer t' },
  }).then((r) => r.json());
  assert.equal(selected.provider, 'twilio');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a database opened read-only shows what it holds and says nothing is captured', async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-ro-'));
  const db = path.join(dir, 'phonebox.db');
  const writer = await startPhonebox({ db });
  await capture(writer.base, { recipient: '+15555551299', text: 'Kept code 424242', code: '424242' });
  assert.equal(await writer.stop(), 0);
  const reader = await startPhonebox({ db, args: ['--read-only'] });
  try {
    const { page, problems, context } = await openPage(browser, reader.base);
    await page.getByRole('status').getByText('opened read-only').waitFor();
    await page.locator('[data-number="+15555551299"]').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    assert.equal(await reader.stop(), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('international numbers are grouped as their country writes them', async () => {
  await capture(server.base, { recipient: '+447700900123', text: 'UK code 404141', code: '404141' });
  await capture(server.base, { recipient: '+33612345678', text: 'FR code 505151', code: '505151' });
  const { page, context } = await openPage(browser, server.base);
  await page.locator('[data-number="+447700900123"]').getByText('+44 7700 900123').waitFor();
  await page.locator('[data-number="+33612345678"]').getByText('+33 6 12 34 56 78').waitFor();
  await context.close();
});
