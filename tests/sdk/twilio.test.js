// The official `twilio` package against Phonebox's Twilio API: success and error paths.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');

const { startPhonebox, latest, detail } = require('./lib/server');
const { ACCOUNT_SID, twilioClient, loadHook, runHook } = require('./lib/twilio');

let server;
let client;
before(async () => {
  server = await startPhonebox();
  client = twilioClient(server.base);
});
after(async () => {
  await server.stop();
});

test('messages.create lands in the store and answers like Twilio', async () => {
  const sent = await client.messages.create({
    to: '+15555550111',
    from: '+15005550006',
    body: '482913 is your verification code',
  });
  assert.match(sent.sid, /^SM[0-9a-f]{32}$/);
  assert.equal(sent.status, 'queued');
  assert.equal(sent.accountSid, ACCOUNT_SID);
  assert.equal(sent.to, '+15555550111');
  assert.equal(sent.from, '+15005550006');
  assert.equal(sent.numSegments, '1');
  assert.equal(sent.direction, 'outbound-api');
  assert.ok(sent.dateCreated instanceof Date && !Number.isNaN(sent.dateCreated.getTime()));

  const m = await latest(server.base, '+15555550111');
  assert.equal(m.text, '482913 is your verification code');
  assert.equal(m.code, '482913');
  assert.equal(m.channel, 'sms');
  assert.equal(m.source, 'twilio.messages');
  assert.equal(m.provider_message_id, sent.sid);
  assert.equal(m.provider_account, ACCOUNT_SID);
  const full = await detail(server.base, m.id);
  const auth = full.request.headers.find(([name]) => name === 'authorization');
  assert.match(auth[1], /^Basic …/, 'Basic auth recorded, redacted');

  const fetched = await client.messages(sent.sid).fetch();
  assert.equal(fetched.sid, sent.sid);
  assert.equal(fetched.status, 'delivered');
  const listed = await client.messages.list({ to: '+15555550111', limit: 5 });
  assert.deepEqual(listed.map((x) => x.sid), [sent.sid]);
});

test('calls.create with TwiML is captured as a voice message of what <Say> speaks', async () => {
  const call = await client.calls.create({
    to: '+15555550112',
    from: '+15005550006',
    twiml: '<Response><Say voice="man" language="en-US">Your code is 1. 2. 3. 4. 5. 6.</Say></Response>',
  });
  assert.match(call.sid, /^CA[0-9a-f]{32}$/);
  assert.equal(call.status, 'queued');
  const m = await latest(server.base, '+15555550112');
  assert.equal(m.channel, 'voice');
  assert.equal(m.text, 'Your code is 1. 2. 3. 4. 5. 6.');
  assert.equal(m.code, '123456');
  assert.equal(m.source, 'twilio.calls');
});

/** Expects the SDK call to reject with Twilio's RestException of `code`. */
async function rejectsWith(promise, code, status = 400) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.constructor.name, 'RestException');
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    return true;
  });
}

test("documented errors surface as the SDK's RestException with Twilio's code", async () => {
  const send = (params) => client.messages.create({ from: '+15005550006', body: 'hi', to: '+15555550113', ...params });
  await rejectsWith(send({ to: 'not-a-number' }), 21211);
  await rejectsWith(send({ body: 'x'.repeat(1601) }), 21617);
  await rejectsWith(client.messages.create({ to: '+15555550113', body: 'hi' }), 21603);
  // Twilio's magic test numbers.
  await rejectsWith(send({ from: '+15005550001' }), 21212);
  await rejectsWith(send({ from: '+15005550007' }), 21606);
  await rejectsWith(send({ from: '+15005550008' }), 21611);
  await rejectsWith(send({ to: '+15005550001' }), 21211);
  await rejectsWith(send({ to: '+15005550002' }), 21612);
  await rejectsWith(send({ to: '+15005550003' }), 21408);
  await rejectsWith(send({ to: '+15005550004' }), 21610);
  await rejectsWith(send({ to: '+15005550009' }), 21614);
  await rejectsWith(client.messages('SM' + '0'.repeat(32)).fetch(), 20404, 404);
  const res = await fetch(`${server.base}/emulator/v1/phones/%2B15555550113/latest`);
  assert.equal(res.status, 404, 'nothing refused was stored');
});

