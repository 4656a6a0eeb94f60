// The main entry must stay browser-safe: only `./node` (dist/node/) may touch Node or Dawn. A static
// check of the built files, so a stray `node:` import fails here rather than in a user's bundler.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Every .js file under dist/ except the Node entry's folder. */
function browserFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === join(dist, 'node') ? [] : browserFiles(path);
    return e.name.endsWith('.js') ? [path] : [];
  });
}

/** Comments and string contents removed, so prose like "process the rows" cannot match. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1')
    .replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""');
}

/** Module specifiers of static imports/exports, side-effect imports and dynamic `import('…')`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const re of [
    /\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of text.matchAll(re)) found.push(m[1]);
  }
  return found;
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
