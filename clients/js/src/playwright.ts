// A Playwright fixture: each test gets its own Phonebox tenant and a fresh phone
// number, and the tenant is dropped (with its users and messages) after the test.

import { test as base } from '@playwright/test';

import { Phonebox } from './client.js';
import { freshPhone } from './phone.js';
import type { Tenant } from './types.js';

export interface PhoneboxFixtures {
  /** A client narrowed to this test's tenant. */
  phonebox: Phonebox;
  /** This test's tenant; point the app's Auth0 domain at `tenant.domain`. */
  tenant: Tenant;
  /** A phone number no other test in this worker got. */
  phone: string;
}

export interface PhoneboxWorkerOptions {
  /** Where Phonebox listens: else `PHONEBOX_URL`, else `http://127.0.0.1:7676`. */
  phoneboxUrl: string | undefined;
}

/** `test` with the `phonebox`, `tenant` and `phone` fixtures. */
export const test = base.extend<PhoneboxFixtures, PhoneboxWorkerOptions>({
  phoneboxUrl: [undefined, { option: true, scope: 'worker' }],

  tenant: async ({ phoneboxUrl }, use, testInfo) => {
    const admin = new Phonebox({ url: phoneboxUrl });
    const tenant = await admin.createTenant();
    try {
      await use(tenant);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        // What the tenant's phones received, for the report, before it is dropped.
        const page = await admin.messages({ tenant: tenant.id, limit: 50 }).catch(() => null);
        if (page !== null) {
          await testInfo.attach('phonebox-messages.json', {
            body: JSON.stringify(page.messages, null, 2),
            contentType: 'application/json',
          });
        }
      }
      await admin.deleteTenant(tenant.id);
    }
  },

  // eslint-disable-next-line no-empty-pattern
  phone: async ({}, use) => {
    await use(freshPhone());
  },

  phonebox: async ({ phoneboxUrl, tenant }, use) => {
    await use(new Phonebox({ url: phoneboxUrl, tenant: tenant.id }));
  },
});

export { expect } from '@playwright/test';
