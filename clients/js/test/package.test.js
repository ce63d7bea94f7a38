// What `npm publish` would ship: the packed tarball installs into an empty project
// and both entry points load from it, with their types beside them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('the package has no runtime dependencies, and Playwright only as an optional peer', () => {
  assert.equal(pkg.dependencies, undefined);
  assert.deepEqual(Object.keys(pkg.peerDependencies), ['@playwright/test']);
  assert.equal(pkg.peerDependenciesMeta['@playwright/test'].optional, true);
});

test('the packed tarball installs offline and loads by import and by require, with its types', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-pack-'));
  try {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT }),
    );
    const files = packed.files.map((f) => f.path);
    for (const file of ['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/playwright.js', 'dist/playwright.d.ts']) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    assert.ok(!files.some((f) => /^(test|examples|node_modules)\//.test(f)), `nothing else: ${files}`);

    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, packed.filename)], {
      cwd: project,
      stdio: 'pipe',
    });
    const loaded = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('@phonebox/client'); console.log(Object.keys(m).sort().join(' '))"],
      { cwd: project, encoding: 'utf8' },
    );
    assert.equal(loaded.trim(), 'Auth0Error NoMessageError Phonebox PhoneboxError freshPhone');
    // It is ESM only; a CommonJS project loads it through require() (Node 20.19+).
    const required = execFileSync(
      process.execPath,
      ['--input-type=commonjs', '-e', "console.log(typeof require('@phonebox/client').Phonebox)"],
      { cwd: project, encoding: 'utf8' },
    );
    assert.equal(required.trim(), 'function');
    const installed = path.join(project, 'node_modules', '@phonebox', 'client');
    const exports = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).exports;
    for (const entry of Object.values(exports).filter((e) => typeof e === 'object')) {
      assert.ok(fs.existsSync(path.join(installed, entry.default)), entry.default);
      assert.ok(fs.existsSync(path.join(installed, entry.types)), entry.types);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
