// `@fp8lm/gpt/core` must run without Node: a static check of the built files it reaches, so a stray
// `node:` import (or GPT-2's BPE tables, or the CLI's dependencies) fails here, not in a user's bundler.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeOnly, importClosure } from '../../../tools/test-support/imports.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
/** The packages core may import: each of them is browser-safe itself (kernels-webgpu's entry test, for one). */
const ALLOWED = [
  '@fp8lm/fp8-format',
  '@fp8lm/kernels-cpu',
  '@fp8lm/optimizer',
  '@fp8lm/scaling',
  '@fp8lm/tensor-interface',
];

describe('@fp8lm/gpt/core is browser-safe', () => {
  const core = importClosure(join(dist, 'core.js'));

  it('imports only browser-safe fp8lm packages', () => {
    expect(core.bare.filter((s) => !ALLOWED.includes(s))).toEqual([]);
  });

  it.each(core.files.map((f) => [relative(dist, f), f]))('%s uses no process and no require', (_, file) => {
    const code = codeOnly(readFileSync(file, 'utf8'));
    expect(code.match(/\bprocess\s*\.|\bprocess\s*\[|globalThis\.process\b|\brequire\s*\(/g) ?? []).toEqual(
      [],
    );
  });

  it('the check sees what the main entry imports', () => {
    // Guards the walk: the main entry reaches node: modules, js-tiktoken and the CLI's packages.
    const main = importClosure(join(dist, 'index.js'));
    expect(main.bare).toEqual(expect.arrayContaining(['node:fs', 'js-tiktoken/lite', 'vega']));
    expect(main.files.length).toBeGreaterThan(core.files.length);
  });
});
