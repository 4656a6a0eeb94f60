// The main entry must stay browser-safe: only `./node` (dist/node/) may touch Node or Dawn. A static
// check of the built files, so a stray `node:` import fails here rather than in a user's bundler.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeOnly, specifiers } from '../../../tools/test-support/imports.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Every .js file under dist/ except the Node entry's folder. */
function browserFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === join(dist, 'node') ? [] : browserFiles(path);
    return e.name.endsWith('.js') ? [path] : [];
  });
}

const files = browserFiles(dist);

describe('the main entry is browser-safe', () => {
  it('dist/ is built', () => {
    expect(files.map((f) => relative(dist, f))).toContain('index.js');
  });

  it.each(files.map((f) => [relative(dist, f), f]))(
    '%s imports no Node module, no Dawn, no process',
    (_, file) => {
      const text = readFileSync(file, 'utf8');
      const bad = specifiers(text).filter(
        (s) =>
          s.startsWith('node:') ||
          s === 'webgpu' ||
          s.startsWith('webgpu/') ||
          /^(fs|os|path|url|module|child_process|worker_threads)$/.test(s),
      );
      expect(bad, 'Node-only imports belong in src/node/').toEqual([]);
      const code = codeOnly(text);
      expect(
        code.match(/\bprocess\s*\.|\bprocess\s*\[|globalThis\.process\b|\brequire\s*\(/g) ?? [],
        'uses of process/require',
      ).toEqual([]);
    },
  );

  it('the check itself sees the Node entry’s imports', () => {
    // Guards the regexes: dist/node/index.js does import node: modules and webgpu.
    const text = readFileSync(join(dist, 'node', 'index.js'), 'utf8');
    expect(specifiers(text)).toEqual(expect.arrayContaining(['node:fs', 'webgpu']));
    expect(codeOnly(text)).toMatch(/\bprocess\s*\./);
  });
});
