// Forwarding a captured message to a real provider, in a real browser: the
// provider, allowlist and saved phone set up through Settings → Forwarding, a dry
// run that shows the request with its credentials masked and sends nothing, the
// real send to a fake Twilio over HTTPS (its CA trusted with --extra-ca) shown live
// in the drawer, and a page on another origin that cannot start a forward.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');

const { startPhonebox } = require('../sdk/lib/server');
const { launch, openPage, capture, api } = require('./lib/browser');

// Credentials go to a plain file beside the test database, never a developer's keyring.
process.env.PHONEBOX_SECRETS_STORE = 'file';

const SID = 'AC' + 'e2e0'.repeat(8);
const TOKEN = crypto.randomBytes(16).toString('hex'); // 32 characters: masked as ••••+last 4
const FROM = '+15005550006';
const MY_PHONE = '+447700900123';

/** A CA and a certificate for 127.0.0.1 that it signed, made with openssl in `dir`. */
function makeCertificates(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Phonebox e2e CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x' + crypto.randomBytes(8).toString('hex'),
    '-days', '2', '-out', 'server.pem', '-extfile', 'server.ext');
  return {
    ca: path.join(dir, 'ca.pem'),
    key: fs.readFileSync(path.join(dir, 'server.key')),
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
  };
}

/** A fake Twilio Messages API on 127.0.0.1 that records every request and answers
 * 201 with a new SM sid. */
async function startFakeTwilio(tls) {
  const requests = [];
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url);
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 20404, message: 'not found', status: 404 }));
        return;
      }
      const form = new URLSearchParams(seen.body);
      seen.sid = 'SM' + crypto.randomBytes(16).toString('hex');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: seen.sid, account_sid: match[1], to: form.get('To'), from: form.get('From'), body: form.get('Body'), status: 'queued' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `https://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

/** A page on another origin (another port of the same loopback address). */
async function startOtherOrigin() {
  const server = http.createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Another app</title><p>Another app on localhost</p>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Every place a page could show the token: its text, its HTML, every field's value. */
async function assertTokenNowhere(page, when) {
  const basic = Buffer.from(`${SID}:${TOKEN}`).toString('base64');
  const shown = await page.evaluate(() => ({
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n'),
  }));
  for (const [where, content] of Object.entries(shown)) {
    assert.ok(!content.includes(TOKEN), `${when}: the auth token is not in the page's ${where}`);
    assert.ok(!content.includes(basic), `${when}: the Basic credentials are not in the page's ${where}`);
  }
}

