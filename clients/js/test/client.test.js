// The client's calls against a real `phonebox serve` (the built dist/, imported by
// the package's own name, as a user imports it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Phonebox, PhoneboxError, NoMessageError, Auth0Error, freshPhone } from '@phonebox/client';
import { startPhonebox, untilHeldWaits } from './lib/server.js';

let server;
let phonebox;
before(async () => {
  server = await startPhonebox();
  phonebox = new Phonebox({ url: server.base });
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

/** A password login in `tenant` and the association of `phone`: the enrollment SMS is sent. */
async function enroll(tenant, email, phone) {
  const base = phonebox.tenantUrl(tenant);
  const login = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: email, password: 'pw', client_id: 'my-app' }),
  });
  const { mfa_token: mfaToken } = await login.json();
  const associated = await fetch(`${base}/mfa/associate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mfaToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ authenticator_types: ['oob'], oob_channels: ['sms'], phone_number: phone }),
  });
  assert.equal(associated.status, 200, await associated.clone().text());
  return associated.json();
}

/** A message straight into the default tenant's inbox, as an Action would post it. */
async function capture(to, text) {
  const res = await fetch(`${server.base}/capture/auth0/custom-phone-provider`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ recipient: to, text }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

test('waitForCode answers a code already there at once, and with after only a newer one', async () => {
  const phone = freshPhone();
  const first = await capture(phone, 'Your code is 111111');
  assert.equal(await phonebox.waitForCode({ to: phone, timeout: 0 }), '111111');
  const newer = phonebox.waitForCode({ to: phone, after: first.id, timeout: 10_000 });
  await untilHeldWaits(server.base, 1);
  await capture(phone, 'Your code is 222222');
  assert.equal(await newer, '222222');
  assert.equal((await phonebox.latest({ to: phone })).code, '222222');
});

test('a wait that sees nothing rejects with NoMessageError naming the phone and the tenant', async () => {
  const phone = freshPhone();
  assert.equal(await phonebox.latest({ to: phone }), null);
  const err = await phonebox.waitForCode({ to: phone, tenant: 'nobody', timeout: 300 }).catch((e) => e);
  assert.ok(err instanceof NoMessageError, String(err));
  assert.ok(err instanceof PhoneboxError);
  assert.equal(err.status, 404);
  assert.equal(err.code, 'no_message');
  assert.equal(err.failure, undefined);
  assert.match(err.message, new RegExp(`no message to \\${phone} \\(tenant nobody\\) within 300 ms$`));
});

test("a wait narrowed to a tenant takes that tenant's code, not another's on the same phone", async () => {
  const phone = freshPhone();
  const [mine, other] = [await phonebox.createTenant(), await phonebox.createTenant()];
  const scoped = phonebox.forTenant(mine.id);
  const waiting = scoped.waitForMessage({ to: phone, timeout: 10_000 });
  await untilHeldWaits(server.base, 1);
  await enroll(other.id, 'same@example.com', phone);
  await enroll(mine.id, 'same@example.com', phone);
  const got = await waiting;
  assert.equal(got.tenant, mine.id);
  assert.equal(got.purpose, 'otp_enroll');
  assert.equal((await phonebox.latest({ to: phone, tenant: other.id })).tenant, other.id);
  await phonebox.deleteTenant(mine.id);
  await phonebox.deleteTenant(other.id);
});

test('a send that failed is named in the NoMessageError', async () => {
  const tenant = await phonebox.createTenant();
  const patched = await fetch(`${server.base}/emulator/v1/tenants/${tenant.id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { limits: { builtin_lifetime: 0 } } }),
  });
  assert.equal(patched.status, 200);
  const phone = freshPhone();
  await enroll(tenant.id, 'capped@example.com', phone);
  const err = await phonebox.waitForCode({ to: phone, tenant: tenant.id, timeout: 200 }).catch((e) => e);
  assert.ok(err instanceof NoMessageError, String(err));
  assert.equal(err.failure?.type, 'gd_send_sms_failure', JSON.stringify(err.failure));
  assert.match(err.message, /: the last send to it failed: .*built-in phone provider.* \(gd_send_sms_failure\)$/);
  await phonebox.deleteTenant(tenant.id);
});

