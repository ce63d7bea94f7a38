// The user's own Actions in a real browser: a custom-phone-provider Action file
// configured in Settings (its path typed, a bad one refused in words, its secrets
// masked and never in clear in the page), "Send test message" showing the run's
// outcome and console, the message it sent opened in the inbox with its flow
// timeline; and an Action that throws, changed and deleted from the same page.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startPhonebox } = require('../sdk/lib/server');
const { launch, openPage, api } = require('./lib/browser');

// A value no page may ever show in clear.
const TOKEN = crypto.randomBytes(16).toString('hex');

let server;
let browser;
let dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-actions-e2e-'));
  server = await startPhonebox();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every place a page could show a secret: its text, its HTML, every field's value. */
async function assertNowhere(page, secret, when) {
  const shown = await page.evaluate(() => ({
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n'),
  }));
  for (const [where, content] of Object.entries(shown)) {
    assert.ok(!content.includes(secret), `${when}: the secret is not in the page's ${where}`);
  }
}

async function openActions(page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const section = page.getByRole('region', { name: 'Actions and Hooks' });
  await section.getByRole('button', { name: 'Add an Action or Hook' }).waitFor();
  return section;
}

/** "Send test message" on the card of the Action `name`, to `phone` by `channel`
 * ("Text" or "Voice"): the card's Test run region once its outcome is shown. */
async function runTestMessage(card, name, phone, channel) {
  await card.getByRole('button', { name: 'Send test message' }).click();
  const testForm = card.getByRole('form', { name: `Send a test message with ${name}` });
  await testForm.getByLabel('Phone number').fill(phone);
  await testForm.getByLabel(channel).check();
  await testForm.getByRole('button', { name: 'Run it' }).click();
  const result = card.getByRole('region', { name: 'Test run' });
  await result.getByTestId('run-outcome').waitFor();
  return result;
}

