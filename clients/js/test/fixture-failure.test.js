// The Playwright fixture when a test fails: what the tenant's phones received is
// attached to the report, and the tenant is dropped all the same. A nested
// Playwright run (test/failing) that must fail, against this file's server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { startPhonebox } from './lib/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let server;
before(async () => {
  server = await startPhonebox();
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'phonebox exits cleanly on SIGTERM');
});

test("a failed test's report carries its tenant's messages, and the tenant is dropped anyway", async () => {
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(
      'node_modules/.bin/playwright',
      ['test', '-c', 'test/failing/playwright.config.ts'],
      { cwd: ROOT, env: { ...process.env, PHONEBOX_URL: server.base }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
  });
  assert.equal(code, 1, `the nested run fails:\n${stderr}`);
  const report = JSON.parse(stdout);
  const [result] = report.suites[0].specs[0].tests[0].results;
  assert.equal(result.status, 'failed');
  const attachment = result.attachments.find((a) => a.name === 'phonebox-messages.json');
  assert.ok(attachment, `attachments: ${JSON.stringify(result.attachments.map((a) => a.name))}`);
  assert.equal(attachment.contentType, 'application/json');
  const messages = JSON.parse(Buffer.from(attachment.body, 'base64').toString());
  assert.equal(messages.length, 1);
  assert.equal(messages[0].purpose, 'otp_enroll');
  const { tenants } = await (await fetch(`${server.base}/emulator/v1/tenants`)).json();
  assert.deepEqual(tenants.map((t) => t.id), ['default'], 'the tenant was dropped after the failed test');
});
