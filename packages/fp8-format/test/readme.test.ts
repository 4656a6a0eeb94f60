import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample } from '../../../tools/test-support/readme.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');
// The README's examples, then the docs site's page for this package (its examples are docs that run too).
const examples = [
  ...readmeExamples(join(dir, 'README.md')),
  ...readmeExamples(join(dir, '..', '..', 'docs', 'index.md')),
];

describe('fp8-format README examples run', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThan(0));
  for (const [i, code] of examples.entries()) it(`example ${i + 1}`, () => runReadmeExample(dir, code, i));
});
