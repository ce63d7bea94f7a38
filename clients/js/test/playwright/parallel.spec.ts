// Eight tests on ONE phone number, five times over (40 tests), run by eight worker
// processes: every test has its own tenant from the fixture, and every code it
// waits for must be its own tenant's. (Not --repeat-each: Playwright runs each
// repetition in fresh workers, which would start 40 processes rather than 8.)
import fs from 'node:fs';
import path from 'node:path';

import { test, expect } from '@phonebox/client/playwright';

const SHARED_PHONE = '+15555550142';

for (let round = 1; round <= 5; round++) {
  for (let n = 1; n <= 8; n++) {
    test(`round ${round}, test ${n} of 8 on the shared phone gets its own tenant's code`, async ({ phonebox, tenant }) => {
      const held = phonebox.waitForMessage({ to: SHARED_PHONE, timeout: 20_000 });
      const signIn = await phonebox.mfaSignIn({ email: 'same@example.com', phone: SHARED_PHONE });
      const seen = await held;
      expect(seen.tenant).toBe(tenant.id);
      expect(seen.id).toBe(signIn.message.id);
      expect((await phonebox.messages({ to: SHARED_PHONE })).messages).toHaveLength(1);
      const runs = process.env.PHONEBOX_PW_RUNS;
      if (runs) fs.appendFileSync(path.join(runs, 'parallel'), `${process.pid} ${tenant.id}\n`);
    });
  }
}
