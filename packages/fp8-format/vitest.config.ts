import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'fp8-format', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