test('messages lists newest first, narrowed by tenant and user; clear deletes only what it names', async () => {
  const tenant = await phonebox.createTenant();
  const scoped = phonebox.forTenant(tenant.id);
  const [a, b] = [freshPhone(), freshPhone()];
  await enroll(tenant.id, 'ann@example.com', a);
  await enroll(tenant.id, 'bob@example.com', b);
  await capture(a, 'Your code is 333333');
  const all = await scoped.messages();
  assert.deepEqual(all.messages.map((m) => m.to), [b, a], 'the default tenant capture is left out');
  assert.equal(all.next_cursor, null);
  const ann = all.messages[1].user_id;
  const anns = await scoped.messages({ userId: ann });
  assert.deepEqual(anns.messages.map((m) => m.user_id), [ann]);
  const first = await scoped.messages({ limit: 1 });
  assert.equal(first.messages[0].to, b);
  const rest = await scoped.messages({ limit: 1, before: first.next_cursor });
  assert.equal(rest.messages[0].to, a);
  assert.equal(await scoped.clear({ to: b }), 1);
  assert.equal(await scoped.clear(), 1);
  assert.deepEqual((await scoped.messages()).messages, []);
  assert.equal((await phonebox.latest({ to: a })).code, '333333', "the default tenant's message stays");
  await phonebox.deleteTenant(tenant.id);
});

test('createTenant makes a fresh tenant or the one asked for; deleteTenant drops it with its messages', async () => {
  const fresh = await phonebox.createTenant();
  assert.match(fresh.id, /^t-[a-z0-9]{10}$/);
  assert.equal(fresh.domain, `${server.base}/t/${fresh.id}`);
  assert.equal(phonebox.tenantUrl(fresh.id), fresh.domain);
  assert.equal(phonebox.tenantUrl('default'), server.base);
  const named = await phonebox.createTenant({ id: 'acme-js', friendlyName: 'Acme' });
  assert.equal(named.id, 'acme-js');
  assert.equal(named.friendly_name, 'Acme');
  const taken = await phonebox.createTenant({ id: 'acme-js' }).catch((e) => e);
  assert.ok(taken instanceof PhoneboxError);
  assert.equal(taken.status, 409);
  const phone = freshPhone();
  await enroll(fresh.id, 'gone@example.com', phone);
  await phonebox.deleteTenant(fresh.id);
  assert.deepEqual((await phonebox.messages({ tenant: fresh.id })).messages, []);
  const again = await phonebox.deleteTenant(fresh.id).catch((e) => e);
  assert.equal(again.status, 404);
  assert.equal(again.code, 'not_found');
  await phonebox.deleteTenant(named.id);
});

test("resetTenant puts a tenant's counters back to zero", async () => {
  const tenant = await phonebox.createTenant();
  await enroll(tenant.id, 'count@example.com', freshPhone());
  const used = async () =>
    (await (await fetch(`${server.base}/emulator/v1/limits?tenant=${tenant.id}`)).json()).builtin_provider.used;
  assert.equal(await used(), 1);
  await phonebox.resetTenant(tenant.id);
  assert.equal(await used(), 0);
  await phonebox.deleteTenant(tenant.id);
});

test('clock.advance moves the emulated clock, clock.reset brings it back to real time', async () => {
  const start = await phonebox.clock.now();
  assert.equal(start.offset_ms, 0);
  const moved = await phonebox.clock.advance('1h');
  assert.equal(moved.offset_ms, 3_600_000);
  assert.equal((await phonebox.clock.advance(90_000)).offset_ms, 3_690_000, 'a number is ms');
  assert.equal((await phonebox.clock.now()).offset, '1h 1m 30s');
  const back = await phonebox.clock.reset();
  assert.equal(back.offset_ms, 0);
  const bad = await phonebox.clock.advance('soon').catch((e) => e);
  assert.equal(bad.status, 400);
  assert.equal(bad.field, 'by');
});

