// A real `phonebox serve` for these tests: the repository's own starter
// (tests/sdk/lib/server.js: port 0, a temporary database, stopped with SIGTERM).

import sdkServer from '../../../../tests/sdk/lib/server.js';

/** Resolves with `{ base, stop() }`. */
export const startPhonebox = sdkServer.startPhonebox;

/** Resolves once the server holds `n` `latest?wait=` requests (its health count),
 * asking every 10 ms. */
export async function untilHeldWaits(base, n, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await (await fetch(`${base}/emulator/v1/health`)).json();
    if (health.held_waits >= n) return;
    if (Date.now() > deadline) throw new Error(`the server held ${health.held_waits} waits, not ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
