// Static checks of built ES modules: what a file imports, and its code without comments and strings.
// Used by the tests that keep an entry point browser-safe (kernels-webgpu's main entry, gpt/core).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Comments and string contents removed, so prose like "process the rows" cannot match. */
export function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1')
    .replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""');
}

/** Module specifiers of static imports/exports, side-effect imports and dynamic `import('…')`. */
export function specifiers(text: string): string[] {
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

/**
 * The files a module reaches through relative imports (itself included) and the bare specifiers they
 * import (packages, `node:` modules), following every static and dynamic import.
 */
export function importClosure(entry: string): { files: string[]; bare: string[] } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const s of specifiers(readFileSync(file, 'utf8'))) {
      if (s.startsWith('.')) visit(join(dirname(file), s));
      else bare.add(s);
    }
  };
  visit(entry);
  return { files: [...files], bare: [...bare].sort() };
}