test('StatusCallback receives queued, sent and delivered', async () => {
  const statuses = [];
  let done;
  const all = new Promise((resolve) => (done = resolve));
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      statuses.push(new URLSearchParams(body).get('MessageStatus'));
      res.end();
      if (statuses.length === 3) done();
    });
  });
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${hook.address().port}/status`;
  const sent = await client.messages.create({ to: '+15555550114', from: '+15005550006', body: 'code 111222', statusCallback: url });
  assert.equal(sent.status, 'queued');
  await all;
  hook.close();
  assert.deepEqual(statuses, ['queued', 'sent', 'delivered']);
});

test("the seed's Programmable SMS Hook delivers through the twilio SDK", async () => {
  const hook = loadHook('actions/twilio-programmable-sms.hook.seed.js', server.base);
  const context = {
    message_type: 'sms',
    action: 'authentication',
    code: '904213',
    webtask: {
      secrets: {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: 'hook-secret-token-1234',
        TWILIO_PHONE_NUMBER: '+15005550006',
      },
    },
  };
  const response = await runHook(hook, '+15555550115', '904213 is your verification code', context);
  assert.deepEqual(response, {});
  const m = await latest(server.base, '+15555550115');
  assert.equal(m.text, '904213 is your verification code');
  assert.equal(m.from, '+15005550006');
  assert.equal(m.source, 'twilio.messages');
});

test('verify.v2: a started verification is captured, and checks answer pending then approved', async () => {
  const service = client.verify.v2.services('VA' + 'a'.repeat(32));
  const started = await service.verifications.create({ to: '+15555550116', channel: 'sms' });
  assert.match(started.sid, /^VE[0-9a-f]{32}$/);
  assert.equal(started.status, 'pending');
  assert.equal(started.valid, false);
  assert.equal(started.sendCodeAttempts.length, 1);

  const m = await latest(server.base, '+15555550116');
  assert.equal(m.source, 'twilio.verify');
  assert.match(m.code, /^\d{6}$/);
  assert.equal(m.text, `Your Phonebox verification code is: ${m.code}`);

  const wrong = await service.verificationChecks.create({ to: '+15555550116', code: '000000' === m.code ? '111111' : '000000' });
  assert.equal(wrong.status, 'pending');
  assert.equal(wrong.valid, false);
  const right = await service.verificationChecks.create({ to: '+15555550116', code: m.code });
  assert.equal(right.status, 'approved');
  assert.equal(right.valid, true);
  assert.equal(right.sid, started.sid);
  // Approved verifications are gone, as on Twilio.
  await rejectsWith(service.verificationChecks.create({ to: '+15555550116', code: m.code }), 20404, 404);
});

test('verify.v2: a voice verification reads the custom code digit by digit; five wrong checks close it', async () => {
  const service = client.verify.v2.services('VA' + 'b'.repeat(32));
  const started = await service.verifications.create({ to: '+15555550117', channel: 'call', customCode: '4815' });
  assert.equal(started.channel, 'call');
  const m = await latest(server.base, '+15555550117');
  assert.equal(m.channel, 'voice');
  assert.equal(m.text, 'Your Phonebox verification code is: 4, 8, 1, 5.');
  assert.equal(m.code, '4815');
  for (let i = 0; i < 5; i++) {
    const check = await service.verificationChecks.create({ verificationSid: started.sid, code: '9999' });
    assert.equal(check.status, 'pending');
  }
  await rejectsWith(service.verificationChecks.create({ verificationSid: started.sid, code: '4815' }), 60202, 429);
  const fetched = await service.verifications(started.sid).fetch();
  assert.equal(fetched.status, 'max_attempts_reached');
});

test("the seed's Verify Hook (Account SID as service SID, customCode) is captured", async (t) => {
  t.mock.method(console, 'warn', () => {}); // `verify.services` is deprecated in twilio 5+
  const hook = loadHook('actions/twilio-verify.hook.seed.js', server.base);
  const context = {
    message_type: 'sms',
    action: 'enrollment',
    code: '662051',
    webtask: {
      secrets: {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: 'hook-secret-token-1234',
        TWILIO_PHONE_NUMBER: '+15005550006',
      },
    },
  };
  await runHook(hook, '+15555550118', '662051 is your verification code', context);
  const m = await latest(server.base, '+15555550118');
  assert.equal(m.code, '662051');
  assert.equal(m.source, 'twilio.verify');
  assert.equal(m.provider_account, ACCOUNT_SID);
});

test('verify.v2: a code checked after ten minutes on the emulated clock is gone (20404)', async () => {
  const service = client.verify.v2.services('VA' + 'e'.repeat(32));
  await service.verifications.create({ to: '+15555550119', channel: 'sms', customCode: '135790' });
  const res = await fetch(`${server.base}/emulator/v1/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ by: '11m' }),
  });
  assert.equal(res.status, 200);
  await assert.rejects(service.verificationChecks.create({ to: '+15555550119', code: '135790' }), (e) => {
    assert.equal(e.constructor.name, 'RestException');
    assert.equal(e.code, 20404);
    assert.equal(e.status, 404);
    return true;
  });
});
