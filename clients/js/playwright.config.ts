// The fixture's own tests: the README's example and eight workers on one phone.
// No test here opens a page, so no browser is launched.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: ['examples/**/*.spec.ts', 'test/playwright/**/*.spec.ts'],
  globalSetup: './test/playwright/global-setup.ts',
  fullyParallel: true,
  workers: 8,
  forbidOnly: true,
  reporter: [['list']],
  timeout: 30_000,
});
