// Running Auth0's own Action and Hook samples in Phonebox's runner: a folder laid out
// as a user's Action folder, the Emulator API calls that configure it for a tenant,
// and an MFA enrollment over plain HTTP that makes the tenant send through it.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { call } = require('./http');

const SEEDS = path.join(__dirname, '..', 'actions');
const INSTALLED = path.join(__dirname, '..', 'node_modules');
const GRANT_MFA_OOB = 'http://auth0.com/oauth/grant-type/mfa-oob';

/**
 * A temporary Action folder holding `seed` (a file of tests/sdk/actions, copied byte
 * for byte) and a package.json declaring `deps` (package names). Each package in
 * `linked` (all of `deps` unless given) is put in the folder's node_modules as a
 * symlink to tests/sdk/node_modules/<pkg>: `make test` installs the official packages
 * there once, and a symlink lets every folder use that very install, unmodified,
 * without an `npm install` (and the network) per test. Node resolves a package's own
 * dependencies from its real path, so they are found in tests/sdk/node_modules too.
 * Returns `{ dir, file, remove() }`.
 */
function actionFolder(seed, { deps = [], linked = deps } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-action-'));
  const dependencies = {};
  for (const pkg of deps) {
    const installed = path.join(INSTALLED, pkg, 'package.json');
    dependencies[pkg] = fs.existsSync(installed)
      ? `^${JSON.parse(fs.readFileSync(installed, 'utf8')).version}`
      : '*';
  }
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: path.basename(dir).toLowerCase(), private: true, dependencies }, null, 2)}\n`,
  );
  for (const pkg of linked) {
    const target = path.join(dir, 'node_modules', pkg);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(path.join(INSTALLED, pkg), target, 'dir');
  }
  const file = path.join(dir, path.basename(seed));
  fs.copyFileSync(path.join(SEEDS, seed), file);
  return { dir, file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `call`, which must answer `status`; its body. */
async function expect(status, base, method, url, opts) {
  const r = await call(base, method, url, opts);
  if (r.status !== status) {
    throw new Error(`${method} ${url}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body;
}

let seq = 0;
/** A name no other test uses. */
function unique(prefix) {
  seq += 1;
  return `${prefix}-${process.pid}-${seq}-${Math.floor(Math.random() * 1e6)}`;
}

/** A phone number no other test uses. */
function newPhone() {
  return `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
}

/**
 * A fresh tenant (so tests do not share routes or Actions) with an app, and a
 * Management API token got the documented way (client credentials). Returns
 * `{ base, id, prefix, client, mgmtToken }`; `prefix` is `/t/<id>`.
 */
async function freshTenant(base) {
  const id = unique('actions').toLowerCase();
  await expect(201, base, 'POST', '/emulator/v1/tenants', { json: { id, friendly_name: id } });
  const client = await expect(201, base, 'POST', `/emulator/v1/tenants/${id}/clients`, {
    json: { name: 'Action runner suite', client_id: unique('app') },
  });
  const prefix = `/t/${id}`;
  const { host } = new URL(base);
  const tok = await expect(200, base, 'POST', `${prefix}/oauth/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: `https://${host}${prefix}/api/v2/`,
    },
  });
  return { base, id, prefix, client, mgmtToken: tok.access_token };
}

/** A Management API v2 call in the tenant. */
function mgmt(tenant, method, url, json) {
  return call(tenant.base, method, `${tenant.prefix}/api/v2${url}`, { json, token: tenant.mgmtToken });
}

/** Configures an Action for the tenant (POST /emulator/v1/tenants/{id}/actions). */
function configureAction(tenant, body) {
  return expect(201, tenant.base, 'POST', `/emulator/v1/tenants/${tenant.id}/actions`, { json: body });
}

/** Makes Guardian's `phone-message-hook` the tenant's provider, posting `format`
 * ("send-phone-message" or "hook"), which runs the Action for that trigger. */
async function selectPhoneMessageHook(tenant, format) {
  const put = await mgmt(tenant, 'PUT', '/guardian/factors/phone/selected-provider', { provider: 'phone-message-hook' });
  if (put.status !== 200) throw new Error(`selected-provider: ${put.status} ${JSON.stringify(put.body)}`);
  await expect(200, tenant.base, 'PATCH', `/emulator/v1/tenants/${tenant.id}`, {
    json: { settings: { custom: { format } } },
  });
}

/** Makes an enabled Unified Phone provider named `custom` the tenant's provider,
 * which runs its custom-phone-provider Action. */
async function selectUnifiedCustom(tenant) {
  const r = await mgmt(tenant, 'POST', '/branding/phone/providers', {
    name: 'custom',
    configuration: { delivery_methods: ['text', 'voice'] },
    credentials: {},
  });
  if (r.status !== 201) throw new Error(`branding/phone/providers: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A user's password login that MFA stops: the `mfa_token`. */
async function mfaToken(tenant, username) {
  const r = await call(tenant.base, 'POST', `${tenant.prefix}/oauth/token`, {
    form: {
      grant_type: 'password',
      username,
      password: 'Correct-Horse-9',
      client_id: tenant.client.client_id,
      client_secret: tenant.client.client_secret,
    },
  });
  if (r.body?.error !== 'mfa_required') {
    throw new Error(`expected mfa_required, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body.mfa_token;
}

/** Starts an SMS (or voice) enrollment of `phone`: the /mfa/associate answer. */
async function associate(tenant, token, phone, channel = 'sms') {
  return call(tenant.base, 'POST', `${tenant.prefix}/mfa/associate`, {
    token,
    json: {
      client_id: tenant.client.client_id,
      client_secret: tenant.client.client_secret,
      authenticator_types: ['oob'],
      oob_channels: [channel],
      phone_number: phone,
    },
  });
}

/** Confirms the enrollment with the code the phone got (the mfa-oob grant). */
function confirm(tenant, token, oobCode, bindingCode) {
  return call(tenant.base, 'POST', `${tenant.prefix}/oauth/token`, {
    form: {
      grant_type: GRANT_MFA_OOB,
      client_id: tenant.client.client_id,
      client_secret: tenant.client.client_secret,
      mfa_token: token,
      oob_code: oobCode,
      binding_code: bindingCode,
    },
  });
}

/** The newest message to `phone`, waiting up to 10 s for one (null when none came). */
async function latestWaiting(base, phone) {
  const r = await call(base, 'GET', `/emulator/v1/phones/${encodeURIComponent(phone)}/latest?wait=10s`);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`latest ${phone}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The flow's timeline (GET /emulator/v1/flows/{transaction_id}). */
function flow(base, transactionId) {
  return expect(200, base, 'GET', `/emulator/v1/flows/${encodeURIComponent(transactionId)}`);
}

/** The Action's runs, newest first, as JSON text and parsed. */
async function runs(tenant, actionId) {
  const res = await fetch(`${tenant.base}/emulator/v1/tenants/${tenant.id}/actions/${actionId}/runs`);
  const text = await res.text();
  if (!res.ok) throw new Error(`runs: ${res.status} ${text}`);
  return { text, runs: JSON.parse(text).runs };
}

module.exports = {
  actionFolder,
  call,
  expect,
  unique,
  newPhone,
  freshTenant,
  mgmt,
  configureAction,
  selectPhoneMessageHook,
  selectUnifiedCustom,
  mfaToken,
  associate,
  confirm,
  latestWaiting,
  flow,
  runs,
};
