// The Settings view in a real browser: Twilio configured with credentials and saved
// only on Save, its token masked afterwards and nowhere in the page; the tenant
// picker switching Settings, Limits and Logs together; a chaos rule with the
// latency and times the CLI sets; the page saying it lost the server and catching
// up once a new server is on the same port; all of it at 400 px; and retention set
// in Settings, garbage refused, and the inbox saying it is on.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startPhonebox, BIN } = require('../sdk/lib/server');
const { launch, openPage, capture, api } = require('./lib/browser');

const SID = 'AC' + '5e77'.repeat(8);
const TOKEN = crypto.randomBytes(16).toString('hex');
const FROM = '+15005550006';
const HOOK_URL = 'http://127.0.0.1:9/acme-hook';

let server;
let browser;
before(async () => {
  server = await startPhonebox();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
});

/** A Management API call on `tenant` (any bearer token: permissive mode). */
const mgmt = (base, tenant, method, endpoint, body) =>
  api(method, `${base}${tenant === 'default' ? '' : `/t/${tenant}`}/api/v2${endpoint}`, body, { authorization: 'Bearer e2e' });

/** One MFA enrollment of `email` on `phone` in `tenant`: one message sent by the
 * tenant's provider, one user with a bucket not full, and its log events. */
async function enroll(base, tenant, email, phone) {
  const root = `${base}${tenant === 'default' ? '' : `/t/${tenant}`}`;
  const login = await fetch(`${root}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=password&client_id=ui-app&username=${encodeURIComponent(email)}&password=pw`,
  }).then((r) => r.json());
  assert.ok(login.mfa_token, `MFA asked: ${JSON.stringify(login)}`);
  const associated = await fetch(`${root}/mfa/associate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${login.mfa_token}` },
    body: JSON.stringify({ client_id: 'ui-app', authenticator_types: ['oob'], oob_channels: ['sms'], phone_number: phone }),
  });
  assert.equal(associated.status, 200, await associated.clone().text());
  const latest = await fetch(`${base}/emulator/v1/phones/${encodeURIComponent(phone)}/latest?wait=10s`);
  assert.equal(latest.status, 200, 'the message was delivered');
  return latest.json();
}

/** Every place a page could show the token: its text, its HTML, every field's value. */
async function assertTokenNowhere(page, when) {
  const shown = await page.evaluate(() => ({
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n'),
  }));
  for (const [where, content] of Object.entries(shown)) {
    assert.ok(!content.includes(TOKEN), `${when}: the auth token is not in the page's ${where}`);
  }
}

