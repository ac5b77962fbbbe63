import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Most files wait on a local stack's timers (simulated generation, workflow waits) rather than use a core, so three
    // run at once even on CI's two cores: the suite took 803 s one file at a time.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
