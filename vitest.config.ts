import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60000,
    hookTimeout: 60000,
    // Starts PostgreSQL/MariaDB containers for any unset XC_TEST_*_URL where Docker answers.
    globalSetup: ['test/global-setup.ts'],
  },
});