let dir;
let fake;
let other;
let server;
let browser;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-forward-'));
  const tls = makeCertificates(dir);
  fake = await startFakeTwilio(tls);
  other = await startOtherOrigin();
  server = await startPhonebox({ args: ['--extra-ca', tls.ca] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await fake?.close();
  await other?.close();
  if (server) assert.equal(await server.stop(), 0);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a message forwarded from the drawer is previewed without sending, then sent once to the saved phone, shown live', async () => {
  const { page, problems, context } = await openPage(browser, server.base);

  // Settings → Forwarding: allowlist, a saved phone and Twilio, all through the page.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = page.getByRole('region', { name: 'Forwarding to real phones' });
  await settings.getByLabel('Allowed numbers').fill(`${MY_PHONE}\n+1555*`);
  await settings.getByRole('button', { name: 'Save allowlist' }).click();
  await settings.getByRole('status').getByText('Allowlist saved.').waitFor();

  await settings.getByRole('button', { name: 'Add a phone' }).click();
  await settings.getByLabel('Label of phone 1').fill('My phone');
  await settings.getByLabel('Number of phone 1').fill('+44 7700 900123');
  await settings.getByRole('button', { name: 'Save phones' }).click();
  await settings.getByRole('status').getByText('Phones saved.').waitFor();
  assert.equal(await settings.getByLabel('Number of phone 1').inputValue(), MY_PHONE, 'stored in E.164');

  const twilio = settings.getByRole('group', { name: /^Twilio/ });
  await twilio.getByLabel('Account SID').fill(SID);
  await twilio.getByLabel('From').fill(FROM);
  await twilio.getByLabel('API base URL').fill(fake.base);
  await twilio.getByLabel('Auth token').fill(TOKEN);
  await twilio.getByRole('button', { name: 'Save Twilio' }).click();
  await twilio.getByRole('status').getByText('Twilio saved.').waitFor();
  const token = twilio.getByLabel('Auth token');
  assert.equal(await token.inputValue(), '', 'the typed token is cleared once saved');
  assert.equal(await token.getAttribute('type'), 'password');
  assert.equal(await token.getAttribute('placeholder'), `••••${TOKEN.slice(-4)}`, 'the stored mask, as a placeholder');
  await twilio.getByText('set up', { exact: true }).waitFor();
  await assertTokenNowhere(page, 'after saving Twilio');
  const setup = (await api('GET', `${server.base}/emulator/v1/forwarding`)).body;
  assert.deepEqual(setup.allowlist, [MY_PHONE, '+1555*']);
  assert.deepEqual(setup.my_phones, [{ label: 'My phone', number: MY_PHONE }]);
  assert.equal(setup.providers[0].settings.base_url, fake.base);

  // A message, its drawer, and the forward form.
  const text = 'Forward me: 482913 is your code';
  const message = await capture(server.base, { recipient: '+15555551301', text, code: '482913' });
  await page.getByRole('button', { name: /^Inbox/ }).click();
  await page.locator('article.message', { hasText: text }).locator('.body').click();
  const drawer = page.getByRole('complementary', { name: 'Message details' });
  await drawer.getByRole('button', { name: 'Forward', exact: true }).click();
  const form = drawer.getByRole('form', { name: 'Forward this message' });
  assert.equal(await form.getByLabel('Forward via').inputValue(), 'twilio');
  await form.getByRole('radio', { name: /^My phone/ }).check();

  await form.getByRole('button', { name: 'Preview (dry run)' }).click();
  const preview = form.getByRole('region', { name: 'Dry run' });
  await preview.waitFor();
  assert.equal(await preview.getByTestId('request-url').textContent(), `${fake.base}/2010-04-01/Accounts/${SID}/Messages.json`);
  const authorization = preview.locator('tr', { has: page.locator('th', { hasText: /^authorization$/i }) }).locator('td');
  assert.match(await authorization.textContent(), /••••/, 'the Authorization header is shown masked');
  assert.match(await preview.textContent(), /1 part \(GSM-7\)/);
  assert.match(await preview.locator('pre').textContent(), /To=%2B447700900123/);
  await assertTokenNowhere(page, 'after the dry run');
  assert.equal(fake.requests.length, 0, 'a dry run sends nothing');

  // The real send: the page must not reload for the attempt to show.
  await page.evaluate(() => (window.__samePage = true));
  await form.getByRole('button', { name: 'Send', exact: true }).click();
  const forwards = drawer.getByRole('list', { name: 'Forwards' });
  const standing = forwards.getByTestId('forward-standing');
  await standing.filter({ hasText: 'accepted' }).waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, 'shown live, without a reload');

  assert.equal(fake.requests.length, 1, 'the fake got exactly one request');
  const [sent] = fake.requests;
  assert.equal(sent.method, 'POST');
  assert.equal(sent.url, `/2010-04-01/Accounts/${SID}/Messages.json`);
  const fields = new URLSearchParams(sent.body);
  assert.equal(fields.get('To'), MY_PHONE);
  assert.equal(fields.get('Body'), text);
  assert.equal(fields.get('From'), FROM);
  assert.equal(sent.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`, 'the token typed in Settings');
  assert.equal(await standing.textContent(), `accepted · ${sent.sid}`);
  assert.match(await forwards.textContent(), /Forwarded to \+447700900123 via Twilio/);

  await forwards.getByText('1 attempt', { exact: true }).click();
  const attempt = forwards.locator('li[data-outcome]');
  assert.match(await attempt.getByTestId('attempt-line').textContent(), new RegExp(`^Attempt 1: accepted · HTTP 201 · \\d+ ms · ${sent.sid}$`));
  await attempt.getByText('Request sent').click();
  await assertTokenNowhere(page, 'with the attempt open');

  const recorded = (await api('GET', `${server.base}/emulator/v1/messages/${message.id}/forwards`)).body.forwards;
  assert.equal(recorded.length, 1);
  assert.equal(recorded[0].state, 'sent');
  assert.equal(recorded[0].attempts.length, 1);
  assert.equal(fake.requests.length, 1, 'still one request');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a page on another origin cannot start a forward, and the provider gets nothing', async () => {
  // The same setup as above, through the API, so this test stands alone.
  assert.equal((await api('PUT', `${server.base}/emulator/v1/forwarding/allowlist`, { numbers: [MY_PHONE] })).status, 200);
  const provider = await api('PUT', `${server.base}/emulator/v1/forwarding/providers/twilio`, {
    account_sid: SID,
    from: FROM,
    base_url: fake.base,
    auth_token: TOKEN,
  });
  assert.equal(provider.status, 200);
  const message = await capture(server.base, { recipient: '+15555551302', text: 'Not from there 731904', code: '731904' });
  const sentBefore = fake.requests.length;

  const { page, context } = await openPage(browser, other.base);
  const statuses = [];
  page.on('response', (r) => {
    if (r.url().includes('/forward')) statuses.push(`${r.request().method()} ${r.status()}`);
  });
  const attempt = (init) =>
    page.evaluate(
      async ({ url, init }) => {
        try {
          const res = await fetch(url, init);
          return { status: res.status, type: res.type };
        } catch (e) {
          return { error: String(e) };
        }
      },
      { url: `${server.base}/emulator/v1/messages/${message.id}/forward`, init },
    );
  const body = JSON.stringify({ via: 'twilio', to: MY_PHONE, dry_run: false });

  // As asked: JSON, so the browser must ask first, and cannot read any answer.
  const json = await attempt({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.ok(json.error || json.status === 403, `refused: ${JSON.stringify(json)}`);
  // A "simple" request needs no preflight: it reaches the server, which must refuse it itself.
  const answered = page.waitForResponse((r) => r.url().endsWith('/forward') && r.request().method() === 'POST');
  const simple = await attempt({ method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body });
  assert.equal(simple.type, 'opaque', `sent without reading the answer: ${JSON.stringify(simple)}`);
  assert.equal((await answered).status(), 403, 'the server refused the simple POST itself');
  assert.ok(!statuses.some((s) => /^POST 2/.test(s)), `no POST was taken (saw ${statuses.join(', ')})`);

  const recorded = (await api('GET', `${server.base}/emulator/v1/messages/${message.id}/forwards`)).body.forwards;
  assert.deepEqual(recorded, [], 'no forward was queued');
  assert.equal(fake.requests.length, sentBefore, 'the fake got nothing');
  await context.close();

  // The very same request from Phonebox's own page is taken (as a dry run here).
  const own = await openPage(browser, server.base);
  const dry = await own.page.evaluate(
    async ({ url, body }) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status,
    { url: `${server.base}/emulator/v1/messages/${message.id}/forward`, body: JSON.stringify({ via: 'twilio', to: '+447700900123', dry_run: true }) },
  );
  assert.equal(dry, 200, 'the own page may');
  assert.equal(fake.requests.length, sentBefore);
  await own.context.close();
});

test('the form says when nothing is set up, links to Settings → Forwarding, and shows a refusal inline', async () => {
  const fresh = await startPhonebox();
  try {
    const message = await capture(fresh.base, { recipient: '+15555551303', text: 'Nowhere to go 120934', code: '120934' });
    const { page, problems, context } = await openPage(browser, fresh.base);
    await page.locator('article.message', { hasText: 'Nowhere to go' }).locator('.body').click();
    const drawer = page.getByRole('complementary', { name: 'Message details' });
    await drawer.getByRole('button', { name: 'Forward', exact: true }).click();
    const form = drawer.getByRole('form', { name: 'Forward this message' });
    await form.getByText('No provider is set up for forwarding.').waitFor();
    await form.getByRole('link', { name: 'Set one up in Settings → Forwarding' }).click();
    await page.getByRole('region', { name: 'Forwarding to real phones' }).getByRole('heading', { name: 'Forwarding to real phones' }).waitFor();
    await drawer.waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('button', { name: 'Settings', exact: true }).getAttribute('aria-current'), 'page');

    // Twilio set up, the allowlist still empty: the server's refusal, in the form.
    const provider = await api('PUT', `${fresh.base}/emulator/v1/forwarding/providers/twilio`, {
      account_sid: SID,
      from: FROM,
      base_url: fake.base,
      auth_token: TOKEN,
    });
    assert.equal(provider.status, 200);
    const sentBefore = fake.requests.length;
    await page.getByRole('button', { name: /^Inbox/ }).click();
    await page.locator('article.message', { hasText: 'Nowhere to go' }).locator('.body').click();
    await drawer.getByRole('button', { name: 'Forward', exact: true }).click();
    await form.getByText('The allowlist is empty').waitFor();
    await form.getByRole('button', { name: 'Send', exact: true }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /\+15555551303 is not on the forwarding allowlist, which is empty/);
    const recorded = (await api('GET', `${fresh.base}/emulator/v1/messages/${message.id}/forwards`)).body.forwards;
    assert.deepEqual(recorded, []);
    assert.equal(fake.requests.length, sentBefore);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    assert.equal(await fresh.stop(), 0);
  }
});
