// The real desktop app under Xvfb: it starts, its server answers, the window loads
// the inbox, a message posted to it shows in the window (screenshots saved under
// target/desktop-smoke/), and SIGTERM closes it cleanly.
//
// Run by `make test-desktop` inside xvfb-run; needs xdotool and ImageMagick.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'target', 'debug', 'phonebox-desktop');
const SHOTS = path.join(ROOT, 'target', 'desktop-smoke');

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();
const shoot = (name) => {
  const file = path.join(SHOTS, name);
  run('import', ['-window', 'root', file]);
  return file;
};
/** How many colours a screenshot has: a blank or black screen has one or two. */
const colours = (file) => Number(run('convert', [file, '-format', '%k', 'info:']));
/** How many pixels differ between two screenshots. */
function differing(a, b) {
  try {
    return Number(run('compare', ['-metric', 'AE', a, b, 'null:']));
  } catch (e) {
    // `compare` exits 1 when the images differ, printing the count on stderr.
    return Number(String(e.stderr).trim().split(/\s/)[0]);
  }
}

/** Resolves once `check()` is truthy, trying every `every` ms up to `limit` ms. */
async function until(what, check, limit = 60_000, every = 100) {
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

test('the desktop app shows a captured message and exits cleanly', async () => {
  assert.ok(process.env.DISPLAY, 'run under xvfb-run (make test-desktop does)');
  assert.ok(fs.existsSync(BIN), `${BIN} is missing: cargo build -p phonebox-desktop`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonebox-desktop-'));
  const child = spawn(BIN, [], {
    env: {
      ...process.env,
      PHONEBOX_LISTEN: '127.0.0.1:0',
      PHONEBOX_DB: path.join(dir, 'phonebox.db'),
      // Never the developer's own keyring: a plain file beside the test database.
      PHONEBOX_SECRETS_STORE: 'file',
      PHONEBOX_LOG: 'info',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const base = await until('the server address', () => {
      const m = output.match(/Phonebox listening addr=(\S+)/);
      return m && `http://${m[1]}`;
    });
    const health = await (await fetch(`${base}/emulator/v1/health`)).json();
    assert.equal(health.status, 'ok');
    // The window's page has loaded and subscribed to live updates.
    await until('the window to open its live view', async () => {
      const h = await (await fetch(`${base}/emulator/v1/health`)).json();
      return h.live_views >= 1;
    });
    await until('the window to be mapped', () => {
      try {
        return run('xdotool', ['search', '--onlyvisible', '--name', '^Phonebox']);
      } catch {
        return null;
      }
    });
    // The page is painted (not blank) and settled: two shots alike.
    let previous = shoot('before.png');
    const before = await until('the window to be painted and still', () => {
      const shot = shoot('settling.png');
      const still = colours(shot) > 16 && differing(previous, shot) === 0;
      fs.renameSync(shot, previous);
      return still && previous;
    });
    assert.ok(await (await fetch(`${base}/emulator/v1/messages`)).json().then((p) => p.messages.length === 0));

    const res = await fetch(`${base}/capture/auth0/custom-phone-provider`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: '+15555551300', text: 'Desktop smoke code 864209', code: '864209' }),
    });
    assert.equal(res.status, 201);
    // The shell heard it: the window title now counts it as unread.
    await until('the window title to show the unread message', () => {
      try {
        return run('xdotool', ['search', '--name', 'Phonebox \\(1 unread\\)']);
      } catch {
        return null;
      }
    });
    // And the page shows it: the screen changes from the empty state.
    const after = await until('the message to show in the window', () => {
      const shot = shoot('after.png');
      return differing(before, shot) > 2000 && shot;
    });
    const seen = colours(after);
    console.log(`screenshots: ${before} and ${after} (${seen} colours, ${differing(before, after)} pixels changed)`);
    assert.ok(seen > 16, `the window is not blank (${seen} colours)`);
  } finally {
    child.kill('SIGTERM');
  }
  const { code, signal } = await exited;
  assert.equal(signal, null, output);
  assert.equal(code, 0, `exit code\n${output}`);
  fs.rmSync(dir, { recursive: true, force: true });
});
