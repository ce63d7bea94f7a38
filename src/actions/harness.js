// Phonebox's Action harness: runs one user Action or Hook as Auth0 would, then
// reports how it ended on stdout behind a marker only the parent knows.
// Shipped inside the phonebox binary and run with `node -e`; the request arrives
// on stdin as one JSON document. Written for any Node that can parse it, so that
// a Node too old is reported, not crashed on.
// One function scope: `node -e` runs a classic script, whose top-level names
// every module it loads could otherwise read (the marker, the secrets).
(function () {
'use strict';


const realStdoutWrite = process.stdout.write.bind(process.stdout);
const Module = require('module');
const path = require('path');
const fs = require('fs');
const util = require('util');
const http = require('http');

function readStdin() {
  const chunks = [];
  let fd = 0;
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const request = JSON.parse(readStdin());
// Phonebox's figures (src/actions/mod.rs), so they are written once.
const MIN_NODE_MAJOR = request.min_node_major;
const MAX_REASON = request.max_reason_chars;
const marker = '\u0000phonebox-result-' + request.nonce + ':';
delete request.nonce;

let reported = false;
const warnings = [];
// Requests this run made to Phonebox (each carried the flow's link).
let sentToPhonebox = 0;

function report(result) {
  if (reported) return;
  result.requests_to_phonebox = sentToPhonebox;
  reported = true;
  result.warnings = warnings;
  result.cache = cacheWrites();
  result.node_version = process.versions.node;
  let line;
  try {
    // A lone surrogate (a string cut mid-character) would make the line unreadable.
    line = JSON.stringify(result, (key, value) =>
      typeof value === 'string' && typeof value.toWellFormed === 'function' ? value.toWellFormed() : value);
  } catch (e) {
    line = JSON.stringify({ outcome: 'error', error: { message: 'the result could not be written: ' + e.message }, warnings: warnings, cache: [] });
  }
  realStdoutWrite('\n' + marker + line + '\n', () => process.exit(0));
}

// A bare require of a package the Action's folder lacks says which install to run,
// whether it failed while loading or inside the handler.
function withInstallHint(err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && !err.phoneboxHint) {
    const missing = /Cannot find module '([^']+)'/.exec(String(err.message));
    const name = missing && missing[1];
    if (name && !name.startsWith('.') && !path.isAbsolute(name)) {
      const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0];
      err.message = "The Action requires '" + pkg + "', which is not installed in " + path.dirname(request.file) + ': run `npm install ' + pkg + '` there. ' + err.message;
      err.phoneboxHint = true;
    }
  }
  return err;
}

function errorView(err) {
  withInstallHint(err);
  if (err instanceof Error) {
    return { name: err.name, message: String(err.message), stack: String(err.stack || '') };
  }
  let message;
  try {
    message = typeof err === 'string' ? err : util.inspect(err, { depth: 4 });
  } catch (e) {
    message = String(err);
  }
  return { name: 'Error', message: message, stack: '' };
}

let cacheWrites = () => [];
const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_NODE_MAJOR) {
  report({ outcome: 'node_too_old', error: { message: 'Node.js ' + process.versions.node + ' is too old: Phonebox runs Actions with Node.js ' + MIN_NODE_MAJOR + ' or later' } });
} else {
  main();
}

function main() {

// console.* goes to stdout in the order it was called, as one stream.
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[level] = function () {
    realStdoutWrite(util.format.apply(util, arguments) + '\n');
  };
}

// ---- endpoint overrides: the provider SDKs reach this Phonebox ----
const base = request.phonebox_base.replace(/\/+$/, '');
const baseUrl = new URL(base);
const linkHeader = request.link_header;

function isPhonebox(host, port) {
  const p = String(port || 80);
  return (host === baseUrl.hostname || host === 'localhost' || host === '127.0.0.1') && p === (baseUrl.port || '80');
}

