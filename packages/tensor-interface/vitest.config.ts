import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'tensor-interface', include: ['test/**/*.test.ts'] } });
