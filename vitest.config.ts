import { defineConfig } from 'vitest/config';

// Engine and main-process tests in plain Node with real loopback sockets (docs/architecture.md §4.9).
// Browser end-to-end tests are Playwright's (playwright.config.ts).
export default defineConfig({
  test: {
    include: [
      'gateway/test/**/*.test.ts',
      'simulator/test/**/*.test.ts',
      'host/test/**/*.test.ts',
      'service/test/**/*.test.ts',
      'common/test/**/*.test.ts',
      'main/test/**/*.test.ts',
      'renderer/test/**/*.test.ts',
    ],
    // The renderer's stylesheet is read as text (`?raw`) by its contrast test; vitest would
    // otherwise hand every CSS import over as an empty string.
    css: { include: [/renderer\/src\/styles\/[^?]*\.css/] },
    pool: 'forks',
    // 2-core machines: socket-heavy suites contend; two workers keep runs stable.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
