// The official Vonage Node SDK (@vonage/server-sdk) against Phonebox's /sms/json.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Vonage } = require('@vonage/server-sdk');
const { Auth } = require('@vonage/auth');
const { SMSFailure } = require('@vonage/sms');
const { startPhonebox, latest, detail } = require('./lib/server');

const API_KEY = 'abcd1234';
const API_SECRET = 'Sup3rS3cretVonage';

let server;
let vonage;
before(async () => {
  server = await startPhonebox();
  // The one line that points the SDK at Phonebox: `restHost`.
  vonage = new Vonage(new Auth({ apiKey: API_KEY, apiSecret: API_SECRET }), { restHost: server.base });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

test('sms.send lands in the store and answers like Vonage', async () => {
  const out = await vonage.sms.send({ to: '447700900123', from: 'Acme', text: 'Your Acme code is 640021' });
  assert.equal(out.messageCount, '1');
  assert.equal(out.messages[0].status, '0');
  assert.equal(out.messages[0].to, '447700900123');
  assert.match(out.messages[0].messageId, /^[0-9A-F]{16}$/);

  const m = await latest(server.base, '+447700900123');
  assert.equal(m.text, 'Your Acme code is 640021');
  assert.equal(m.code, '640021');
  assert.equal(m.source, 'vonage.sms');
  assert.equal(m.from, 'Acme');
  assert.equal(m.provider_account, API_KEY);
  assert.equal(m.provider_message_id, out.messages[0].messageId);
  const full = await detail(server.base, m.id);
  assert.ok(!JSON.stringify(full).includes(API_SECRET), 'the API secret is never stored');
});

test('a long text is reported as one entry per SMS part', async () => {
  const text = 'Code 123456. ' + 'x'.repeat(300);
  const out = await vonage.sms.send({ to: '447700900124', from: 'Acme', text });
  assert.equal(out.messageCount, '3');
  assert.equal(out.messages.length, 3);
  assert.equal((await latest(server.base, '+447700900124')).segments, 3);
});

test('a refused send surfaces as the SDK\'s SMSFailure with Vonage\'s status', async () => {
  await assert.rejects(vonage.sms.send({ to: '12', from: 'Acme', text: 'x' }), (e) => {
    // The SDK compares the count as a number with Vonage's string "1", so one
    // failure of one is reported as partial, by Vonage itself too.
    assert.ok(e instanceof SMSFailure, `got ${e.constructor.name}`);
    assert.equal(e.response.messages[0].status, '3');
    assert.match(e.response.messages[0].errorText, /to/);
    return true;
  });
});

test('chaos: an injected status 1 (Throttled) reaches the SDK and is kept as failed', async () => {
  const put = await fetch(`${server.base}/emulator/v1/chaos/vonage`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: '1', probability: 1 }),
  });
  assert.equal(put.status, 200);
  await assert.rejects(vonage.sms.send({ to: '447700900125', from: 'Acme', text: 'code 909090' }), (e) => {
    assert.equal(e.response.messages[0].status, '1');
    assert.equal(e.response.messages[0].errorText, 'Throttled');
    return true;
  });
  const list = await (await fetch(`${server.base}/emulator/v1/messages?to=%2B447700900125`)).json();
  assert.equal(list.messages[0].status, 'failed');
  assert.deepEqual(list.messages[0].error, { code: '1', message: 'Throttled' });
  assert.equal((await fetch(`${server.base}/emulator/v1/chaos/vonage`, { method: 'DELETE' })).status, 204);
  await vonage.sms.send({ to: '447700900125', from: 'Acme', text: 'code 919191' });
  assert.equal((await latest(server.base, '+447700900125')).code, '919191');
});