test("a tenant's clock (the scoped client's by default) moves alone, on top of the global clock", async () => {
  const tenant = await phonebox.createTenant();
  const scoped = phonebox.forTenant(tenant.id);
  try {
    assert.equal((await scoped.clock.advance('1h')).offset_ms, 3_600_000);
    assert.equal((await phonebox.clock.now()).offset_ms, 0, 'the global clock stays');
    assert.equal((await phonebox.clock.now({ tenant: tenant.id })).offset_ms, 3_600_000);
    await phonebox.clock.advance('1h');
    assert.equal((await scoped.clock.now()).offset_ms, 7_200_000, 'the global clock moves every tenant');
    assert.equal((await scoped.clock.reset()).offset_ms, 3_600_000, 'back to the global clock');
    const unknown = await phonebox.clock.now({ tenant: 'no-such-tenant' }).catch((e) => e);
    assert.equal(unknown.status, 404);
  } finally {
    await phonebox.clock.reset();
    await phonebox.deleteTenant(tenant.id);
  }
});

test('chaos.set makes a provider answer its own error; chaos.clear removes the rule', async () => {
  const rule = await phonebox.chaos.set('twilio', { error: '21611', times: 1, latencyMs: 1 });
  assert.deepEqual(rule, { error: '21611', probability: 1, latency_ms: 1, times: 1 });
  assert.deepEqual((await phonebox.chaos.list()).rules, { twilio: rule });
  const send = () =>
    fetch(`${server.base}/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('AC00000000000000000000000000000001:token').toString('base64')}` },
      body: new URLSearchParams({ To: freshPhone(), From: '+15005550006', Body: 'Your code is 424242' }),
    });
  const failed = await send();
  assert.equal(failed.status, 400);
  assert.equal((await failed.json()).code, 21611);
  await phonebox.chaos.set('sns', { error: 'Throttling', probability: 0.5 });
  await phonebox.chaos.clear('sns');
  assert.deepEqual((await phonebox.chaos.list()).rules, {}, 'times: 1 spent the twilio rule; sns cleared');
  await phonebox.chaos.set('vonage', { latencyMs: 5 });
  await phonebox.chaos.clear();
  assert.deepEqual((await phonebox.chaos.list()).rules, {});
  const bad = await phonebox.chaos.set('twilio', { probability: 2 }).catch((e) => e);
  assert.equal(bad.status, 400);
  assert.equal(bad.field, 'probability');
});

