// One real `phonebox serve` for every worker (they find it through PHONEBOX_URL),
// and a file where the parallel spec notes which process ran each test and with
// which tenant, checked when the run ends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startPhonebox } from '../lib/server.js';

export default async function globalSetup() {
  const server = await startPhonebox();
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-pw-'));
  process.env.PHONEBOX_URL = server.base;
  process.env.PHONEBOX_PW_RUNS = runs;
  const started = performance.now();
  return async () => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const record = path.join(runs, 'parallel');
    const lines = fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim().split('\n') : [];
    fs.rmSync(runs, { recursive: true, force: true });
    let left: string[];
    try {
      const answer = (await (await fetch(`${server.base}/emulator/v1/tenants`)).json()) as { tenants: { id: string }[] };
      left = answer.tenants.map((t) => t.id);
    } finally {
      assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
    }
    assert.deepEqual(left, ['default'], "the fixture dropped every test's tenant");
    const pids = new Set(lines.map((l) => l.split(' ')[0]));
    const tenants = new Set(lines.map((l) => l.split(' ')[1]));
    console.log(
      `parallel spec: ${lines.length} tests in ${pids.size} worker processes, ${tenants.size} tenants, one phone; the run took ${seconds} s`,
    );
    if (lines.length > 0) {
      assert.equal(pids.size, 8, 'eight worker processes ran the parallel spec');
      assert.equal(tenants.size, lines.length, 'a tenant of its own for every test');
    }
  };
}
