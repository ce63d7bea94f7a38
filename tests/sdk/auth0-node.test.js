// Auth0's official Node SDK (`auth0` v4, unmodified but for its fetch: see
// lib/auth0-sdk.js) against a real Phonebox: the Authentication API (password and
// client-credentials grants, SMS passwordless) and the Management API (Guardian,
// users, logs), as an app's own code and test scripts would call them.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { AuthApiError, ManagementApiError, IdTokenValidatorError } = require('auth0');

const { startPhonebox, latest } = require('./lib/server');
const {
  authClient,
  mgmtClient,
  managementAudience,
  createClient,
  createTenant,
  jwtClaims,
} = require('./lib/auth0-sdk');

let server;
let app; // the default tenant's client, created through /emulator/v1 so its secret is checked
let auth;
let mgmt;
before(async () => {
  server = await startPhonebox();
  app = await createClient(server.base, { name: 'SDK', clientId: 'sdk-app' });
  auth = authClient(server.base, { clientId: app.client_id, clientSecret: app.client_secret }).client;
  mgmt = mgmtClient(server.base, { clientId: app.client_id, clientSecret: app.client_secret }).client;
});
after(async () => {
  assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

/** Expects `promise` to reject with the SDK's AuthApiError, and returns it. */
async function authError(promise) {
  let caught;
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof AuthApiError, `an AuthApiError, not ${err?.name}: ${err?.message}`);
    caught = err;
    return true;
  });
  return caught;
}

/** The code the newest message to `phone` carries. */
async function codeFor(phone) {
  const m = await latest(server.base, phone);
  assert.match(m.code ?? '', /^\d{6}$/, `a six-digit code in ${JSON.stringify(m.text)}`);
  return m.code;
}

test('oauth.passwordGrant (password and password-realm) answers mfa_required with an mfa_token', async () => {
  const plain = await authError(auth.oauth.passwordGrant({ username: 'node-mfa@example.com', password: 'pw-1' }));
  assert.equal(plain.statusCode, 403);
  assert.equal(plain.error, 'mfa_required');
  assert.equal(plain.error_description, 'Multifactor authentication required');
  const body = JSON.parse(plain.body);
  assert.equal(typeof body.mfa_token, 'string');
  assert.ok(body.mfa_token.length > 20, 'a real mfa_token');
  assert.deepEqual(body.mfa_requirements, { enroll: [{ type: 'phone' }] });

  const realm = await authError(
    auth.oauth.passwordGrant({
      username: 'node-mfa@example.com',
      password: 'pw-1',
      realm: 'Username-Password-Authentication',
    }),
  );
  assert.equal(realm.statusCode, 403);
  assert.equal(realm.error, 'mfa_required');
  const second = JSON.parse(realm.body);
  assert.equal(typeof second.mfa_token, 'string');
  assert.notEqual(second.mfa_token, body.mfa_token, 'each login gets its own mfa_token');
});

test('oauth.clientCredentialsGrant: a Management API token for the client, and a wrong secret refused', async () => {
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: managementAudience(server.base) });
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.expires_in, 86400);
  assert.equal(data.id_token, undefined);
  assert.match(data.scope, /(^| )read:logs( |$)/);
  assert.match(data.scope, /(^| )read:guardian_factors( |$)/);
  const claims = jwtClaims(data.access_token);
  assert.equal(claims.sub, 'sdk-app@clients');
  assert.equal(claims.azp, 'sdk-app');
  assert.equal(claims.gty, 'client-credentials');
  assert.equal(claims.iss, `${server.base}/`);
  assert.equal(claims.exp - claims.iat, 86400);

  const wrong = authClient(server.base, { clientId: app.client_id, clientSecret: 'not-the-secret' }).client;
  const err = await authError(wrong.oauth.clientCredentialsGrant({ audience: managementAudience(server.base) }));
  assert.equal(err.statusCode, 401);
  assert.equal(err.error, 'invalid_client');
});

test('ManagementClient (token by client credentials) reads the Guardian factors', async () => {
  const { client, calls } = mgmtClient(server.base, { clientId: app.client_id, clientSecret: app.client_secret });
  const { data: factors } = await client.guardian.getFactors();
  assert.ok(Array.isArray(factors));
  const sms = factors.find((f) => f.name === 'sms');
  assert.ok(sms, `an sms factor in ${JSON.stringify(factors)}`);
  assert.equal(sms.enabled, true, 'phone MFA is on by default');
  assert.ok(factors.some((f) => f.name === 'phone'));
  assert.deepEqual(
    calls.map((c) => [c.method, new URL(c.url).pathname, c.status]),
    [
      ['POST', '/oauth/token', 200],
      ['GET', '/api/v2/guardian/factors', 200],
    ],
    'the SDK fetched its own token first',
  );
});