test('mfaSignIn enrolls a new user\'s phone, then challenges it at the next sign-in', async () => {
  const tenant = await phonebox.createTenant();
  const scoped = phonebox.forTenant(tenant.id);
  const phone = freshPhone();
  const first = await scoped.mfaSignIn({ email: 'pat@example.com', phone });
  assert.equal(first.enrolled, true);
  assert.equal(first.message.tenant, tenant.id);
  assert.equal(first.message.purpose, 'otp_enroll');
  assert.equal(first.message.user_id, first.userId);
  assert.equal(first.code, first.message.code);
  assert.equal(first.recoveryCodes.length, 1);
  assert.equal(first.tokens.token_type, 'Bearer');
  const claims = JSON.parse(Buffer.from(first.tokens.access_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, first.userId);
  assert.equal(claims.iss, `${tenant.domain}/`);

  const second = await scoped.mfaSignIn({ email: 'PAT@example.com', phone });
  assert.equal(second.enrolled, false);
  assert.equal(second.message.purpose, 'otp_verify');
  assert.equal(second.userId, first.userId);
  assert.notEqual(second.message.id, first.message.id, 'the new code, not the enrollment one');
  assert.equal(second.recoveryCodes, undefined);
  await phonebox.deleteTenant(tenant.id);
});

test("mfaSignIn reports a tenant that asks for no MFA, and the tenant's Auth0 error", async () => {
  const tenant = await phonebox.createTenant();
  const scoped = phonebox.forTenant(tenant.id);
  const policy = await fetch(`${tenant.domain}/api/v2/guardian/policies`, {
    method: 'PUT',
    headers: { authorization: 'Bearer any', 'content-type': 'application/json' },
    body: '[]',
  });
  assert.equal(policy.status, 200);
  const none = await scoped.mfaSignIn({ email: 'lee@example.com', phone: freshPhone() }).catch((e) => e);
  assert.ok(none instanceof PhoneboxError, String(none));
  assert.equal(none.code, 'mfa_not_required');
  const strict = await fetch(`${server.base}/emulator/v1/tenants/${tenant.id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { permissive: false } }),
  });
  assert.equal(strict.status, 200);
  const unknown = await scoped.mfaSignIn({ email: 'nobody@example.com', phone: freshPhone() }).catch((e) => e);
  assert.ok(unknown instanceof Auth0Error, String(unknown));
  assert.equal(unknown.status, 403);
  assert.equal(unknown.error, 'invalid_grant');
  assert.match(unknown.message, /^403 invalid_grant: /);
  await phonebox.deleteTenant(tenant.id);
});

test('freshPhone gives distinct +1 555 numbers that Phonebox accepts and libphonenumber calls invalid', async () => {
  const phones = Array.from({ length: 1000 }, () => freshPhone());
  assert.equal(new Set(phones).size, phones.length);
  for (const phone of phones) assert.match(phone, /^\+1555\d{7}$/);
  await capture(phones[0], 'Your code is 444444');
  const summary = await (await fetch(`${server.base}/emulator/v1/phones`)).json();
  const listed = summary.phones.find((p) => p.number === phones[0]);
  assert.equal(listed.valid, false);
});

test('a refused parameter names its field; an unreachable server says where it looked', async () => {
  const bad = await phonebox.waitForCode({ to: 'not a phone', timeout: 0 }).catch((e) => e);
  assert.ok(bad instanceof PhoneboxError);
  assert.equal(bad.status, 400);
  assert.equal(bad.field, 'number');
  const longWait = await phonebox.latest({ to: freshPhone(), after: 'yesterday' }).catch((e) => e);
  assert.equal(longWait.field, 'after');
  // Port 0: nothing can listen there, so the connection is refused whatever else runs.
  const gone = 'http://127.0.0.1:0';
  const err = await new Phonebox({ url: gone }).messages().catch((e) => e);
  assert.ok(err instanceof PhoneboxError);
  assert.equal(err.code, 'unreachable');
  assert.equal(err.status, 0);
  assert.ok(err.message.startsWith(`cannot reach Phonebox at ${gone}: `), err.message);
});

test('the URL comes from the option, else PHONEBOX_URL, else 127.0.0.1:7676', () => {
  const saved = process.env.PHONEBOX_URL;
  try {
    delete process.env.PHONEBOX_URL;
    assert.equal(new Phonebox().url, 'http://127.0.0.1:7676');
    process.env.PHONEBOX_URL = 'http://localhost:9999/';
    assert.equal(new Phonebox().url, 'http://localhost:9999');
    assert.equal(new Phonebox({ url: 'http://127.0.0.1:1234' }).url, 'http://127.0.0.1:1234');
  } finally {
    if (saved === undefined) delete process.env.PHONEBOX_URL;
    else process.env.PHONEBOX_URL = saved;
  }
});

test('a wait longer than a minute is held as several requests of at most a minute', async (t) => {
  t.mock.timers.enable({ apis: ['Date'] });
  const waits = [];
  const fakeFetch = async (url) => {
    const wait = new URL(url).searchParams.get('wait');
    waits.push(wait);
    t.mock.timers.tick(Number.parseInt(wait, 10));
    return new Response(JSON.stringify({ error: 'no_message', message: 'none' }), { status: 404 });
  };
  const client = new Phonebox({ url: 'http://127.0.0.1:1', fetch: fakeFetch });
  const err = await client.waitForCode({ to: '+15550000000', timeout: 150_000 }).catch((e) => e);
  assert.deepEqual(waits, ['60000ms', '60000ms', '30000ms']);
  assert.ok(err instanceof NoMessageError);
  assert.match(err.message, /within 150000 ms$/);
});
