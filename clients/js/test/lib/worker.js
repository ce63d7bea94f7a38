// One parallel worker (a process of its own, forked by parallel.test.js): makes its
// own tenant, holds a wait on the shared phone narrowed to that tenant, and on "go"
// signs a user in through phone MFA on that same phone. It reports what it got and
// exits 0 only if every code it saw was its own tenant's.

import assert from 'node:assert/strict';
import { Phonebox } from '@phonebox/client';

const phone = process.env.PHONEBOX_SHARED_PHONE;
const admin = new Phonebox();
const tenant = await admin.createTenant();
const mine = admin.forTenant(tenant.id);

const held = mine.waitForMessage({ to: phone, timeout: 20_000 });
process.send({ ready: tenant.id });
await new Promise((resolve) => process.once('message', resolve));

const signedIn = await mine.mfaSignIn({ email: 'same@example.com', phone });
const seen = await held;
assert.equal(seen.tenant, tenant.id, 'the held wait got this tenant\'s message');
assert.equal(seen.id, signedIn.message.id, 'the held wait and the sign-in saw the same message');
assert.equal(signedIn.message.tenant, tenant.id);
assert.equal(signedIn.message.to, phone);
assert.ok(signedIn.tokens.access_token, 'the mfa-oob grant took the code');
const left = await mine.messages({ to: phone });
assert.deepEqual(left.messages.map((m) => m.id), [seen.id], 'one message in this tenant');
await admin.deleteTenant(tenant.id);
// Exit once the report is sent, not when fetch's idle keep-alive sockets close.
process.send({ done: { tenant: tenant.id, message: seen.id, code: seen.code } }, () => process.exit(0));
