// Auth0's official Python SDK (`auth0-python` 4.x, pinned in python/requirements.txt,
// installed into tests/sdk/.venv by `make test-sdk`) against a real Phonebox: each
// test runs one scenario of python/auth0_sdk.py, which asserts on what the SDK
// returns and prints a JSON summary; the checks here tie that to the server's state.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { startPhonebox } = require('./lib/server');
const { createClient } = require('./lib/auth0-sdk');

const PYTHON = process.env.PHONEBOX_SDK_PYTHON || path.join(__dirname, '.venv', 'bin', 'python');
const SCRIPT = path.join(__dirname, 'python', 'auth0_sdk.py');

let server;
let app;
before(async () => {
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: run \`make test-sdk\` (or \`make deps\`), which makes the venv`);
  }
  server = await startPhonebox();
  app = await createClient(server.base, { name: 'Python SDK', clientId: 'sdk-py' });
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

/** Runs one scenario; resolves with its JSON summary, or fails with its traceback. */
function scenario(name) {
  const env = {
    ...process.env,
    PHONEBOX_BASE: server.base,
    PHONEBOX_CLIENT_ID: app.client_id,
    PHONEBOX_CLIENT_SECRET: app.client_secret,
    // requests would honour a proxy from the environment: everything stays on 127.0.0.1.
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, name], { env, cwd: __dirname, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`auth0_sdk.py ${name} failed (${err.code ?? err.signal}):\n${stderr || stdout}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()));
      } catch {
        reject(new Error(`auth0_sdk.py ${name} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The tenant's log events matching `q`, straight from the Management API. */
async function logs(q) {
  const res = await fetch(`${server.base}/api/v2/logs?q=${encodeURIComponent(q)}`, {
    headers: { authorization: 'Bearer any' },
  });
  assert.equal(res.status, 200);
  return res.json();
}

test('GetToken.login (password-realm, password): mfa_required with an mfa_token', async () => {
  const out = await scenario('password-mfa');
  const mfar = await logs(`type:mfar AND user_name:"${out.user}"`);
  assert.equal(mfar.length, out.mfa_tokens, 'each login logged mfar');
  assert.ok(mfar.every((e) => e.client_id === 'sdk-py'));
});

test("GetToken.client_credentials: the client's Management API token; a wrong secret refused", async () => {
  const out = await scenario('client-credentials');
  assert.equal(out.sub, 'sdk-py@clients');
  const seccft = await logs('type:seccft AND client_id:"sdk-py"');
  assert.ok(seccft.length >= 1, 'seccft logged');
  const feccft = await logs('type:feccft AND client_id:"sdk-py"');
  assert.ok(feccft.length >= 1, 'the wrong secret logged feccft');
});

test('Guardian.all_factors and Logs.search (q, include_totals, from/take)', async () => {
  const out = await scenario('guardian-logs');
  assert.ok(out.factors.includes('sms'));
  assert.equal(out.mfar, 2);
});

test('Passwordless.sms, passwordless_login with the inbox code, ID token verified over http', async () => {
  const out = await scenario('passwordless');
  assert.match(out.sub, /^sms\|/);
  const [s] = await logs(`type:s AND user_id:"${out.sub}"`);
  assert.ok(s, 'the sign-in was logged as s');
  assert.equal(s.client_id, 'sdk-py');
});

test('Users.list by phone_number (v3), Users.get, Users.get_authentication_methods', async () => {
  const out = await scenario('users');
  assert.match(out.user_id, /^sms\|/);
});

test('Users.list with the SDK default include_totals=true answers a page with totals', async () => {
  const out = await scenario('users-include-totals');
  assert.match(out.user_id, /^sms\|/);
});