test('a custom-phone-provider Action configured in Settings runs on Send test message, and its message opens with the flow timeline', async () => {
  const file = path.join(dir, 'custom-sms.js');
  fs.writeFileSync(
    file,
    `exports.onExecuteCustomPhoneProvider = async (event, api) => {
  const n = event.notification;
  console.log('sending code ' + n.code + ' to ' + n.recipient);
  const res = await fetch(event.secrets.SERVICE_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + event.secrets.TOKEN },
    body: JSON.stringify({ recipient: n.recipient, text: n.as_text, code: n.code, message_type: n.delivery_method }),
  });
  console.log('the provider answered', res.status);
};
`,
  );
  const serviceUrl = `${server.base}/capture/auth0/custom-phone-provider`;
  const { page, problems, context } = await openPage(browser, server.base);
  const section = await openActions(page);
  await section.getByText('No Action or Hook for this tenant yet.').waitFor();
  await section.getByRole('button', { name: 'Add an Action or Hook' }).click();
  const form = section.getByRole('form', { name: 'Add an Action' });
  await form.getByLabel('Trigger').selectOption('custom-phone-provider');

  // A path that is not absolute: the API's refusal, in words, next to the form.
  await form.getByLabel('File path').fill('custom-sms.js');
  await form.getByRole('button', { name: 'Add Action' }).click();
  await form.getByRole('alert').getByText(/^File path: 'custom-sms\.js' is not an absolute path/).waitFor();
  assert.equal(await form.getByLabel('File path').getAttribute('aria-invalid'), 'true', 'the field at fault is marked');

  await form.getByLabel('File path').fill(file);
  await form.getByRole('button', { name: 'Add a secret' }).click();
  await form.getByRole('button', { name: 'Add a secret' }).click();
  await form.getByLabel('Secret name').nth(0).fill('SERVICE_URL');
  await form.getByLabel('Secret value').nth(0).fill(serviceUrl);
  await form.getByLabel('Secret name').nth(1).fill('TOKEN');
  await form.getByLabel('Secret value').nth(1).fill(TOKEN);
  assert.equal(await form.getByLabel('Secret value').nth(1).getAttribute('type'), 'password');
  await form.getByRole('button', { name: 'Add Action' }).click();
  await section.getByRole('status').getByText('custom-sms.js added.').waitFor();

  const card = section.getByRole('article', { name: 'Action custom-sms.js' });
  assert.deepEqual(await card.getByTestId('secret-mask').allTextContents(), ['••••ider', `••••${TOKEN.slice(-4)}`]);
  assert.equal(await card.locator('.path').textContent(), file);
  assert.match(await card.getByTestId('in-use-hint').textContent(), /Unified Phone provider named custom/);
  await assertNowhere(page, TOKEN, 'once the Action is added');
  const stored = (await api('GET', `${server.base}/emulator/v1/tenants/default/actions`)).body.actions;
  assert.deepEqual(stored.map((a) => [a.trigger, a.path, a.secrets.map((s) => s.name)]), [['custom-phone-provider', file, ['SERVICE_URL', 'TOKEN']]]);

  const result = await runTestMessage(card, 'custom-sms.js', '+15555552101', 'Text');
  assert.equal(await result.getByTestId('run-outcome').textContent(), 'success');
  const printed = await result.getByTestId('run-console').textContent();
  assert.match(printed, /^sending code \d{6} to \+15555552101\nthe provider answered 201\n$/);
  const code = printed.match(/code (\d{6})/)[1];
  const event = JSON.parse(await result.getByTestId('run-event').textContent());
  assert.equal(event.notification.recipient, '+15555552101');
  assert.equal(event.secrets.TOKEN, `••••${TOKEN.slice(-4)}`, 'the event shown has its secrets masked');
  await result.getByTestId('run-messages').getByText(`${code} is your verification code`).waitFor();
  await assertNowhere(page, TOKEN, 'with the test run shown');

  // The message it sent, opened in the inbox, and its flow.
  await result.getByRole('button', { name: 'Open in inbox' }).click();
  const drawer = page.getByRole('complementary', { name: 'Message details' });
  await drawer.getByText('Custom Phone Provider Action (auth0.custom-phone-provider)').waitFor();
  await page.locator('article.message', { hasText: `${code} is your verification code` }).waitFor();
  await drawer.getByRole('button', { name: 'Flow' }).click();
  const timeline = page.getByRole('complementary', { name: 'Flow timeline' });
  const run = timeline.locator('li[data-kind="action_run"]');
  await run.waitFor();
  assert.equal(await run.getByTestId('run-outcome').textContent(), 'success');
  assert.equal(await run.getByTestId('run-console').textContent(), printed, 'the timeline shows the run the test made');
  const kinds = await timeline.locator('li[data-kind]').evaluateAll((items) => items.map((li) => li.dataset.kind));
  assert.deepEqual(kinds, ['template', 'action_run', 'message'], 'in the flow\'s order');
  await timeline.locator('li[data-kind="message"]').getByText(`${code} is your verification code`).waitFor();
  await assertNowhere(page, TOKEN, 'with the message and its flow open');

  // Once the tenant's Unified Phone provider is custom, its logins run this Action.
  const custom = await fetch(`${server.base}/api/v2/branding/phone/providers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer e2e' },
    body: JSON.stringify({ name: 'custom', configuration: { delivery_methods: ['text', 'voice'] }, credentials: {} }),
  });
  assert.equal(custom.status, 201, await custom.clone().text());
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const inUse = page.getByRole('article', { name: 'Action custom-sms.js' }).getByTestId('in-use');
  await inUse.waitFor();
  assert.equal(await inUse.textContent(), "runs for this tenant's custom provider");
  assert.equal(await page.getByRole('article', { name: 'Action custom-sms.js' }).getByTestId('in-use-hint').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('an Action that throws shows outcome error with its message and stack, and can be changed and deleted', async () => {
  const file = path.join(dir, 'failing.js');
  fs.writeFileSync(
    file,
    `exports.onExecuteSendPhoneMessage = async (event, api) => {
  console.log('about to call the gateway');
  throw new Error('the SMS gateway refused: 503');
};
`,
  );
  const { page, problems, context } = await openPage(browser, server.base);
  const section = await openActions(page);
  await section.getByRole('button', { name: 'Add an Action or Hook' }).click();
  const form = section.getByRole('form', { name: 'Add an Action' });
  await form.getByLabel('Trigger').selectOption('send-phone-message');
  await form.getByLabel('File path').fill(file);
  await form.getByRole('button', { name: 'Add a secret' }).click();
  await form.getByLabel('Secret name').fill('GATEWAY_KEY');
  await form.getByLabel('Secret value').fill('k-0001');
  await form.getByRole('button', { name: 'Add Action' }).click();
  await section.getByRole('status').getByText('failing.js added.').waitFor();

  // Renamed, its secret removed; a blank value would have kept it.
  const card = section.getByRole('article', { name: 'Action failing.js' });
  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = card.getByRole('form', { name: 'Change failing.js' });
  await edit.getByLabel('Name', { exact: true }).fill('Failing gateway');
  await edit.locator('[data-secret="GATEWAY_KEY"]').getByLabel('Remove').check();
  await edit.getByRole('button', { name: 'Save Action' }).click();
  await section.getByRole('status').getByText('Failing gateway saved.').waitFor();
  const renamed = section.getByRole('article', { name: 'Action Failing gateway' });
  await renamed.getByText('none', { exact: true }).waitFor();
  const action = (await api('GET', `${server.base}/emulator/v1/tenants/default/actions`)).body.actions.find((a) => a.trigger === 'send-phone-message');
  assert.deepEqual([action.name, action.secrets], ['Failing gateway', []]);

  const result = await runTestMessage(renamed, 'Failing gateway', '+15555552102', 'Voice');
  assert.equal(await result.getByTestId('run-outcome').textContent(), 'error');
  const error = result.getByTestId('run-error');
  assert.equal(await error.locator('strong').textContent(), 'Error: the SMS gateway refused: 503');
  assert.match(await error.locator('pre').textContent(), new RegExp(`^Error: the SMS gateway refused: 503\\n\\s+at .*${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:9\\)`));
  assert.equal(await result.getByTestId('run-console').textContent(), 'about to call the gateway\n');
  assert.equal(JSON.parse(await result.getByTestId('run-event').textContent()).message_options.message_type, 'voice');
  await result.getByText('None: nothing it sent reached this Phonebox.').waitFor();

  await renamed.getByRole('button', { name: 'Delete', exact: true }).click();
  await renamed.getByRole('button', { name: 'Yes, delete' }).click();
  await section.getByRole('status').getByText('Failing gateway deleted.').waitFor();
  assert.equal(await section.getByRole('article', { name: 'Action Failing gateway' }).count(), 0);
  const left = (await api('GET', `${server.base}/emulator/v1/tenants/default/actions`)).body.actions;
  assert.ok(!left.some((a) => a.trigger === 'send-phone-message'), 'deleted on the server too');
  assert.deepEqual(problems, []);
  await context.close();
});