// Every request the Action makes to this Phonebox carries the flow's link, so
// what it captures is tied to this run.
const realHttpRequest = http.request;
function linkedRequest(original) {
  return function () {
    const req = original.apply(this, arguments);
    try {
      // ClientRequest sets Host from the target before anything is sent.
      const target = String(req.getHeader('host') || '');
      const colon = target.lastIndexOf(':');
      const host = colon > 0 && !target.endsWith(']') ? target.slice(0, colon) : target;
      const port = colon > 0 && !target.endsWith(']') ? target.slice(colon + 1) : '80';
      if (linkHeader && !req.headersSent && isPhonebox(host, port)) {
        req.setHeader('x-phonebox-link', linkHeader);
        sentToPhonebox += 1;
      }
    } catch (e) {
      // never break the user's request over a link
    }
    return req;
  };
}
http.request = linkedRequest(realHttpRequest);
http.get = function () {
  const req = http.request.apply(this, arguments);
  req.end();
  return req;
};
if (typeof globalThis.fetch === 'function') {
  const realFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    try {
      const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
      if (linkHeader && url.protocol === 'http:' && isPhonebox(url.hostname, url.port || '80')) {
        const headers = new Headers((init && init.headers) || (typeof input === 'object' && !(input instanceof URL) ? input.headers : undefined));
        headers.set('x-phonebox-link', linkHeader);
        sentToPhonebox += 1;
        init = Object.assign({}, init, { headers: headers });
      }
    } catch (e) {
      // an unparsable URL fails in fetch itself, as written
    }
    return realFetch.call(this, input, init);
  };
}

const PROVIDER_HOSTS = /^https:\/\/([a-z0-9-]+\.)*(twilio\.com|nexmo\.com|vonage\.com)(:443)?(?=\/|$)/i;
function toPhonebox(url) {
  return typeof url === 'string' ? url.replace(PROVIDER_HOSTS, base) : url;
}

// SDKs that honour no environment variable for their host are pointed here when
// they load: twilio (its RequestClient), aws-sdk v2 (its SNS endpoint), Vonage
// (its server client). The AWS SDK v3 reads AWS_ENDPOINT_URL(_SNS) itself.
const patched = new Set();
function patchLoaded(filename, exports) {
  if (!filename || patched.has(filename) || !exports) return;
  const name = filename.split(path.sep).join('/');
  if (/\/twilio\/lib\/base\/RequestClient\.js$/.test(name) && exports.prototype && exports.prototype.request) {
    patched.add(filename);
    const original = exports.prototype.request;
    exports.prototype.request = function (opts) {
      if (opts && opts.uri) opts = Object.assign({}, opts, { uri: toPhonebox(opts.uri) });
      return original.call(this, opts);
    };
  } else if (/\/aws-sdk\/lib\/aws\.js$/.test(name) || (/\/aws-sdk\/lib\/core\.js$/.test(name) && Object.prototype.hasOwnProperty.call(exports, 'config'))) {
    if (exports.config && typeof exports.config.update === 'function') {
      patched.add(filename);
      exports.config.sns = Object.assign({}, exports.config.sns, { endpoint: base });
    }
  } else if (/\/@vonage\/server-client\/dist\/cjs\/(index|client)\.js$/.test(name) && exports.Client && exports.Client.prototype.sendRequest) {
    patched.add(filename);
    const original = exports.Client.prototype.sendRequest;
    exports.Client.prototype.sendRequest = function (req) {
      if (req && req.url) req.url = toPhonebox(req.url);
      return original.call(this, req);
    };
  }
}
const realLoad = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = realLoad.apply(this, arguments);
  try {
    patchLoaded(Module._resolveFilename(request, parent, isMain), exports);
  } catch (e) {
    // built-ins and odd specifiers have no file to patch
  }
  return exports;
};

// ---- api.cache: the Action's records, kept by the parent between runs ----
const cache = (function () {
  const limits = request.cache_limits;
  const records = new Map();
  const changed = new Map();
  for (const [key, record] of Object.entries(request.cache || {})) records.set(key, record);
  let sideEffects = 0;
  function live(key) {
    const record = records.get(key);
    if (record && record.expires_at <= Date.now() + request.clock_offset_ms) {
      return undefined;
    }
    return record;
  }
  return {
    api: {
      get(key) {
        const record = live(String(key));
        return record ? { value: record.value, expires_at: record.expires_at } : undefined;
      },
      set(key, value, options) {
        key = String(key);
        value = String(value);
        if (++sideEffects > limits.max_side_effects) return { type: 'error', code: 'MaxSideEffectsExceeded' };
        if (Buffer.byteLength(key) > limits.max_key_bytes) return { type: 'error', code: 'CacheKeySizeExceeded' };
        if (Buffer.byteLength(value) > limits.max_value_bytes) return { type: 'error', code: 'CacheValueSizeExceeded' };
        const now = Date.now() + request.clock_offset_ms;
        let expires = now + request.cache_ttl_ms;
        const opts = options || {};
        if (opts.ttl !== undefined) {
          if (typeof opts.ttl !== 'number' || !Number.isFinite(opts.ttl) || opts.ttl <= 0) return { type: 'error', code: 'InvalidExpiry' };
          expires = now + opts.ttl;
        }
        if (opts.expires_at !== undefined) {
          if (typeof opts.expires_at !== 'number' || !Number.isFinite(opts.expires_at)) return { type: 'error', code: 'InvalidExpiry' };
          if (opts.expires_at <= now) return { type: 'error', code: 'ItemAlreadyExpired' };
          expires = opts.ttl !== undefined ? Math.min(expires, opts.expires_at) : opts.expires_at;
        }
        expires = Math.min(Math.floor(expires), now + limits.max_ttl_ms);
        if (!live(key)) {
          let count = 0;
          for (const k of records.keys()) if (live(k)) count++;
          if (count >= limits.max_entries) return { type: 'error', code: 'CacheSizeExceeded' };
        }
        const record = { value: value, expires_at: expires };
        records.set(key, record);
        changed.set(key, record);
        return { type: 'success', record: { value: value, expires_at: expires } };
      },
      delete(key) {
        key = String(key);
        if (++sideEffects > limits.max_side_effects) return { type: 'error', code: 'MaxSideEffectsExceeded' };
        if (!live(key)) return { type: 'error', code: 'CacheKeyDoesNotExist' };
        records.delete(key);
        changed.set(key, null);
        return { type: 'success' };
      },
    },
    writes: function () {
      const out = [];
      for (const [key, record] of changed) out.push(record ? { key: key, value: record.value, expires_at: record.expires_at } : { key: key, value: null, expires_at: 0 });
      return out;
    },
  };
})();
cacheWrites = cache.writes;

