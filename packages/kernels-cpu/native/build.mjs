#!/usr/bin/env node
// Builds the fast CPU path addon (dist/native/fp8lm_cpu.node) with the system C++ compiler and
// Node's own headers: no node-gyp, no download, no npm install script. Run by the package's
// `build:native` Nx target (which `npm run build` runs). Where it cannot build (no compiler, no
// headers, Windows), it says why and exits 0: the TypeScript reference then serves every op.
// Set FP8LM_REQUIRE_FAST=1 (CI does) to make a failed build an error instead.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, '..', 'dist', 'native');
const objDir = join(out, 'obj');
const target = join(out, 'fp8lm_cpu.node');
const required = process.env.FP8LM_REQUIRE_FAST === '1' || process.env.CI === 'true';

function give(reason) {
  const msg = `kernels-cpu: fast path not built (${reason}); the TypeScript reference will serve every op`;
  if (required) {
    console.error(`${msg}\n(FP8LM_REQUIRE_FAST=1 or CI=true: failing)`);
    process.exit(1);
  }
  console.warn(msg);
  rmSync(target, { force: true }); // never leave a stale addon that no longer matches the sources
  process.exit(0);
}

mkdirSync(objDir, { recursive: true });

if (process.platform === 'win32') give('Windows builds are not set up; use WSL for the fast path');

const headerDirs = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  process.config?.variables?.node_prefix && join(process.config.variables.node_prefix, 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = headerDirs.find((d) => existsSync(join(d, 'node_api.h')));
if (include === undefined) give(`node_api.h not found in ${headerDirs.join(', ')}`);

async function findCompiler() {
  for (const cxx of [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean)) {
    try {
      await run(cxx, ['--version']);
      return cxx;
    } catch {}
  }
  return undefined;
}
const cxx = await findCompiler();
if (cxx === undefined) give('no C++ compiler (set CXX, or install g++ or clang++)');

const x86 = process.arch === 'x64';
const common = ['-O3', '-std=c++17', '-fPIC', '-fvisibility=hidden', '-pthread', '-Wall', '-I', include];
const units = [
  { file: 'addon.cc', flags: [] },
  { file: 'gemm.cc', flags: [] },
  { file: 'pool.cc', flags: [] },
  // Bit-exact with the TypeScript reference: no contraction into fused multiply-adds (the
  // FP8LM_CLONES copies of clones.h may use FMA instructions otherwise).
  { file: 'layers.cc', flags: ['-ffp-contract=off'] },
  { file: 'elementwise.cc', flags: ['-ffp-contract=off'] },
  { file: 'gelu.cc', flags: ['-ffp-contract=off'] },
  // -fno-math-errno lets sqrt vectorize; -fno-trapping-math lets the grouped moment's selects
  // vectorize (it assumes no one reads FP exception flags, which nothing here does; values are IEEE's).
  { file: 'adamw.cc', flags: ['-ffp-contract=off', '-fno-math-errno', '-fno-trapping-math'] },
  { file: 'kernel_generic.cc', flags: [] },
  // ISA-specific kernels: compiled for their ISA, called only after a runtime CPU check.
  { file: 'kernel_avx2.cc', flags: x86 ? ['-mavx2', '-mfma'] : [] },
  { file: 'kernel_avx512.cc', flags: x86 ? ['-mavx512f', '-mfma'] : [] },
];

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const headerTime = Math.max(
  ...readdirSync(src)
    .filter((f) => f.endsWith('.h'))
    .map((h) => mtime(join(src, h))),
  mtime(join(here, 'build.mjs')),
);
const started = Date.now();
try {
  // Compile in parallel (as many jobs as cores), skipping objects newer than their sources.
  const queue = [...units];
  const objects = units.map((u) => join(objDir, u.file.replace(/\.cc$/, '.o')));
  const jobs = Array.from(
    { length: Math.max(1, Math.min(availableParallelism(), queue.length)) },
    async () => {
      for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
        const obj = join(objDir, u.file.replace(/\.cc$/, '.o'));
        const input = join(src, u.file);
        if (mtime(obj) > Math.max(mtime(input), headerTime)) continue;
        await run(cxx, [...common, ...u.flags, '-c', input, '-o', obj]);
      }
    },
  );
  await Promise.all(jobs);
  const link = ['-shared', '-pthread', ...objects, '-o', `${target}.tmp`];
  if (process.platform === 'darwin') link.unshift('-undefined', 'dynamic_lookup');
  await run(cxx, link);
  renameSync(`${target}.tmp`, target);
} catch (e) {
  give(
    `${cxx} failed: ${String(e.stderr || e.message)
      .trim()
      .split('\n')
      .slice(0, 20)
      .join('\n')}`,
  );
}
console.log(`kernels-cpu: built ${target} with ${cxx} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
