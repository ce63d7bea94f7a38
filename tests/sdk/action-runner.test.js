// Auth0's own Action and Hook samples, unmodified, run by Phonebox as a tenant's
// custom phone provider: each is copied into a folder of its own (package.json and
// node_modules, as a user keeps one), configured for a fresh tenant, selected as its
// provider, and an MFA enrollment over plain HTTP makes the tenant send through it.
// The official SDK packages (aws-sdk v2, twilio) are the ones `make test` installs in
// tests/sdk/node_modules, unpatched: Phonebox's harness points them at the server.
//
// Each test asserts the whole flow: the message in the inbox with its code and links,
// the timeline (request, template, the run, the message, the gd_send_sms log), the
// enrollment confirmed with that code, and the run's record holding no secret in clear.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startPhonebox } = require('./lib/server');
const {
  actionFolder,
  call,
  newPhone,
  freshTenant,
  configureAction,
  selectPhoneMessageHook,
  selectUnifiedCustom,
  mfaToken,
  associate,
  confirm,
  latestWaiting,
  flow,
  runs,
} = require('./lib/actions');

const SECRET_WARNING =
  "The Action read event.secret, which Auth0's event does not have (it has event.secrets): in Auth0 that line throws.";

let server;
const folders = [];
before(async () => {
  server = await startPhonebox();
});
after(async () => {
  for (const f of folders) f.remove();
  assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

/** An Action folder removed when the suite ends. */
function folderFor(seed, opts) {
  const f = actionFolder(seed, opts);
  folders.push(f);
  return f;
}

/** The timeline once `done(flow)` holds, polled until a 10 s deadline. */
async function flowWhen(transactionId, done, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const f = await flow(server.base, transactionId);
    if (done(f)) return f;
    if (Date.now() > deadline) {
      assert.fail(`the flow never had ${what}: ${JSON.stringify(f.steps.map((s) => s.type ?? s.kind))}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A step's kind, or a log step's type. */
const kindOf = (s) => (s.kind === 'log' ? s.type : s.kind);
const SENT_THEN_GRANTED = ['gd_send_sms', 'gd_enrollment_complete', 'gd_auth_succeed', 'seoobft'];
const logsOf = (f, type) => f.steps.filter((s) => s.kind === 'log' && s.type === type);
const stepsOf = (f, kind) => f.steps.filter((s) => s.kind === kind);

/** The tenant's Action's runs, once there are `n`, polled until a 10 s deadline. */
async function runsWhen(tenant, actionId, n) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await runs(tenant, actionId);
    if (r.runs.length >= n) return r;
    if (Date.now() > deadline) assert.fail(`the Action ran ${r.runs.length} times, not ${n}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** No secret value (four characters or more: shorter ones are left) appears in `text`. */
function assertNoSecretInClear(text, secrets, where) {
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(!text.includes(value), `${name}'s value is in clear in ${where}`);
  }
}

/**
 * Enrolls a new user's phone by SMS through the tenant's provider (which runs the
 * Action), then checks what every seed that sends must show: the message with its
 * code and links, the run in the timeline with the gd_send_sms log, the enrollment
 * confirmed with that code, and no secret in clear. Returns what it saw.
 */
async function enrollThroughTheAction(tenant, action, secrets) {
  const phone = newPhone();
  const token = await mfaToken(tenant, `pat-${phone.slice(1)}@example.com`);
  const assoc = await associate(tenant, token, phone);
  assert.equal(assoc.status, 200, `associate: ${JSON.stringify(assoc.body)}`);

  const message = await latestWaiting(server.base, phone);
  assert.ok(message, 'the message the Action sent is in the inbox');
  assert.equal(message.to, phone);
  assert.equal(message.tenant, tenant.id);
  assert.match(message.code, /^\d{6}$/);
  assert.equal(message.purpose, 'otp_enroll');
  assert.equal(typeof message.attributes.action_run_id, 'string', 'linked to the run');
  assert.equal(typeof message.attributes.transaction_id, 'string', 'linked to the flow');
  assert.equal(message.attributes.linked_by, 'x-phonebox-link');

  const txid = message.attributes.transaction_id;
  const timeline = await flowWhen(txid, (f) => logsOf(f, 'gd_send_sms').length > 0, 'a gd_send_sms log');
  assert.equal(timeline.tenant, tenant.id);
  assert.deepEqual(
    timeline.steps.map(kindOf),
    ['request', 'template', 'action_run', 'message', 'gd_send_sms'],
    'the steps, in the order they happened',
  );
  const [request] = stepsOf(timeline, 'request');
  assert.ok(request, 'the enrollment request is a step');
  assert.equal(request.purpose, 'otp_enroll');
  assert.equal(request.channel, 'sms');
  assert.equal(request.status, 'pending');
  const [template] = stepsOf(timeline, 'template');
  assert.ok(template, 'the rendered template is a step');
  assert.ok(template.text.includes(message.code), `the template carries the code: ${template.text}`);
  const runSteps = stepsOf(timeline, 'action_run');
  assert.equal(runSteps.length, 1, 'one run');
  const { run } = runSteps[0];
  assert.equal(run.id, message.attributes.action_run_id);
  assert.equal(run.action_id, action.id);
  assert.equal(run.transaction_id, txid);
  assert.equal(run.attempt, 1);
  assert.equal(run.outcome, 'success', `the run: ${JSON.stringify({ error: run.error, reason: run.reason, console: run.console })}`);
  assert.equal(run.error, null);
  assert.equal(typeof run.console, 'string', 'its console is recorded');
  assert.ok(!run.console.includes('circular dependency'), `the harness adds nothing to the console: ${run.console}`);
  assert.deepEqual(run.message_ids, [message.id]);
  assert.ok(run.requests_to_phonebox >= 1, 'its SDK call reached Phonebox');
  assert.deepEqual(
    stepsOf(timeline, 'message').map((s) => s.message.id),
    [message.id],
    'the message is a step',
  );
  const [sent] = logsOf(timeline, 'gd_send_sms');
  assert.equal(sent.log.details.provider, 'custom');
  assert.equal(sent.log.details.action_run_id, run.id);
  assert.equal(sent.log.details.message_id, message.id);

  const granted = await confirm(tenant, token, assoc.body.oob_code, message.code);
  assert.equal(granted.status, 200, `the code the Action sent confirms the enrollment: ${JSON.stringify(granted.body)}`);
  assert.equal(typeof granted.body.access_token, 'string');
  // The grant writes its logs before it answers.
  const after = await flow(server.base, txid);
  assert.equal(stepsOf(after, 'request')[0].status, 'verified');
  assert.deepEqual(
    after.steps.map(kindOf),
    ['request', 'template', 'action_run', 'message', ...SENT_THEN_GRANTED],
    "the code's check and the grant follow",
  );

  const kept = await runs(tenant, action.id);
  assert.deepEqual(kept.runs.map((r) => r.id), [run.id]);
  assertNoSecretInClear(kept.text, secrets, 'the runs');
  assertNoSecretInClear(JSON.stringify(runSteps), secrets, "the timeline's run");
  return { phone, message, run, timeline };
}

describe("Auth0's samples run as the tenant's custom phone provider", () => {
  test('the SNS send-phone-message Action (aws-sdk v2) publishes through Phonebox and its code confirms the enrollment', async () => {
    const tenant = await freshTenant(server.base);
    const folder = folderFor('sns-send-phone-message.seed.js', { deps: ['aws-sdk'] });
    const secrets = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAPHONEBOXTEST0001',
      AWS_SECRET_ACCESS_KEY: 'sns-secret-key-kept-out-of-the-run-4f2a',
    };
    const action = await configureAction(tenant, { trigger: 'send-phone-message', path: folder.file, secrets });
    assert.equal(action.in_use, false, 'configured, not yet the provider');
    await selectPhoneMessageHook(tenant, 'send-phone-message');

    const { message, run } = await enrollThroughTheAction(tenant, action, secrets);
    assert.equal(message.source, 'aws.sns');
    assert.equal(message.attributes.region, 'eu-west-1', 'the region the Action gave its client');
    assert.equal(message.text, run.event.message_options.text, 'published as the event carried it');
    assert.equal(run.trigger, 'send-phone-message');
    assert.equal(run.returned.MessageId, message.provider_message_id, "the handler returned SNS's answer");
    assert.deepEqual(run.warnings, []);
    assert.deepEqual(Object.keys(run.event.secrets).sort(), Object.keys(secrets).sort());
  });

  test("the Hook starter only calls back: the run succeeds, nothing reaches the inbox, and the event's code still confirms", async () => {
    const tenant = await freshTenant(server.base);
    const folder = folderFor('hook-starter.seed.js');
    const action = await configureAction(tenant, { trigger: 'hook', path: folder.file });
    await selectPhoneMessageHook(tenant, 'hook');

    const phone = newPhone();
    const token = await mfaToken(tenant, `starter-${phone.slice(1)}@example.com`);
    const assoc = await associate(tenant, token, phone);
    assert.equal(assoc.status, 200, `associate: ${JSON.stringify(assoc.body)}`);
    // A message the run sent would be captured before the run is kept.
    const [run] = (await runsWhen(tenant, action.id, 1)).runs;
    assert.equal(run.trigger, 'hook');
    assert.equal(run.outcome, 'success');
    assert.deepEqual(run.returned, {}, 'cb(null, {})');
    assert.equal(run.console, '', 'it prints nothing');
    assert.equal(run.requests_to_phonebox, 0);
    assert.deepEqual(run.message_ids, []);
    const none = await call(server.base, 'GET', `/emulator/v1/phones/${encodeURIComponent(phone)}/latest`);
    assert.equal(none.status, 404, 'no message to the phone');

    const timeline = await flowWhen(run.transaction_id, (f) => logsOf(f, 'gd_send_sms').length > 0, 'a gd_send_sms log');
    assert.deepEqual(timeline.steps.map(kindOf), ['request', 'template', 'action_run', 'gd_send_sms'], 'no message step');
    const [sent] = logsOf(timeline, 'gd_send_sms');
    assert.equal(sent.log.details.action_run_id, run.id, 'Auth0 counts the Hook returning as sent');
    assert.equal(sent.log.details.message_id, null);
    const code = run.event.context.code;
    assert.match(code, /^\d{6}$/, 'the Hook got the code in context.code');
    assert.ok(stepsOf(timeline, 'template')[0].text.includes(code));

    const granted = await confirm(tenant, token, assoc.body.oob_code, code);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    const after = await flow(server.base, run.transaction_id);
    assert.deepEqual(after.steps.map(kindOf), ['request', 'template', 'action_run', ...SENT_THEN_GRANTED]);
  });

  const twilioSecrets = () => ({
    TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
    TWILIO_AUTH_TOKEN: 'twilio-auth-token-kept-out-of-the-run-9c1e',
    TWILIO_PHONE_NUMBER: '+15005550006',
  });

  test('the Twilio Programmable SMS Hook sends through Phonebox with its context.webtask.secrets and its code confirms', async () => {
    const tenant = await freshTenant(server.base);
    const folder = folderFor('twilio-programmable-sms.hook.seed.js', { deps: ['twilio'] });
    const secrets = twilioSecrets();
    const action = await configureAction(tenant, { trigger: 'hook', path: folder.file, secrets });
    await selectPhoneMessageHook(tenant, 'hook');

    const { message, run } = await enrollThroughTheAction(tenant, action, secrets);
    assert.equal(message.source, 'twilio.messages');
    assert.equal(message.from, secrets.TWILIO_PHONE_NUMBER, 'from TWILIO_PHONE_NUMBER');
    assert.equal(message.provider_account, secrets.TWILIO_ACCOUNT_SID, 'as TWILIO_ACCOUNT_SID');
    assert.equal(message.text, run.event.text, 'the Hook sent the text it was given');
    assert.equal(run.trigger, 'hook');
    assert.deepEqual(run.returned, {}, 'cb(null, {})');
    assert.equal(run.event.context.webtask, undefined, 'the kept event holds no webtask secrets');
  });

  test('the Twilio Verify Hook starts a verification with the customCode, and that code confirms', async () => {
    const tenant = await freshTenant(server.base);
    const folder = folderFor('twilio-verify.hook.seed.js', { deps: ['twilio'] });
    const secrets = twilioSecrets();
    const action = await configureAction(tenant, { trigger: 'hook', path: folder.file, secrets });
    await selectPhoneMessageHook(tenant, 'hook');

    const { message, run } = await enrollThroughTheAction(tenant, action, secrets);
    assert.equal(message.source, 'twilio.verify');
    assert.equal(message.code, run.event.context.code, "Verify sent the Hook's customCode");
    assert.equal(message.provider_account, secrets.TWILIO_ACCOUNT_SID);
    assert.deepEqual(run.returned, {});
  });

  test("the custom-phone-provider sample posts to its SERVICE_URL, logs the Response, and is warned that event.secret throws in Auth0", async () => {
    const tenant = await freshTenant(server.base);
    const folder = folderFor('custom-phone-provider.seed.js');
    const secrets = {
      SERVICE_URL: `${server.base}/capture/auth0/custom-phone-provider`,
      TOKEN: 'provider-bearer-token-kept-out-of-the-run-51d7',
    };
    const action = await configureAction(tenant, { trigger: 'custom-phone-provider', path: folder.file, secrets });
    await selectUnifiedCustom(tenant);
    const shown = await call(server.base, 'GET', `/emulator/v1/tenants/${tenant.id}/actions/${action.id}`);
    assert.equal(shown.body.in_use, true, 'the Unified custom provider runs it');

    const { message, run } = await enrollThroughTheAction(tenant, action, secrets);
    assert.equal(message.source, 'auth0.custom-phone-provider');
    assert.equal(message.action, 'enrollment', "the sample's own action for otp_enroll");
    assert.equal(message.text, run.event.notification.as_text);
    assert.equal(run.trigger, 'custom-phone-provider');
    assert.match(run.console, /^Response \{/, 'console.log(response) is recorded');
    assert.match(run.console, /status: 201/);
    assert.deepEqual(run.warnings, [SECRET_WARNING]);
    assert.equal(run.returned, null, 'it returns nothing');
    assert.equal('secret' in run.event, false, 'the alias is not part of the event');
    assert.deepEqual(Object.keys(run.event.secrets).sort(), ['SERVICE_URL', 'TOKEN']);
    const full = await call(server.base, 'GET', `/emulator/v1/messages/${message.id}`);
    const auth = full.body.request.headers.find(([name]) => name === 'authorization');
    assert.deepEqual(auth, ['authorization', 'Bearer …51d7'], 'the bearer it sent, redacted');
  });
});

describe('an Action whose package is not installed', () => {
  test('a top-level require of a declared but missing package fails the run, naming `npm install <pkg>`', async () => {
    const tenant = await freshTenant(server.base);
    // package.json declares aws-sdk; node_modules does not hold it.
    const folder = folderFor('sns-send-phone-message.seed.js', { deps: ['aws-sdk'], linked: [] });
    const action = await configureAction(tenant, {
      trigger: 'send-phone-message',
      path: folder.file,
      secrets: { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAPHONEBOXTEST0002', AWS_SECRET_ACCESS_KEY: 'never-used-secret-8e3b' },
    });
    await selectPhoneMessageHook(tenant, 'send-phone-message');

    const phone = newPhone();
    const token = await mfaToken(tenant, `missing-${phone.slice(1)}@example.com`);
    const assoc = await associate(tenant, token, phone);
    assert.equal(assoc.status, 200, 'the enrollment starts: the failed send is logged, not answered');
    const [run] = (await runsWhen(tenant, action.id, 1)).runs;
    assert.equal(run.outcome, 'error');
    assert.ok(run.error.message.includes('run `npm install aws-sdk` there'), run.error.message);
    assert.ok(run.error.message.includes(folder.dir), `it names the folder: ${run.error.message}`);
    assert.ok(run.error.message.includes("Cannot find module 'aws-sdk'"), "Node's own error is kept");
    assert.deepEqual(run.message_ids, []);

    const timeline = await flowWhen(run.transaction_id, (f) => logsOf(f, 'gd_send_sms_failure').length > 0, 'a gd_send_sms_failure log');
    const [failed] = logsOf(timeline, 'gd_send_sms_failure');
    assert.equal(failed.log.details.action_run_id, run.id);
    assert.ok(String(failed.log.details.error).includes('npm install aws-sdk'), JSON.stringify(failed.log.details));
    assert.deepEqual(logsOf(timeline, 'gd_send_sms'), []);
  });

  test("a require inside the Hook's function of a missing package fails the run naming the npm install too", async () => {
    const tenant = await freshTenant(server.base);
    const folder = folderFor('twilio-programmable-sms.hook.seed.js', { deps: ['twilio'], linked: [] });
    const action = await configureAction(tenant, { trigger: 'hook', path: folder.file, secrets: twilioSecretsForMissing() });
    await selectPhoneMessageHook(tenant, 'hook');

    const phone = newPhone();
    const token = await mfaToken(tenant, `missing-hook-${phone.slice(1)}@example.com`);
    await associate(tenant, token, phone);
    const [run] = (await runsWhen(tenant, action.id, 1)).runs;
    assert.equal(run.outcome, 'error');
    // This require runs when the Hook is called, not when the file loads: the
    // hint is added all the same, before Node's own message.
    assert.match(run.error.message, /run `npm install twilio` there\. Cannot find module 'twilio'/);
  });
});

function twilioSecretsForMissing() {
  return { TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', TWILIO_AUTH_TOKEN: 'unused-token-2d4f', TWILIO_PHONE_NUMBER: '+15005550006' };
}

describe('the SDKs pointed at Phonebox without a line changed', () => {
  // Each Action is run once by "Send test message" for a fresh tenant: what it sent
  // must be captured here, linked to that run.
  async function runOnce(file, deps, secrets) {
    const tenant = await freshTenant(server.base);
    const f = folderFor(file, { deps });
    const action = await configureAction(tenant, { trigger: 'send-phone-message', path: f.file, secrets });
    const phone = newPhone();
    const r = await call(server.base, 'POST', `/emulator/v1/tenants/${tenant.id}/actions/${action.id}/test`, { json: { to: phone } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { run: r.body, phone };
  }

  test('the AWS SDK v3 reaches Phonebox by the AWS_ENDPOINT_URL_SNS it reads itself', async () => {
    const { run, phone } = await runOnce('sns-v3.action.js', ['@aws-sdk/client-sns'], {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAPHONEBOXV3TEST01',
      AWS_SECRET_ACCESS_KEY: 'aws-v3-secret-never-in-clear-1234',
    });
    assert.equal(run.outcome, 'success', JSON.stringify(run));
    // The SDK may warn about the node version first: kept as printed.
    assert.match(run.console, /(^|\n)published [0-9a-f-]{36}\n$/);
    assert.equal(run.message_ids.length, 1);
    const message = await latestWaiting(server.base, phone);
    assert.equal(message.id, run.message_ids[0]);
    assert.equal(message.source, 'aws.sns');
    assert.equal(message.attributes.action_run_id, run.id);
    assert.ok(!JSON.stringify(run).includes('aws-v3-secret-never-in-clear'));
  });

  test("the Vonage SDK reaches Phonebox through the harness's patch of its server client", async () => {
    const { run, phone } = await runOnce('vonage.action.js', ['@vonage/server-sdk'], {
      VONAGE_API_KEY: 'phonebox-key',
      VONAGE_API_SECRET: 'vonage-secret-never-in-clear-5678',
    });
    assert.equal(run.outcome, 'success', JSON.stringify(run));
    assert.equal(run.console, 'sent 0\n');
    assert.equal(run.message_ids.length, 1);
    const message = await latestWaiting(server.base, phone);
    assert.equal(message.id, run.message_ids[0]);
    assert.match(message.source, /^vonage/);
    assert.equal(message.attributes.action_run_id, run.id);
  });
});
