// Auth0's own custom-phone-provider sample Action, run as Auth0 runs it, delivering
// into a real Phonebox.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startPhonebox, latest, detail } = require('./lib/server');
const { customPhoneProviderEvent, customPhoneProviderApi } = require('./lib/auth0');
const action = require('./actions/custom-phone-provider.seed');

let server;
before(async () => {
  server = await startPhonebox();
});
after(async () => {
  assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

const notification = {
  message_type: 'otp_verify',
  delivery_method: 'text',
  recipient: '+15555550123',
  as_text: '318264 is your verification code for Acme',
  as_voice: 'Your verification code for Acme is 3. 1. 8. 2. 6. 4.',
  code: '318264',
  from: '+15005550006',
  locale: 'en_US',
};

test("the seed's custom-phone-provider Action lands in the store", async (t) => {
  t.mock.method(console, 'log', () => {}); // the sample logs the whole Response
  const secrets = {
    SERVICE_URL: `${server.base}/capture/auth0/custom-phone-provider`,
    TOKEN: 'action-secret-token-7391',
  };
  const event = customPhoneProviderEvent({ notification, secrets });
  // The sample reads `event.secret.SERVICE_URL` (sic) next to `event.secrets.TOKEN`;
  // Auth0's event has only `secrets`, so the alias is what lets the sample run at all.
  event.secret = event.secrets;
  const api = customPhoneProviderApi();

  await action.onExecuteCustomPhoneProvider(event, api);

  assert.deepEqual(api.calls, [], 'returning without drop/retry means success');
  const m = await latest(server.base, '+15555550123');
  assert.equal(m.to, '+15555550123');
  assert.equal(m.from, '+15005550006');
  assert.equal(m.text, notification.as_text);
  assert.equal(m.code, '318264');
  assert.equal(m.channel, 'sms');
  assert.equal(m.action, 'second-factor-authenticator');
  assert.equal(m.purpose, 'otp_verify');
  assert.equal(m.locale, 'en_US');
  assert.equal(m.source, 'auth0.custom-phone-provider');

  const full = await detail(server.base, m.id);
  assert.match(full.request.content_type, /^text\/plain/, 'fetch sent a string body');
  const auth = full.request.headers.find(([name]) => name === 'authorization');
  assert.deepEqual(auth, ['authorization', 'Bearer …7391']);
  assert.ok(!JSON.stringify(full).includes('action-secret-token'), 'the token is redacted');
});

test('a voice notification is captured as a voice message', async (t) => {
  t.mock.method(console, 'log', () => {});
  const secrets = { SERVICE_URL: `${server.base}/capture/auth0/custom-phone-provider`, TOKEN: 't' };
  const voice = { ...notification, delivery_method: 'voice', message_type: 'otp_enroll', recipient: '+447700900456' };
  const event = customPhoneProviderEvent({ notification: voice, secrets });
  event.secret = event.secrets;

  await action.onExecuteCustomPhoneProvider(event, customPhoneProviderApi());

  const m = await latest(server.base, '+447700900456');
  assert.equal(m.channel, 'voice');
  assert.equal(m.action, 'enrollment');
  assert.equal(m.purpose, 'otp_enroll');
  // The sample always posts as_text, even for voice: Phonebox stores what it was sent.
  assert.equal(m.text, notification.as_text);
});

test("with Auth0's real event (no `secret`), the sample fails before sending", async () => {
  const secrets = { SERVICE_URL: `${server.base}/capture/auth0/custom-phone-provider`, TOKEN: 't' };
  const event = customPhoneProviderEvent({
    notification: { ...notification, recipient: '+15555550999' },
    secrets,
  });
  await assert.rejects(action.onExecuteCustomPhoneProvider(event, customPhoneProviderApi()), TypeError);
  const res = await fetch(`${server.base}/emulator/v1/phones/%2B15555550999/latest`);
  assert.equal(res.status, 404, 'nothing was sent');
});
