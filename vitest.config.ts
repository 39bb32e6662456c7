import { defineConfig } from 'vitest/config';

/**
 * Integration tests share one broker; each file works in its own vhost or uniquely named objects,
 * so files may run in parallel. The heavy ones (tens of thousands of messages, faults, delivery
 * limits that wait for the broker's statistics) run after the others, one at a time, so that their
 * load does not starve the timing of the rest on a small machine.
 */
const HEAVY = ['test/move-faults.test.ts', 'test/peek-safety.test.ts'];

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: HEAVY,
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      { test: { ...shared, name: 'heavy', include: HEAVY, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
