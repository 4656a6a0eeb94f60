import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample } from '../../../tools/test-support/readme.js';
import { skip, unavailableReason } from './gpu.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');
// The README's examples, then the docs site's page for this package (its examples are docs that run too).
const examples = [
  ...readmeExamples(join(dir, 'README.md')),
  ...readmeExamples(join(dir, '..', '..', 'docs', 'kernels-webgpu.md')),
];

// The examples need a WebGPU adapter: without one they are skipped with the reason (failed in CI and
// with FP8LM_REQUIRE_WEBGPU=1, like the conformance suite).
describe('kernels-webgpu README examples run', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThan(0));
  const why = skip ? ` (skipped: no WebGPU adapter: ${unavailableReason})` : '';
  for (const [i, code] of examples.entries()) {
    it.skipIf(skip)(`example ${i + 1}${why}`, () => runReadmeExample(dir, code, i));
  }
});
