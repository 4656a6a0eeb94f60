import { defineProject } from 'vitest/config';

// SwiftShader runs every shader on the CPU: generous timeouts, and one file at a time so two
// Dawn instances do not fight over the two cores.
export default defineProject({
  test: {
    name: 'kernels-webgpu',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