// ---- api.notification: only the last call counts ----
let verdict = null;
function capReason(reason) {
  const chars = Array.from(reason === undefined ? '' : String(reason));
  return chars.length > MAX_REASON ? chars.slice(0, MAX_REASON).join('') : chars.join('');
}
const notification = {
  drop(reason) {
    verdict = { outcome: 'drop', reason: capReason(reason) };
  },
  retry(reason) {
    verdict = { outcome: 'retry', reason: capReason(reason) };
  },
};

function outcomeOfReturn(value) {
  const result = verdict || { outcome: 'success' };
  if (value !== undefined) {
    try {
      result.returned = JSON.parse(JSON.stringify(value, null, 0).slice(0, 65536));
    } catch (e) {
      result.returned = util.inspect(value, { depth: 2 }).slice(0, 65536);
    }
  }
  return result;
}

process.on('uncaughtException', (err) => report({ outcome: 'error', error: errorView(err) }));
process.on('unhandledRejection', (err) => report({ outcome: 'error', error: errorView(err) }));

function load(file) {
  try {
    return require(file);
  } catch (err) {
    throw withInstallHint(err);
  }
}

function withSecretAlias(event) {
  // Auth0's event has `secrets`; its own custom-phone-provider sample reads
  // `event.secret`. The alias lets that sample run, and says it would throw in Auth0.
  Object.defineProperty(event, 'secret', {
    enumerable: false,
    get() {
      const warning = 'The Action read event.secret, which Auth0\'s event does not have (it has event.secrets): in Auth0 that line throws.';
      if (!warnings.includes(warning)) warnings.push(warning);
      return event.secrets;
    },
  });
  return event;
}

let started;
try {
  const exported = load(request.file);
  const event = request.event;
  if (request.trigger === 'hook') {
    const hook = typeof exported === 'function' ? exported : null;
    if (!hook) throw new TypeError('A Send Phone Message Hook exports a function: module.exports = function (recipient, text, context, cb) { ... }');
    const context = event.context || {};
    context.webtask = { secrets: request.secrets };
    started = new Promise((resolve) => {
      hook(event.recipient, event.text, context, function (err, response) {
        if (err) resolve({ outcome: 'error', error: errorView(err) });
        else resolve(outcomeOfReturn(response));
      });
    });
  } else {
    const handlerName = request.trigger === 'custom-phone-provider' ? 'onExecuteCustomPhoneProvider' : 'onExecuteSendPhoneMessage';
    const handler = exported && exported[handlerName];
    if (typeof handler !== 'function') throw new TypeError('The Action exports no ' + handlerName + ': write exports.' + handlerName + ' = async (event, api) => { ... }');
    const api = { cache: cache.api };
    if (request.trigger === 'custom-phone-provider') {
      api.notification = notification;
      withSecretAlias(event);
    }
    started = Promise.resolve(handler(event, api)).then(outcomeOfReturn, (err) => ({ outcome: 'error', error: errorView(err) }));
  }
} catch (err) {
  started = Promise.resolve({ outcome: 'error', error: errorView(err) });
}
started.then(
  (result) => report(result),
  (err) => report({ outcome: 'error', error: errorView(err) }),
);
}
})();
