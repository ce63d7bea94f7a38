// Eight worker processes on one server, each with its own tenant and all on the
// SAME phone number, five rounds: every wait is held before any code is sent, then
// all sign in at once, and each must get its own tenant's code.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { Phonebox, freshPhone } from '@phonebox/client';
import { startPhonebox, untilHeldWaits } from './lib/server.js';

const WORKER = fileURLToPath(new URL('./lib/worker.js', import.meta.url));
const WORKERS = 8;
const ROUNDS = 5;

let server;
before(async () => {
  server = await startPhonebox();
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

/** Forks one worker; resolves `ready` with its tenant and `done` with its report. */
function worker(phone) {
  const child = fork(WORKER, [], {
    env: { ...process.env, PHONEBOX_URL: server.base, PHONEBOX_SHARED_PHONE: phone },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let ready;
  const readyP = new Promise((resolve) => (ready = resolve));
  let report;
  child.on('message', (m) => {
    if (m.ready) ready(m.ready);
    if (m.done) report = m.done;
  });
  const done = new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0 && report) resolve(report);
      else reject(new Error(`worker exited with ${code}:\n${stderr}`));
    });
  });
  // A worker that dies before it is ready fails the round rather than hanging it.
  return { child, ready: Promise.race([readyP, done.then(() => { throw new Error('worker ended before ready'); })]), done };
}

test(`${WORKERS} worker processes, each with its own tenant, on one phone number: ${ROUNDS} rounds, no cross-talk`, async (t) => {
  const phonebox = new Phonebox({ url: server.base });
  const phone = freshPhone();
  const times = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const started = performance.now();
    const workers = Array.from({ length: WORKERS }, () => worker(phone));
    const tenants = await Promise.all(workers.map((w) => w.ready));
    assert.equal(new Set(tenants).size, WORKERS, 'eight distinct tenants');
    // Every worker's wait has reached the server before any code is sent.
    await untilHeldWaits(server.base, WORKERS);
    for (const w of workers) w.child.send('go');
    const reports = await Promise.all(workers.map((w) => w.done));
    assert.deepEqual(reports.map((r) => r.tenant).sort(), [...tenants].sort());
    assert.equal(new Set(reports.map((r) => r.message)).size, WORKERS, 'eight distinct messages');
    times.push(performance.now() - started);
  }
  // Each worker dropped its tenant, and with it its messages.
  assert.deepEqual((await phonebox.messages({ to: phone })).messages, []);
  const ms = times.map((x) => Math.round(x));
  t.diagnostic(`rounds of ${WORKERS} processes (fork to exit), ms: ${ms.join(', ')}; total ${ms.reduce((a, b) => a + b, 0)}`);
});
