// A run that must fail, started by test/fixture-failure.test.js against its server.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: ['*.spec.ts'],
  workers: 1,
  reporter: [['json']],
  outputDir: '../../test-results/failing',
});