test('Twilio is configured in Settings with its credentials on Save only, and its token is masked afterwards', async () => {
  const { page, problems, context } = await openPage(browser, server.base);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const provider = page.getByRole('region', { name: 'Phone provider' });
  await provider.getByText(/used so far/).waitFor();
  assert.match(await provider.textContent(), /at most\s+100 messages in the tenant's life\s+\(\d+ used so far\)/, 'the built-in provider says its cap');
  assert.equal(await provider.getByLabel('Account SID').count(), 0, 'no Twilio fields while the built-in is chosen');

  await provider.getByLabel('Twilio', { exact: true }).check();
  await provider.getByLabel('Account SID').waitFor();
  assert.equal(await provider.getByLabel('Webhook URL').count(), 0, 'only the chosen provider\'s fields');
  await provider.getByText('Not saved yet.').waitFor();
  const before = await mgmt(server.base, 'default', 'GET', '/guardian/factors/phone/selected-provider');
  assert.equal(before.body.provider, 'auth0', 'choosing is not saving');

  const token = provider.getByLabel('Auth token');
  assert.equal(await token.getAttribute('type'), 'password');
  await provider.getByLabel('Account SID').fill(SID);
  await token.fill(TOKEN);
  await provider.getByLabel('From', { exact: true }).fill(FROM);
  await provider.getByRole('button', { name: 'Save phone provider' }).click();
  await provider.getByRole('status').getByText('Phone provider saved: Twilio.').waitFor();

  assert.equal(await token.inputValue(), '', 'the typed token is cleared once saved');
  // The server's mask: its last four characters at most, never the token.
  const mask = `••••${TOKEN.slice(-4)}`;
  assert.equal(await token.getAttribute('placeholder'), mask, 'shown masked');
  await provider.getByText(`Stored (${mask}), write-only`).waitFor();
  assert.equal(await provider.getByLabel('Account SID').inputValue(), SID, 'the stored SID, read back');
  assert.equal(await provider.getByText('Not saved yet.').count(), 0);
  await assertTokenNowhere(page, 'after saving Twilio');

  const selected = await mgmt(server.base, 'default', 'GET', '/guardian/factors/phone/selected-provider');
  assert.equal(selected.body.provider, 'twilio');
  const twilio = await mgmt(server.base, 'default', 'GET', '/guardian/factors/phone/providers/twilio');
  assert.deepEqual(twilio.body, { sid: SID, from: FROM, messaging_service_sid: null, auth_token: mask });

  // The token typed is the one the tenant sends with: its next code goes through Twilio.
  const sent = await enroll(server.base, 'default', 'twilio-user@example.com', '+15555551401');
  assert.equal(sent.source, 'twilio.messages');
  assert.equal(sent.attributes.delivered_by, 'twilio');
  await page.getByRole('button', { name: /^Inbox/ }).click();
  await page.locator('article.message', { hasText: sent.text }).locator('.body').click();
  const drawer = page.getByRole('complementary', { name: 'Message details' });
  await drawer.getByRole('heading', { name: 'Request (made by the emulated tenant)' }).waitFor();
  await drawer.getByTestId('raw-payload').waitFor();
  await assertTokenNowhere(page, 'with the Twilio message open');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the tenant picker switches Settings, Limits and Logs together', async () => {
  assert.equal((await api('POST', `${server.base}/emulator/v1/tenants`, { id: 'acme', friendly_name: 'Acme' })).status, 201);
  // Sent by the built-in provider, then the tenant moves to a custom webhook.
  const builtin = await enroll(server.base, 'acme', 'acme-user@example.com', '+15555551402');
  assert.equal(builtin.source, 'auth0.builtin');
  const custom = await api('PATCH', `${server.base}/emulator/v1/tenants/acme`, { settings: { custom: { url: HOOK_URL, format: 'hook' } } });
  assert.equal(custom.status, 200);
  const hook = await mgmt(server.base, 'acme', 'PUT', '/guardian/factors/phone/selected-provider', { provider: 'phone-message-hook' });
  assert.equal(hook.status, 200);
  const defaultProvider = (await mgmt(server.base, 'default', 'GET', '/guardian/factors/phone/selected-provider')).body.provider;

  const { page, problems, context } = await openPage(browser, server.base);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const picker = page.getByLabel('Tenant', { exact: true });
  const provider = page.getByRole('region', { name: 'Phone provider' });
  assert.equal(await picker.inputValue(), 'default');
  await provider.locator(`input[name="provider"][value="${defaultProvider}"]:checked`).waitFor();

  await picker.selectOption('acme');
  await provider.getByLabel('Custom (Action, Hook or webhook)').and(page.locator(':checked')).waitFor();
  assert.equal(await provider.getByLabel('Webhook URL').inputValue(), HOOK_URL);
  assert.equal(await provider.getByLabel('Format').inputValue(), 'hook');
  assert.equal(await provider.getByLabel('Account SID').count(), 0, 'no Twilio fields for a custom provider');

  await page.getByRole('button', { name: 'Limits', exact: true }).click();
  assert.equal(await picker.inputValue(), 'acme', 'Limits follows');
  await page.getByRole('heading', { name: 'Tenant acme' }).waitFor();
  await page.getByText('acme-user@example.com').waitFor();

  await page.getByRole('button', { name: 'Logs', exact: true }).click();
  assert.equal(await picker.inputValue(), 'acme', 'Logs follows');
  const logs = page.getByRole('region', { name: 'Auth0 log events' });
  await logs.and(page.locator('[data-tenant="acme"]')).waitFor();
  await logs.locator('tr', { hasText: 'gd_send_sms' }).filter({ hasText: 'acme-user@example.com' }).waitFor();
  const users = await logs.locator('td[data-label="User"]').allTextContents();
  assert.ok(users.every((u) => u === '' || u === 'acme-user@example.com'), `acme's log only: ${users}`);

  // Back to default from Logs: Settings shows default's provider again.
  await picker.selectOption('default');
  await logs.and(page.locator('[data-tenant="default"]')).waitFor();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  assert.equal(await picker.inputValue(), 'default');
  await provider.locator(`input[name="provider"][value="${defaultProvider}"]:checked`).waitFor();

  // A message the tenant's built-in provider made has no request to show.
  await page.getByRole('button', { name: /^Inbox/ }).click();
  await page.locator('article.message', { hasText: builtin.text }).locator('.body').click();
  const drawer = page.getByRole('complementary', { name: 'Message details' });
  await drawer.getByTestId('no-request').getByText('the emulated tenant put this message straight into the inbox').waitFor();
  assert.equal(await drawer.getByTestId('raw-payload').count(), 0, 'no empty payload box');
  assert.equal(await drawer.getByRole('heading', { name: /^Request/ }).count(), 0, 'no empty request section');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a chaos rule set in Settings has the latency and times the CLI sets', async () => {
  const { page, problems, context } = await openPage(browser, server.base);
  try {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const chaos = page.getByRole('region', { name: 'Chaos: make a provider API fail' });
    await chaos.getByLabel('Provider API').locator('option[value="twilio"]').waitFor({ state: 'attached' });
    await chaos.getByLabel('Provider API').selectOption('twilio');
    await chaos.getByLabel('Latency (ms)').fill('1500');
    await chaos.getByLabel('Times').fill('2');
    await chaos.getByRole('button', { name: 'Set rule' }).click();
    await chaos.getByRole('status').getByText('Chaos rule for twilio set.').waitFor();
    const rules = (await api('GET', `${server.base}/emulator/v1/chaos`)).body.rules;
    assert.deepEqual(rules.twilio, { error: null, probability: 1, latency_ms: 1500, times: 2 });
    const shown = chaos.getByRole('list', { name: 'Chaos rules' }).locator('li[data-provider="twilio"]');
    assert.match(await shown.textContent(), /twilio: 1500 ms late, 2 more times/);

    // Choosing the provider again shows its rule in the form.
    await chaos.getByLabel('Provider API').selectOption('sns');
    assert.equal(await chaos.getByLabel('Latency (ms)').inputValue(), '');
    await chaos.getByLabel('Provider API').selectOption('twilio');
    assert.equal(await chaos.getByLabel('Latency (ms)').inputValue(), '1500');

    await shown.getByRole('button', { name: 'Remove the twilio rule' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.deepEqual((await api('GET', `${server.base}/emulator/v1/chaos`)).body.rules, {});
    assert.deepEqual(problems, []);
  } finally {
    await api('DELETE', `${server.base}/emulator/v1/chaos`);
    await context.close();
  }
});

/** `phonebox serve` on a given port and database (startPhonebox picks a free port). */
async function serveOn(port, db) {
  const child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', db], {
    env: { ...process.env, PHONEBOX_LOG: 'info', NO_COLOR: '1', PHONEBOX_SECRETS_STORE: 'file' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (/Phonebox listening/.test(output)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`phonebox exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return async () => {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    return exited;
  };
}

test('the page says when it lost the server, and catches up without a reload once one is back on its port', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-reconnect-'));
  const db = path.join(dir, 'phonebox.db');
  const first = await startPhonebox({ db });
  let stopSecond = null;
  try {
    const { page, problems, context } = await openPage(browser, first.base);
    // A message shown live: the page's stream is up.
    await capture(first.base, { recipient: '+15555551403', text: 'Before the restart 310310', code: '310310' });
    await page.locator('article.message', { hasText: 'Before the restart' }).waitFor();
    await page.evaluate(() => (window.__samePage = true));
    const lost = page.getByRole('alert').getByText('Connection to Phonebox lost — reconnecting…');
    assert.equal(await lost.count(), 0);

    assert.equal(await first.stop(), 0);
    await lost.waitFor();

    stopSecond = await serveOn(new URL(first.base).port, db);
    // Captured whether or not the page is back yet: shown either live or by the
    // reload that follows reconnecting.
    await capture(first.base, { recipient: '+15555551403', text: 'After the restart 420420', code: '420420' });
    await page.locator('article.message', { hasText: 'After the restart' }).waitFor();
    await lost.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => window.__samePage), true, 'the same page, not reloaded');
    await capture(first.base, { recipient: '+15555551403', text: 'Live again 530530', code: '530530' });
    await page.locator('article.message', { hasText: 'Live again' }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    if (stopSecond) assert.equal(await stopSecond(), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the inbox, Settings, Limits and Logs read well in a 400 px window', async () => {
  await enroll(server.base, 'default', 'narrow-user@example.com', '+15555551404');
  const { page, problems, context } = await openPage(browser, server.base, { viewport: { width: 400, height: 800 } });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.locator('article.message').first().waitFor();
  assert.ok((await overflow()) <= 0, 'the inbox fits');
  // The filters two to a row under a full-width search.
  const search = await page.getByLabel('Search').boundingBox();
  const channel = await page.getByLabel('Channel').boundingBox();
  const source = await page.getByLabel('Source').boundingBox();
  assert.ok(search.width >= 360, `search is full width (${search.width}px)`);
  assert.equal(Math.round(channel.y), Math.round(source.y), 'channel and source share a row');
  const phone = await page.locator('[data-number="+15555551404"]').boundingBox();
  assert.ok(phone.x >= 0 && phone.x + phone.width <= 400, 'a phone fits the width');

  for (const view of ['Settings', 'Limits', 'Logs']) {
    await page.getByRole('button', { name: view, exact: true }).click();
    await page.getByLabel('Tenant', { exact: true }).waitFor();
    assert.ok((await overflow()) <= 0, `${view} fits`);
  }
  // Each log event a card of labelled lines: its description under its date.
  const row = page.getByRole('region', { name: 'Auth0 log events' }).locator('tbody tr', { hasText: 'narrow-user@example.com' }).first();
  await row.waitFor();
  const date = await row.locator('td[data-label="Date"]').boundingBox();
  const description = await row.locator('td[data-label="Description"]').boundingBox();
  assert.ok(description.y >= date.y + date.height - 1, 'stacked, not side by side');
  assert.ok(Math.abs(description.x - date.x) < 2, 'aligned on the same left edge');
  assert.ok(description.x + description.width <= 400);
  assert.deepEqual(problems, []);
  await context.close();
});

test('retention set in Settings is saved, refused when garbage, and the inbox says it is on', async () => {
  const { page, problems, context } = await openPage(browser, server.base);
  await page.getByRole('searchbox', { name: 'Search' }).waitFor();
  assert.equal(await page.locator('.retention-line').count(), 0, 'off: the inbox says nothing');

  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const section = page.getByRole('region', { name: 'Retention' });
  await section.getByLabel('Delete messages older than').fill('soon');
  await section.getByRole('button', { name: 'Save retention' }).click();
  await section.getByRole('alert').getByText(/such as 7d/).waitFor();
  assert.equal((await api('GET', `${server.base}/emulator/v1/retention`)).body.max_age, null, 'nothing saved');

  await section.getByLabel('Keep the newest messages').fill('10000');
  await section.getByLabel('Delete messages older than').fill('7d');
  await section.getByRole('button', { name: 'Save retention' }).click();
  await section.getByRole('status').getByText('Retention saved.').waitFor();
  const saved = (await api('GET', `${server.base}/emulator/v1/retention`)).body;
  assert.equal(saved.max_messages, 10000);
  assert.equal(saved.max_age, '7d');

  await page.getByRole('button', { name: /^Inbox/ }).click();
  const line = page.getByRole('note').filter({ hasText: 'Keeping the newest' });
  await line.waitFor();
  assert.equal((await line.textContent()).trim(), 'Keeping the newest 10,000 messages, none older than 7 days: older ones are deleted. Change');

  // A fresh page reads it from the server.
  const again = await openPage(browser, server.base);
  await again.page.getByRole('note').getByText('Keeping the newest 10,000 messages, none older than 7 days').waitFor();
  await again.context.close();

  // Save sends only the fields changed in the form: a count changed elsewhere while
  // the form is open stays as it was changed.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await section.getByLabel('Keep the newest messages').waitFor();
  assert.equal(await section.getByLabel('Keep the newest messages').inputValue(), '10000');
  assert.equal((await api('PATCH', `${server.base}/emulator/v1/retention`, { max_messages: 20000 })).status, 200);
  await section.getByLabel('Delete messages older than').fill('8d');
  await section.getByRole('button', { name: 'Save retention' }).click();
  await section.getByRole('status').getByText('Retention saved.').waitFor();
  const merged = (await api('GET', `${server.base}/emulator/v1/retention`)).body;
  assert.equal(merged.max_age, '8d');
  assert.equal(merged.max_messages, 20000, 'the untouched count was not sent');

  // Off again, for the tests after this one.
  assert.equal((await api('PATCH', `${server.base}/emulator/v1/retention`, { max_messages: null, max_age: null })).status, 200);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a retention value set by --max-messages is shown disabled with its hint, and the rest still saves', async () => {
  const flagged = await startPhonebox({ args: ['--max-messages', '25'] });
  try {
    const { page, problems, context } = await openPage(browser, flagged.base);
    await page.getByRole('searchbox', { name: 'Search' }).waitFor();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const section = page.getByRole('region', { name: 'Retention' });
    const newest = section.getByLabel('Keep the newest messages');
    await newest.waitFor();
    assert.equal(await newest.isDisabled(), true, 'the flag value cannot be edited');
    // The value arrives with the retention view: wait for it, not a moment.
    await page.waitForFunction((el) => el.value === '25', await newest.elementHandle(), { timeout: 5000 });
    assert.equal(await newest.inputValue(), '25');
    await section.getByText('Set by --max-messages when Phonebox was started.').waitFor();
    assert.equal(await section.getByText('Set by --max-age').count(), 0, 'max age was not set by a flag');
    const age = section.getByLabel('Delete messages older than');
    assert.equal(await age.isDisabled(), false);

    // Saving sends only what changed: the age, never the flag's field.
    await age.fill('1d');
    await section.getByRole('button', { name: 'Save retention' }).click();
    await section.getByRole('status').getByText('Retention saved.').waitFor();
    const saved = (await api('GET', `${flagged.base}/emulator/v1/retention`)).body;
    assert.equal(saved.max_messages, 25);
    assert.equal(saved.max_age, '1d');
    assert.deepEqual(saved.set_by_flag, { max_messages: true, max_age: false });
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    assert.equal(await flagged.stop(), 0);
  }
});
