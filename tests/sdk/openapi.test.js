// The OpenAPI document of /emulator/v1 against a real `phonebox serve`: it is a
// valid OpenAPI 3.1 document, it is the checked-in docs/openapi.json, the router
// allows exactly the methods it documents, and every documented operation,
// called as planned below, answers a documented status with a body its schema
// accepts (no field left undocumented).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const SwaggerParser = require('@apidevtools/swagger-parser');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const { startPhonebox } = require('./lib/server');

const CHECKED_IN = path.resolve(__dirname, '..', '..', 'docs', 'openapi.json');
const PHONE = '+15555550100';
const ME = '+447700900123';
const TENANT = 'oapi';
const WEBHOOK_SECRET = 'whsec_cGhvbmVib3gtdGVzdC13ZWJob29rLXNlY3JldCEh';

// Operations the walk does not call, and why. Nothing else may be left out.
const NOT_CALLED = {
  // Endless: its content type is checked instead (below).
  streamEvents: 'a Server-Sent Events stream never ends',
  // Not JSON: its content type and exposition format are checked instead (below).
  getMetrics: 'Prometheus text, not a JSON body',
};

let server;
let hook;
let doc;
const ctx = {};

before(async () => {
  server = await startPhonebox();
  // Where the real forward goes: a local receiver that takes everything.
  hook = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
  ctx.hook = `http://127.0.0.1:${hook.address().port}/hooks/sms`;
  // The Action the walk configures and runs: it only prints.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-walk-action-'));
  ctx.actionFile = path.join(folder, 'action.js');
  fs.writeFileSync(ctx.actionFile, "exports.onExecuteCustomPhoneProvider = async (event) => { console.log(event.notification.recipient); };\n");
  const res = await fetch(`${server.base}/emulator/v1/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  doc = await res.json();
  // A message to walk with, captured as an Auth0 Action sends it.
  const seed = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '..', 'data', 'auth0', 'custom-phone-provider-seed.json'), 'utf8'),
  );
  const captured = await fetch(`${server.base}/capture/auth0/custom-phone-provider`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...seed, recipient: PHONE }),
  });
  assert.equal(captured.status, 201);
  ctx.message = (await captured.json()).id;
});

after(async () => {
  hook?.close();
  if (server) assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

/** Every documented operation: `{ method, path, op }`. */
function operations() {
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[method]) ops.push({ method, path: p, op: item[method] });
    }
  }
  return ops;
}

test('the served document is the checked-in docs/openapi.json', () => {
  assert.deepEqual(doc, JSON.parse(fs.readFileSync(CHECKED_IN, 'utf8')));
});

test('the document is valid OpenAPI 3.1', async () => {
  assert.equal(doc.openapi.slice(0, 4), '3.1.');
  await SwaggerParser.validate(structuredClone(doc));
  const ids = operations().map(({ op }) => op.operationId);
  assert.equal(new Set(ids).size, ids.length, `operationIds are unique: ${ids}`);
});

test('the validator refuses a broken document', async () => {
  const broken = structuredClone(doc);
  delete broken.paths['/emulator/v1/health'].get.responses;
  broken.paths['/emulator/v1/health'].get.parameters = [{ name: 'x', in: 'nowhere' }];
  await assert.rejects(SwaggerParser.validate(broken));
});

/** A request with a method fetch refuses to send (TRACE), to read the router's `Allow`. */
function allowed(urlPath) {
  return new Promise((resolve, reject) => {
    const url = new URL(server.base + urlPath);
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'TRACE', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow || '' }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('the router allows exactly the methods each documented path lists', async () => {
  for (const [p, item] of Object.entries(doc.paths)) {
    const concrete = p.replace(/\{[^}]+\}/g, 'x');
    const { status, allow } = await allowed(concrete);
    assert.equal(status, 405, `${p}: TRACE is not routed`);
    const routed = allow.split(',').map((m) => m.trim().toLowerCase()).filter((m) => m && m !== 'head');
    const documented = Object.keys(item).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k));
    assert.deepEqual(routed.sort(), documented.sort(), `${p}: Allow: ${allow}`);
  }
});

test('the event stream answers as documented', async () => {
  const op = doc.paths['/emulator/v1/events'].get;
  assert.ok(op.responses['200'].content['text/event-stream'], 'documented as text/event-stream');
  const abort = new AbortController();
  const res = await fetch(`${server.base}/emulator/v1/events?tenant=${TENANT}`, { signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  abort.abort();
});

test('/metrics answers OpenMetrics text, as documented', async () => {
  const op = doc.paths['/metrics'].get;
  const res = await fetch(`${server.base}/metrics`);
  assert.equal(res.status, 200);
  const documented = Object.keys(op.responses['200'].content);
  assert.deepEqual(documented, [res.headers.get('content-type')]);
  const text = await res.text();
  assert.match(text, /^# TYPE phonebox_messages_captured counter$/m);
  assert.ok(text.endsWith('# EOF\n'), 'ends with the EOF marker');
});

// Each operation as it is called, in this order (creations before reads,
// deletions last). `path` fills the path's parameters; `expect` the status
// this call must get (one of the documented ones).
const PLAN = [
  ['getHealth', {}],
  ['getOpenApi', {}],
  ['listMessages', { query: { to: PHONE, limit: '10', source: 'auth0.custom-phone-provider' } }],
  ['getMessage', { path: () => ({ id: ctx.message }) }],
  ['listPhones', { query: { limit: '10' } }],
  ['getLatestMessage', { path: { number: PHONE }, query: { wait: '1s' } }],
  ['markPhoneRead', { path: { number: PHONE }, body: () => ({ up_to: ctx.message }) }],
  ['getCapture', {}],
  ['getRetention', {}],
  ['setRetention', { body: { max_messages: 1000000, max_age: '30d' } }],
  // And off again, so nothing else in the walk is pruned.
  ['setRetention', { body: { max_messages: null, max_age: null } }],
  ['setCapture', { body: { paused: false } }],
  ['listTenants', {}],
  ['createTenant', { body: { id: TENANT, friendly_name: 'OpenAPI walk' }, expect: 201 }],
  ['getTenant', { path: { id: TENANT } }],
  ['patchTenant', { path: { id: TENANT }, body: { friendly_name: 'OpenAPI walk, renamed' } }],
  ['createClient', { path: { id: TENANT }, body: { name: 'walk app' }, expect: 201 }],
  ['listClients', { path: { id: TENANT } }],
  ['createUser', { path: { id: TENANT }, body: { email: 'walk@example.com', password: 'Walk-the-d0cument!' }, expect: 201 }],
  ['listUsers', { path: { id: TENANT } }],
  ['createAction', { path: { id: TENANT }, body: () => ({ trigger: 'custom-phone-provider', path: ctx.actionFile, secrets: { GREETING: 'hello from the walk' } }), expect: 201, keep: (b) => { ctx.action = b.id; } }],
  ['listActions', { path: { id: TENANT } }],
  ['getAction', { path: () => ({ id: TENANT, action: ctx.action }) }],
  ['updateAction', { path: () => ({ id: TENANT, action: ctx.action }), body: { name: 'walk action', secrets: { GREETING: null } } }],
  ['testAction', { path: () => ({ id: TENANT, action: ctx.action }), body: { to: PHONE }, keep: (b) => { ctx.flow = b.transaction_id; } }],
  ['listActionRuns', { path: () => ({ id: TENANT, action: ctx.action }) }],
  ['getFlow', { path: () => ({ transaction_id: ctx.flow }) }],
  ['deleteAction', { path: () => ({ id: TENANT, action: ctx.action }), expect: 204 }],
  ['resetTenant', { path: { id: TENANT }, expect: 204 }],
  ['getLimits', { query: { tenant: TENANT } }],
  ['getClock', { query: { tenant: TENANT } }],
  ['advanceClock', { query: { tenant: TENANT }, body: { by: '1m' } }],
  ['resetClock', { query: { tenant: TENANT } }],
  ['setChaosRule', { path: { provider: 'twilio' }, body: { error: '21611', probability: 0.5 } }],
  ['listChaosRules', {}],
  ['getChaosRule', { path: { provider: 'twilio' } }],
  ['deleteChaosRule', { path: { provider: 'twilio' }, expect: 204 }],
  ['clearChaosRules', { expect: 204 }],
  ['setAllowlist', { body: { numbers: [ME] } }],
  ['setMyPhones', { body: { phones: [{ label: 'mine', number: ME }] } }],
  ['setProvider', { path: { via: 'webhook' }, body: () => ({ url: ctx.hook, secret: WEBHOOK_SECRET }) }],
  ['getForwarding', {}],
  ['createForwardRule', { body: { pattern: '+15555550199', via: 'webhook', to: ME }, expect: 201, keep: (b) => { ctx.rule = b.id; } }],
  ['listForwardRules', {}],
  ['updateForwardRule', { path: () => ({ id: ctx.rule }), body: { pattern: '+1555555019*', via: 'webhook', to: ME, enabled: false } }],
  ['deleteForwardRule', { path: () => ({ id: ctx.rule }), expect: 204 }],
  ['forwardMessage', { path: () => ({ id: ctx.message }), body: { via: 'webhook', to: ME, dry_run: true } }],
  // The same operation again, for real: queued (202), and the forward to read next.
  ['forwardMessage', { path: () => ({ id: ctx.message }), body: { via: 'webhook', to: ME }, expect: 202, keep: (b) => { ctx.forward = b.id; } }],
  ['listMessageForwards', { path: () => ({ id: ctx.message }) }],
  ['getForward', { path: () => ({ id: ctx.forward }) }],
  ['deleteProvider', { path: { via: 'webhook' }, expect: 204 }],
  ['deleteMessage', { path: () => ({ id: ctx.message }), expect: 204 }],
  ['deletePhoneMessages', { path: { number: PHONE } }],
  ['deleteMessages', { query: { tenant: TENANT } }],
  ['deleteTenant', { path: { id: TENANT }, expect: 204 }],
];

function schemaValidator() {
  // `strictTuples` off: utoipa closes a tuple with `items: false` but gives no minItems.
  const ajv = new Ajv2020({ strict: true, strictTuples: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own numeric formats: type and minimum already say what they mean.
  for (const f of ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float', 'double']) {
    ajv.addFormat(f, { type: 'number', validate: () => true });
  }
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  const rewrite = (value) => JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"urn:phonebox:schemas#/$defs/'));
  ajv.addSchema({ $id: 'urn:phonebox:schemas', $defs: rewrite(doc.components.schemas) });
  return (schema) => ajv.compile(rewrite(schema));
}

/** A `$ref` followed to its schema. */
function resolve(schema) {
  while (schema && schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()];
  return schema;
}

/** The paths of fields in `value` that `schema` does not document. */
function undocumented(schema, value, at = '$') {
  schema = resolve(schema);
  if (!schema || value === null || typeof value !== 'object') return [];
  for (const key of ['oneOf', 'anyOf']) {
    if (schema[key]) {
      // A tagged union's branch is the one whose tag (a one-value enum) the value carries.
      const branches = schema[key].map(resolve).filter((s) => s.type !== 'null');
      const tagged = branches.find((s) =>
        Object.entries(s.properties || {}).some(([k, p]) => p.enum?.length === 1 && value[k] === p.enum[0]));
      return undocumented(tagged || branches[0], value, at);
    }
  }
  if (Array.isArray(value)) {
    if (schema.prefixItems) return value.flatMap((v, i) => undocumented(schema.prefixItems[i], v, `${at}[${i}]`));
    return value.flatMap((v, i) => undocumented(schema.items, v, `${at}[${i}]`));
  }
  const properties = {};
  for (const part of schema.allOf ? schema.allOf.map(resolve) : [schema]) Object.assign(properties, part.properties);
  const extra = schema.additionalProperties;
  const found = [];
  for (const [key, v] of Object.entries(value)) {
    if (key in properties) found.push(...undocumented(properties[key], v, `${at}.${key}`));
    else if (extra && typeof extra === 'object') found.push(...undocumented(extra, v, `${at}.${key}`));
    // A free-form object (`{}` or `type: object` alone) documents nothing more.
    else if (Object.keys(properties).length || extra === false) found.push(`${at}.${key}`);
  }
  return found;
}

function url(pathTemplate, params, query) {
  const filled = pathTemplate.replace(/\{([^}]+)\}/g, (_, name) => {
    assert.ok(name in params, `${pathTemplate}: no value for {${name}}`);
    return encodeURIComponent(String(params[name]));
  });
  const q = new URLSearchParams(query || {}).toString();
  return server.base + filled + (q ? `?${q}` : '');
}

/** Checks one answer against the operation's documented responses. */
async function check(label, op, res, compile) {
  const text = await res.text();
  const documented = op.responses[String(res.status)];
  assert.ok(documented, `${label}: ${res.status} is not documented (${Object.keys(op.responses)}): ${text}`);
  const content = documented.content;
  if (!content) {
    assert.equal(text, '', `${label}: ${res.status} is documented without a body`);
    return null;
  }
  const type = (res.headers.get('content-type') || '').split(';')[0].trim();
  assert.ok(content[type], `${label}: ${res.status} came as ${type}, documented as ${Object.keys(content)}`);
  const body = JSON.parse(text);
  const schema = content[type].schema;
  const validate = compile(schema);
  assert.ok(validate(body), `${label}: ${res.status} body does not match its schema: ${JSON.stringify(validate.errors, null, 1)}\n${text}`);
  assert.deepEqual(undocumented(schema, body), [], `${label}: fields the schema leaves out`);
  return body;
}

test('every documented operation answers as documented', async () => {
  const compile = schemaValidator();
  const byId = new Map(operations().map((o) => [o.op.operationId, o]));
  const planned = new Set(PLAN.map(([id]) => id));
  for (const id of byId.keys()) {
    assert.ok(planned.has(id) || id in NOT_CALLED, `${id} is documented but neither planned nor listed in NOT_CALLED`);
  }
  for (const [id, call] of PLAN) {
    const found = byId.get(id);
    assert.ok(found, `${id} is planned but not documented`);
    const { method, path: template, op } = found;
    const value = (v) => (typeof v === 'function' ? v() : v);
    const body = value(call.body);
    const res = await fetch(url(template, value(call.path) || {}, call.query), {
      method: method.toUpperCase(),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const label = `${id} (${method.toUpperCase()} ${template})`;
    const status = res.status;
    const answer = await check(label, op, res, compile);
    assert.equal(status, call.expect || 200, `${label}: ${JSON.stringify(answer)}`);
    call.keep?.(answer);
  }
});

// Reads that answer an unknown id with an empty answer rather than an error.
const EMPTY_FOR_UNKNOWN = {
  listMessageForwards: 'lists the forwards of that id: none',
};

test('an unknown id answers a documented error in the error shape', async () => {
  const compile = schemaValidator();
  // Reads and deletes only: nothing here may change anything.
  for (const { method, path: template, op } of operations()) {
    if (!['get', 'delete'].includes(method) || !template.includes('{')) continue;
    const params = new Proxy({}, { has: () => true, get: () => 'no-such-thing' });
    const res = await fetch(url(template, params), { method: method.toUpperCase() });
    const label = `${op.operationId} (${method.toUpperCase()} ${template}) of an unknown id`;
    const wanted = op.operationId in EMPTY_FOR_UNKNOWN ? [200] : [400, 404];
    assert.ok(wanted.includes(res.status), `${label}: ${res.status}`);
    await check(label, op, res, compile);
  }
});

test('the field check sees a field the schema leaves out', () => {
  const health = { $ref: '#/components/schemas/Health' };
  const body = { status: 'ok', version: '0', writable: true, read_only: false, held_waits: 0, paused: false, live_views: 0, notice: null };
  assert.deepEqual(undocumented(health, body), []);
  assert.deepEqual(undocumented(health, { ...body, surprise: 1 }), ['$.surprise']);
  const page = { $ref: '#/components/schemas/MessagesPage' };
  assert.deepEqual(undocumented(page, { messages: [{ id: 'x', extra: true }], next_cursor: null }), ['$.messages[0].extra']);
});

test('/docs is a page of this server\'s own that loads nothing from elsewhere', async () => {
  const page = await fetch(`${server.base}/docs`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
  const html = await page.text();
  assert.match(html, /<script src="\/docs\/viewer.js"><\/script>/);
  const script = await fetch(`${server.base}/docs/viewer.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type'), /^text\/javascript/);
  const js = await script.text();
  assert.match(js, /fetch\("\/emulator\/v1\/openapi.json"\)/);
  for (const [name, text] of [['page', html], ['script', js]]) {
    assert.doesNotMatch(text, /https?:\/\//, `the ${name} names no other site`);
    assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `the ${name} writes no HTML from strings`);
  }
});
