#!/usr/bin/env node
// Regenerates packages/fp8-format/test/data/cuda-golden.bin.gz from the CUDA toolkit's host-side
// conversions: compiles tools/golden/fp8_golden.cu with nvcc (no GPU needed) into tools/golden/build/,
// runs it, and gzips its output. The file format is documented at the top of fp8_golden.cu.
//
//   node tools/golden/generate.mjs          (or `npm run golden`)
//
// nvcc is $NVCC if set, else looked up on PATH, then at /usr/local/cuda/bin/nvcc.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const source = join(here, 'fp8_golden.cu');
const buildDir = join(here, 'build');
const binary = join(buildDir, 'fp8_golden');
const rawOutput = join(buildDir, 'cuda-golden.bin');
const target = join(root, 'packages/fp8-format/test/data/cuda-golden.bin.gz');

function fail(message) {
  console.error(`golden: ${message}`);
  process.exit(1);
}

function findNvcc() {
  // An explicit $NVCC is the only candidate; otherwise PATH, then the toolkit's default location.
  const candidates = process.env.NVCC ? [process.env.NVCC] : ['nvcc', '/usr/local/cuda/bin/nvcc'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return { nvcc: candidate, version: probe.stdout };
  }
  return null;
}

const found = findNvcc();
if (found === null) {
  fail(
    process.env.NVCC
      ? `NVCC=${process.env.NVCC} does not run (\`${process.env.NVCC} --version\` failed).`
      : 'nvcc (the CUDA toolkit compiler) was not found on PATH or at /usr/local/cuda/bin/nvcc. ' +
          'Install the CUDA toolkit (no GPU is needed: the conversions run on the host) or set NVCC=/path/to/nvcc.',
  );
}
const release = /release\s+([^\s,]+),\s*(V[^\s]+)/.exec(found.version);
const cudaVersion = release ? `${release[1]} (${release[2]})` : found.version.trim().split('\n').at(-1);

mkdirSync(buildDir, { recursive: true });
console.log(`golden: compiling ${relative(root, source)} with ${found.nvcc} (CUDA ${cudaVersion})`);
try {
  execFileSync(found.nvcc, ['-O2', '-std=c++17', '-o', binary, source], { stdio: 'inherit' });
} catch {
  fail(`nvcc failed to compile ${relative(root, source)}`);
}

let summary;
try {
  summary = execFileSync(binary, [rawOutput], { encoding: 'utf8' }).trim();
} catch {
  fail(`${relative(root, binary)} failed`);
}

const raw = readFileSync(rawOutput);
if (raw.subarray(0, 8).toString('latin1') !== 'FP8GOLD1') fail(`${rawOutput}: bad magic`);
const n = raw.readUInt32LE(20);
const fp8Decodes = raw.readUInt32LE(24);
const halfDecodes = raw.readUInt32LE(28);
const expectedBytes = 32 + n * (4 + 4 + 2 + 2) + 2 * fp8Decodes * 4 + 2 * halfDecodes * 4;
if (raw.length !== expectedBytes) fail(`${rawOutput}: ${raw.length} bytes, expected ${expectedBytes}`);

// node:zlib writes a fixed gzip header (mtime 0), so the same input gives the same file.
const gz = gzipSync(raw, { level: 9 });
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, gz);

console.log(`golden: program output ${summary}`);
console.log(
  JSON.stringify({
    file: relative(root, target),
    cuda: cudaVersion,
    nvccHeader: `${raw.readUInt16LE(12)}.${raw.readUInt16LE(14)}`,
    cudart: raw.readUInt32LE(16),
    encodeInputs: n,
    encodeColumns: ['e4m3-satfinite', 'e4m3-nosat', 'e5m2-satfinite', 'e5m2-nosat', 'f16-rn', 'bf16-rn'],
    decodes: { e4m3: fp8Decodes, e5m2: fp8Decodes, f16: halfDecodes, bf16: halfDecodes },
    rawBytes: raw.length,
    gzipBytes: gz.length,
    sha256: createHash('sha256').update(gz).digest('hex'),
  }),
);
