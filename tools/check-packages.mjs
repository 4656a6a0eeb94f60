#!/usr/bin/env node
// Packaging check: publint on every publishable package, then an import of each package's
// exports by name from outside it, as a user would after `npm install`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = new URL('..', import.meta.url).pathname;
let failed = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const { messages } = await publint({ pkgDir, level: 'warning', strict: true });
  for (const m of messages) console.log(`${pkg.name}: ${m.type}: ${formatMessage(m, pkg)}`);
  if (messages.length > 0) failed++;
  const entry = await import(pkg.name);
  const names = Object.keys(entry);
  if (names.length === 0) {
    console.log(`${pkg.name}: its entry point exports nothing`);
    failed++;
  }
  console.log(
    `${pkg.name}${pkg.private ? ' (private)' : ''}: publint ${messages.length === 0 ? 'ok' : 'FAILED'}, ${names.length} exports resolve`,
  );
}
if (failed > 0) {
  console.error(`packaging check: ${failed} package(s) failed`);
  process.exit(1);
}
