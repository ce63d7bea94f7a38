// Starts a real `phonebox serve` on a free port with a temporary database.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.PHONEBOX_BIN || path.join(ROOT, 'target', 'debug', 'phonebox');

/** Resolves with { base, stop() } once the server logs the address it bound; `db`
 * names an existing database (kept), else a fresh one is made (and removed);
 * `args` are more `serve` flags. */
async function startPhonebox({ db, args = [] } = {}) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`cargo build --bin phonebox\` (make test does)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-sdk-'));
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', db ?? path.join(dir, 'phonebox.db'), ...args], {
    // Never the developer's own keyring: test servers keep a plain file.
    env: { ...process.env, PHONEBOX_LOG: 'info', NO_COLOR: '1', PHONEBOX_SECRETS_STORE: 'file' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const base = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/Phonebox listening addr=(\S+)/);
      if (match) resolve(`http://${match[1]}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`phonebox exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return {
    base,
    async stop() {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** The newest message to `to`, as Phonebox stored it. */
async function latest(base, to) {
  const res = await fetch(`${base}/emulator/v1/phones/${encodeURIComponent(to)}/latest`);
  if (!res.ok) throw new Error(`latest ${to}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A message's full record, raw request included. */
async function detail(base, id) {
  const res = await fetch(`${base}/emulator/v1/messages/${id}`);
  if (!res.ok) throw new Error(`message ${id}: ${res.status}`);
  return res.json();
}

module.exports = { startPhonebox, latest, detail, BIN };