test('outside permissive mode the Management API takes the SDK-fetched token and refuses others', async () => {
  await createTenant(server.base, 'strict', { permissive: false });
  const strictApp = await createClient(server.base, { tenant: 'strict', name: 'Strict SDK' });
  const good = mgmtClient(server.base, {
    tenant: 'strict',
    clientId: strictApp.client_id,
    clientSecret: strictApp.client_secret,
  });
  const { data: factors } = await good.client.guardian.getFactors();
  assert.ok(factors.some((f) => f.name === 'sms'));
  const token = good.calls.find((c) => c.url.endsWith('/t/strict/oauth/token')).body.access_token;
  assert.equal(jwtClaims(token).iss, `${server.base}/t/strict/`);

  const bad = mgmtClient(server.base, { tenant: 'strict', token: 'not-a-token' }).client;
  await assert.rejects(bad.guardian.getFactors(), (err) => {
    assert.ok(err instanceof ManagementApiError, `a ManagementApiError, not ${err?.name}`);
    assert.equal(err.statusCode, 401);
    assert.equal(err.errorCode, 'invalid_token');
    return true;
  });
  // The default tenant's token is not the strict tenant's.
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: managementAudience(server.base) });
  const foreign = mgmtClient(server.base, { tenant: 'strict', token: data.access_token }).client;
  await assert.rejects(foreign.guardian.getFactors(), (err) => err.statusCode === 401);
});

test('logs.getAll finds mfar and seccft by q, and pages by checkpoint (from/take)', async () => {
  await mgmt.guardian.getFactors(); // the client's token is fetched (seccft) before the logins below
  const user = 'node-logs@example.com';
  await authError(auth.oauth.passwordGrant({ username: user, password: 'pw-2' }));
  await authError(auth.oauth.passwordGrant({ username: user, password: 'pw-2' }));

  const { data: mfar } = await mgmt.logs.getAll({ q: `type:mfar AND user_name:"${user}"` });
  assert.ok(Array.isArray(mfar));
  assert.equal(mfar.length, 2, JSON.stringify(mfar));
  for (const e of mfar) {
    assert.equal(e.type, 'mfar');
    assert.equal(e.user_name, user);
    assert.equal(e.client_id, 'sdk-app');
    assert.match(e.user_id, /^auth0\|/);
    assert.deepEqual(e.details.mfa_requirements, { enroll: [{ type: 'phone' }] });
  }
  const { data: seccft } = await mgmt.logs.getAll({ q: 'type:seccft' });
  assert.ok(seccft.length >= 1);
  assert.ok(seccft.every((e) => e.type === 'seccft'));
  assert.ok(seccft.some((e) => e.client_id === 'sdk-app'), 'the SDK token fetch was logged');

  // Newest first by default; from/take go forward from a log_id.
  const [newer, older] = mfar;
  assert.ok(older.log_id < newer.log_id);
  const { data: next } = await mgmt.logs.getAll({ from: older.log_id, take: 1 });
  assert.equal(next.length, 1);
  assert.ok(next[0].log_id > older.log_id);
  const { data: rest } = await mgmt.logs.getAll({ from: older.log_id, take: 100 });
  assert.ok(rest.some((e) => e.log_id === newer.log_id));
  assert.ok(rest.every((e) => e.log_id > older.log_id));
  assert.deepEqual(rest.map((e) => e.log_id), [...rest.map((e) => e.log_id)].sort());
});

test('passwordless.sendSMS then loginWithSMS with the code from the inbox', async () => {
  const phone = '+15555550141';
  const { client, calls } = authClient(server.base, { clientId: app.client_id, clientSecret: app.client_secret });
  const sent = await client.passwordless.sendSMS({ phone_number: phone });
  assert.equal(sent.status, 200);
  // sendSMS resolves with no body; what Phonebox answered, as the fetch saw it:
  const start = calls.find((c) => c.url.endsWith('/passwordless/start'));
  assert.equal(start.body.phone_number, phone);
  assert.equal(start.body.phone_verified, false);
  assert.ok('request_language' in start.body); // Node's fetch sends Accept-Language: *
  assert.equal(typeof start.body._id, 'string');
  const code = await codeFor(phone);

  const wrong = code === '000000' ? '111111' : '000000';
  const err = await authError(client.passwordless.loginWithSMS({ phone_number: phone, code: wrong }));
  assert.equal(err.statusCode, 403);
  assert.equal(err.error, 'invalid_grant');

  // A scope without `openid` (with none, Phonebox, like Auth0, grants `openid profile
  // email`): the answer has no id_token, so the SDK's validator (https only, see
  // lib/auth0-sdk.js) is not run.
  const { data } = await client.passwordless.loginWithSMS({ phone_number: phone, code, scope: 'profile' });
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.id_token, undefined);
  assert.equal(data.scope, 'profile');
  assert.equal(typeof data.expires_in, 'number');
  const claims = jwtClaims(data.access_token);
  assert.match(claims.sub, /^sms\|/);
  assert.equal(claims.iss, `${server.base}/`);
  assert.equal(claims.azp, 'sdk-app');

  // The code is spent: the same one again is refused.
  const again = await authError(client.passwordless.loginWithSMS({ phone_number: phone, code, scope: 'profile' }));
  assert.equal(again.error, 'invalid_grant');

  const { data: cs } = await mgmt.logs.getAll({ q: `type:cs AND user_name:"${phone}"` });
  assert.equal(cs.length, 1, 'the code sent was logged as cs');
  assert.equal(cs[0].type, 'cs');
  assert.equal(cs[0].client_id, 'sdk-app');
  const { data: s } = await mgmt.logs.getAll({ q: `type:s AND user_name:"${phone}"` });
  assert.equal(s.length, 1, 'the sign-in was logged as s');
  assert.equal(s[0].user_id, claims.sub);
});

