// The official AWS SDKs (v3 and v2) against Phonebox's SNS API, and Auth0's SNS
// sample Action run as Auth0 runs it.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { PublishCommand, InvalidParameterException, NotFoundException } = require('@aws-sdk/client-sns');
const { startPhonebox, latest, detail } = require('./lib/server');
const { ACCESS_KEY_ID, SECRET_ACCESS_KEY, snsV3, snsV2, awsSdkFor } = require('./lib/aws');
const { sendPhoneMessageEvent } = require('./lib/auth0');
const { loadWith } = require('./lib/load');

let server;
before(async () => {
  server = await startPhonebox();
});
after(async () => {
  assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

test('v3 PublishCommand with SMSType lands in the store with its attributes', async () => {
  const sns = snsV3(server.base, 'eu-west-1');
  const out = await sns.send(
    new PublishCommand({
      PhoneNumber: '+15555550201',
      Message: '731904 is your Acme code',
      MessageAttributes: {
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: 'Acme' },
      },
    }),
  );
  assert.match(out.MessageId, /^[0-9a-f-]{36}$/);
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.$metadata.requestId, 'request id read from the answer');

  const m = await latest(server.base, '+15555550201');
  assert.equal(m.text, '731904 is your Acme code');
  assert.equal(m.code, '731904');
  assert.equal(m.channel, 'sms');
  assert.equal(m.source, 'aws.sns');
  assert.equal(m.from, 'Acme');
  assert.equal(m.provider_message_id, out.MessageId);
  assert.equal(m.provider_account, ACCESS_KEY_ID, 'SigV4 access key id recorded');
  assert.equal(m.attributes.region, 'eu-west-1');
  assert.equal(m.attributes.message_attributes['AWS.SNS.SMS.SMSType'].StringValue, 'Transactional');

  const full = await detail(server.base, m.id);
  assert.ok(!JSON.stringify(full).includes(SECRET_ACCESS_KEY), 'secret key never stored');
  const auth = full.request.headers.find(([name]) => name === 'authorization');
  assert.match(auth[1], /^AWS4-HMAC-SHA256 …/, 'signature redacted');
});

test('v3 errors surface as the SDK\'s own exception classes', async () => {
  const sns = snsV3(server.base);
  await assert.rejects(
    sns.send(new PublishCommand({ PhoneNumber: '+1asd', Message: 'hi' })),
    (e) => {
      assert.ok(e instanceof InvalidParameterException, `got ${e.name}`);
      assert.equal(e.name, 'InvalidParameterException');
      assert.match(e.message, /PhoneNumber/);
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.$fault, 'client');
      return true;
    },
  );
  await assert.rejects(
    sns.send(new PublishCommand({ PhoneNumber: '+15555550202', Message: 'x'.repeat(1601) })),
    InvalidParameterException,
  );
  await assert.rejects(
    sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:none', Message: 'hi' })),
    NotFoundException,
  );
  const res = await fetch(`${server.base}/emulator/v1/messages?to=%2B15555550202`);
  assert.deepEqual((await res.json()).messages, [], 'refused publishes are not stored');
});

test('v2 publish().promise() lands in the store; errors carry the SNS code', async () => {
  const sns = snsV2(server.base);
  const out = await sns
    .publish({
      PhoneNumber: '+15555550203',
      Message: 'Your code is 552210',
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Promotional' } },
    })
    .promise();
  assert.match(out.MessageId, /^[0-9a-f-]{36}$/);
  const m = await latest(server.base, '+15555550203');
  assert.equal(m.text, 'Your code is 552210');
  assert.equal(m.source, 'aws.sns');
  assert.equal(m.provider_account, ACCESS_KEY_ID);

  await assert.rejects(sns.publish({ PhoneNumber: 'not-a-number', Message: 'hi' }).promise(), (e) => {
    assert.equal(e.code, 'InvalidParameter');
    assert.equal(e.statusCode, 400);
    assert.match(e.message, /not-a-number/);
    return true;
  });
});

test('chaos: an injected Throttling reaches the SDK and the message is kept as failed', async () => {
  const put = await fetch(`${server.base}/emulator/v1/chaos/sns`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'Throttling', times: 1 }),
  });
  assert.equal(put.status, 200);
  const sns = snsV3(server.base);
  await assert.rejects(
    sns.send(new PublishCommand({ PhoneNumber: '+15555550204', Message: 'code 111222' })),
    (e) => {
      assert.equal(e.name, 'Throttling');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    },
  );
  const list = await (await fetch(`${server.base}/emulator/v1/messages?to=%2B15555550204`)).json();
  assert.equal(list.messages.length, 1);
  assert.equal(list.messages[0].status, 'failed');
  assert.deepEqual(list.messages[0].error, { code: 'Throttling', message: 'Rate exceeded' });
  // `times: 1` used up: the next publish goes through.
  await sns.send(new PublishCommand({ PhoneNumber: '+15555550204', Message: 'code 333444' }));
  assert.equal((await latest(server.base, '+15555550204')).code, '333444');
});

test("Auth0's SNS sample Action (aws-sdk v2) runs as Auth0 runs it and is captured", async () => {
  const action = loadWith('actions/sns-send-phone-message.seed.js', { 'aws-sdk': awsSdkFor(server.base) });
  const event = sendPhoneMessageEvent({
    message_options: {
      action: 'second-factor-authentication',
      code: '904411',
      message_type: 'sms',
      recipient: '+15555550205',
      text: '904411 is your verification code for Acme',
    },
    secrets: { AWS_REGION: 'ap-southeast-2', AWS_ACCESS_KEY_ID: 'AKIAACTIONKEY0000001', AWS_SECRET_ACCESS_KEY: 'action-secret-xyz-123' },
  });
  const result = await action.onExecuteSendPhoneMessage(event, {});
  assert.match(result.MessageId, /^[0-9a-f-]{36}$/);
  const m = await latest(server.base, '+15555550205');
  assert.equal(m.text, '904411 is your verification code for Acme');
  assert.equal(m.code, '904411');
  assert.equal(m.provider_account, 'AKIAACTIONKEY0000001');
  assert.equal(m.attributes.region, 'ap-southeast-2');
});

test('LocalStack\'s /_aws/sns/sms-messages lists and deletes what was published', async () => {
  const url = `${server.base}/_aws/sns/sms-messages?region=eu-west-1`;
  const body = await (await fetch(url)).json();
  assert.equal(body.region, 'eu-west-1');
  const list = body.sms_messages['+15555550201'];
  assert.equal(list.length, 1);
  assert.equal(list[0].Message, '731904 is your Acme code');
  assert.equal(list[0].PhoneNumber, '+15555550201');
  assert.equal(list[0].MessageAttributes['AWS.SNS.SMS.SMSType'].StringValue, 'Transactional');
  assert.equal((await fetch(url, { method: 'DELETE' })).status, 204);
  assert.deepEqual((await (await fetch(url)).json()).sms_messages, {});
  // Other regions are untouched.
  const us = await (await fetch(`${server.base}/_aws/sns/sms-messages`)).json();
  assert.ok(us.sms_messages['+15555550203'], 'us-east-1 messages kept');
});
