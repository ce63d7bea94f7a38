// The client's types are Phonebox's own OpenAPI document (docs/openapi.json, which
// the server's tests keep true to its handlers), made into TypeScript: this fails
// when src/openapi.ts was not made again after the document changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('src/openapi.ts is what openapi-typescript makes of docs/openapi.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-types-'));
  const fresh = path.join(dir, 'openapi.ts');
  execFileSync(
    path.join(ROOT, 'node_modules', '.bin', 'openapi-typescript'),
    [path.join(ROOT, '..', '..', 'docs', 'openapi.json'), '-o', fresh],
    { stdio: 'pipe' },
  );
  const want = fs.readFileSync(fresh, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  const have = fs.readFileSync(path.join(ROOT, 'src', 'openapi.ts'), 'utf8');
  assert.ok(have === want, 'src/openapi.ts is stale: run `npm run types` in clients/js and commit it');
});
