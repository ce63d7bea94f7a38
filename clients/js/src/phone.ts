// Fictional numbers for tests.

const SPAN = 10_000_000;
let next: number | undefined;

/**
 * A phone number no other call in this process has returned: `+1 555` and seven
 * digits. Nobody is reachable at +1 555 numbers (libphonenumber calls them invalid;
 * Phonebox accepts them, as it does every number of a possible length). Each process
 * starts at a random point and counts up, so parallel workers rarely meet; give each
 * worker its own tenant and they can share a number safely anyway.
 */
export function freshPhone(): string {
  if (next === undefined) {
    const [random = 0] = globalThis.crypto.getRandomValues(new Uint32Array(1));
    next = random % SPAN;
  }
  const digits = String(next).padStart(7, '0');
  next = (next + 1) % SPAN;
  return `+1555${digits}`;
}
