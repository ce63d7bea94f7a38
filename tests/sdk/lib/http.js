// Plain HTTP to a running Phonebox, shared by the suites that speak to it directly.
'use strict';

/**
 * One HTTP call to Phonebox at `base` (e.g. `http://127.0.0.1:1234`): `json` is sent as
 * a JSON body, else `form` as a urlencoded one (entries whose value is `undefined` left
 * out), and `token` as a Bearer authorization. Resolves with `{ status, body, headers }`,
 * the body JSON-parsed when it is JSON (the text otherwise, `undefined` when empty).
 */
async function call(base, method, url, { json, form, token } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const clean = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined));
    body = new URLSearchParams(clean).toString();
  }
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${url}`, { method, headers, body });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

module.exports = { call };
