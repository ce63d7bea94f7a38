// Auth0's official Node SDK (`auth0` v4), unmodified, pointed at a Phonebox tenant.
//
// v4's AuthenticationClient and ManagementClient build every URL as
// `https://${domain}`; both take a `fetch` option, so the one change is a fetch that
// sends `https://127.0.0.1:<port>/…` to `http://127.0.0.1:<port>/…`. The domain stays
// `127.0.0.1:<port>` (or `127.0.0.1:<port>/t/<tenant>`), so the Host header, and with
// it the issuer Phonebox signs, are the server's own address.
//
// What this cannot reach: the SDK's ID-token validator (`auth/id-token-validator.js`)
// runs on every grant answer that carries an `id_token`; it expects the issuer
// `https://${domain}/` (Phonebox, reached over http, issues `http://${domain}/`) and
// fetches the JWKS with jose's own HTTPS client, not through `fetch`. So a grant with
// `scope: 'openid'` always rejects in the SDK, whatever `idTokenSigningAlg` says
// (HS256 would skip the JWKS, but the issuer check comes first and Phonebox signs
// RS256). The tests ask for no `openid` scope, and one test pins that rejection.
'use strict';

const { AuthenticationClient, ManagementClient } = require('auth0');

/** The SDK's `domain` for a Phonebox at `base`: its host, and `/t/<tenant>` for a tenant
 * other than the default. */
function domainOf(base, tenant) {
  const { host } = new URL(base);
  return tenant && tenant !== 'default' ? `${host}/t/${tenant}` : host;
}

/**
 * A fetch that sends the SDK's `https://<host>/…` to Phonebox over plain HTTP and
 * refuses anything else (nothing may leave 127.0.0.1). `calls` records each request's
 * method, URL and status, and `bodies` the JSON answers, for the tests to inspect.
 */
function phoneboxFetch(base) {
  const { host } = new URL(base);
  const from = `https://${host}/`;
  const calls = [];
  const local = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : String(input.url ?? input);
    if (!url.startsWith(from)) {
      throw new Error(`the SDK asked for ${url}, which is not this Phonebox (${from})`);
    }
    const target = `http://${host}/${url.slice(from.length)}`;
    const res = await fetch(target, init);
    const call = { method: init.method ?? 'GET', url: target, status: res.status, body: undefined };
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      call.body = await res.clone().json().catch(() => undefined);
    }
    calls.push(call);
    return res;
  };
  local.calls = calls;
  return local;
}

/** An AuthenticationClient for the tenant at `base` (`tenant` optional). */
function authClient(base, { tenant, ...options } = {}) {
  const fetch = phoneboxFetch(base);
  const client = new AuthenticationClient({ domain: domainOf(base, tenant), fetch, ...options });
  return { client, calls: fetch.calls };
}

/** A ManagementClient for the tenant at `base`: with `clientId`/`clientSecret` it gets
 * its token by the client-credentials grant (through the same fetch), or takes `token`. */
function mgmtClient(base, { tenant, ...options } = {}) {
  const fetch = phoneboxFetch(base);
  const client = new ManagementClient({ domain: domainOf(base, tenant), fetch, ...options });
  return { client, calls: fetch.calls };
}

/** What scripts written for Auth0 send as the Management API's audience. */
function managementAudience(base, tenant) {
  return `https://${domainOf(base, tenant)}/api/v2/`;
}

async function emulator(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A tenant client created through `/emulator/v1`: `{ client_id, client_secret, ... }`. */
function createClient(base, { tenant = 'default', name = 'SDK', clientId } = {}) {
  return emulator(base, 'POST', `/emulator/v1/tenants/${tenant}/clients`, { name, client_id: clientId });
}

/** A second tenant; `settings` is merged in with PATCH (e.g. `{ permissive: false }`). */
async function createTenant(base, id, settings) {
  await emulator(base, 'POST', '/emulator/v1/tenants', { id, friendly_name: id });
  if (settings) await emulator(base, 'PATCH', `/emulator/v1/tenants/${id}`, { settings });
}

/** A JWT's claims, unverified (the tests check the signature elsewhere). */
function jwtClaims(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${token}`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

module.exports = {
  domainOf,
  phoneboxFetch,
  authClient,
  mgmtClient,
  managementAudience,
  createClient,
  createTenant,
  jwtClaims,
};
