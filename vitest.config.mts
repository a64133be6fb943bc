import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker per core less one: a single worker on CI's 2 cores. Most files wait on
    // real sockets and timers (the local host, the broker, npm start), so two workers halve the wall time.
    maxWorkers: 2,
    setupFiles: ['test/support/quiet-events.ts'],
  },
});