test("passwordless log events name Auth0's sms connection and the user who signed in", async () => {
  const phone = '+15555550144';
  await auth.passwordless.sendSMS({ phone_number: phone });
  await auth.passwordless.sendSMS({ phone_number: phone }); // "resend code"
  const { data } = await auth.passwordless.loginWithSMS({ phone_number: phone, code: await codeFor(phone), scope: 'profile' });
  const sub = jwtClaims(data.access_token).sub;
  const { data: events } = await mgmt.logs.getAll({ q: `user_name:"${phone}"` });
  assert.deepEqual(events.map((e) => e.type).sort(), ['cs', 'cs', 's']);
  const wrong = [];
  for (const e of events) {
    // Auth0 logs SMS passwordless under the `sms` connection.
    if (e.connection !== 'sms') wrong.push(`${e.type}.connection is ${e.connection}`);
    // The cs event may name no user (a first login creates it), but not another one.
    if (e.user_id && e.user_id !== sub) wrong.push(`${e.type}.user_id is ${e.user_id}, the user is ${sub}`);
  }
  assert.deepEqual(wrong, []);
});

test('loginWithSMS with scope openid: Phonebox signs in, the SDK rejects its http issuer', async () => {
  const phone = '+15555550142';
  const { client, calls } = authClient(server.base, { clientId: app.client_id, clientSecret: app.client_secret });
  await client.passwordless.sendSMS({ phone_number: phone });
  const code = await codeFor(phone);
  await assert.rejects(
    client.passwordless.loginWithSMS({ phone_number: phone, code, scope: 'openid' }),
    (err) => {
      assert.ok(err instanceof IdTokenValidatorError, `the SDK's validator, not ${err?.name}: ${err?.message}`);
      assert.match(err.message, /Issuer \(iss\) claim mismatch/);
      assert.ok(err.message.includes(`expected "https://${new URL(server.base).host}/"`));
      assert.ok(err.message.includes(`found "${server.base}/"`));
      return true;
    },
  );
  const token = calls.find((c) => c.url.endsWith('/oauth/token'));
  assert.equal(token.status, 200, 'Phonebox accepted the code');
  assert.equal(typeof token.body.id_token, 'string');
  assert.equal(jwtClaims(token.body.id_token).aud, 'sdk-app');
});

test('users.getAll by phone_number, users.get and users.getAuthenticationMethods', async () => {
  const phone = '+15555550143';
  await auth.passwordless.sendSMS({ phone_number: phone });
  const { data: tokens } = await auth.passwordless.loginWithSMS({
    phone_number: phone,
    code: await codeFor(phone),
    scope: 'profile',
  });
  const sub = jwtClaims(tokens.access_token).sub;

  const { data: found } = await mgmt.users.getAll({ q: `phone_number:"${phone}"`, search_engine: 'v3' });
  assert.ok(Array.isArray(found), `an array, not ${JSON.stringify(found)}`);
  assert.equal(found.length, 1, JSON.stringify(found));
  const [user] = found;
  assert.match(user.user_id, /^sms\|.+/);
  assert.equal(user.user_id, sub, 'the user who signed in');
  assert.equal(user.phone_number, phone);
  assert.equal(user.identities.length, 1);
  const [identity] = user.identities;
  assert.equal(identity.connection, 'sms');
  assert.equal(identity.provider, 'sms');
  assert.equal(identity.user_id, user.user_id.slice('sms|'.length));
  assert.equal(identity.isSocial, false);

  const { data: none } = await mgmt.users.getAll({ q: 'phone_number:"+15555550199"', search_engine: 'v3' });
  assert.deepEqual(none, []);

  const { data: one } = await mgmt.users.get({ id: user.user_id });
  assert.equal(one.user_id, user.user_id);
  assert.equal(one.phone_number, phone);

  const { data: methods } = await mgmt.users.getAuthenticationMethods({ id: user.user_id });
  assert.ok(Array.isArray(methods), `an array, not ${JSON.stringify(methods)}`);
});
