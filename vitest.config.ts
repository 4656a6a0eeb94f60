import { defineConfig } from 'vitest/config';

// One vitest config for the whole monorepo: each package is a project, so `vitest run`
// at the root runs every package's tests and `vitest run --project fp8-format` runs one.
export default defineConfig({
  test: {
    projects: ['packages/*'],
    reporters: ['default', './tools/test-support/summary-reporter.ts'],
  },
});
