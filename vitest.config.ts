import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one broker; each file works in its own vhost or uniquely named
    // objects, so files may run in parallel.
    fileParallelism: true,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
