// Benchmark of bulk quantize / dequantize (single thread, 16M elements) against the CUDA toolkit's host
// conversion loops compiled with -O3 (tools/bench/fp8_host_ref.cu), measured in the same run.
//
//   npm run bench -w @fp8lm/fp8-format            (needs a built dist: npx tsc -b packages/fp8-format)
//   node bench/quantize.mjs [--n N] [--reps R]    (defaults: 16777216 elements, best of 5 after a warm-up)
//
// Prints one JSON object per line (see DESIGN.md, "Benchmarks"): first the machine, then one line per
// figure: {"bench":"fp8-format/<what>","unit":"Melem/s","value":..,"baseline":..,"baselineValue":..,"ratio":..}
// with ratio = value / baselineValue. Before printing, it checks that the JS results are bit-identical to
// the baseline's (FNV-1a hash of the output bytes) and exits 1 naming the first differing element if not.
// Without nvcc (PATH or /usr/local/cuda/bin/nvcc) it prints the JS figures with "baseline":null and a note.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const source = join(root, 'tools/bench/fp8_host_ref.cu');
const buildDir = join(root, 'tools/bench/build');
const binary = join(buildDir, 'fp8_host_ref');
const NVCC_FLAGS = ['-O3', '-Xcompiler', '-O3,-march=native'];
const BASELINE = 'cuda-host-O3';

// Same data as the C side: an LCG over uint32, value (s / 2^32 - 0.5) * 1000 rounded to float32.
const SEED = 1;
const SCALE = Math.fround(448 / 500);
const SCALE_INV = Math.fround(1 / SCALE); // = 1.0f / scale in float32

function parseArgs(argv) {
  const args = { n: 1 << 24, reps: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!(key in args) || !Number.isInteger(value) || value < 1) {
      fail(`usage: node bench/quantize.mjs [--n N] [--reps R] (bad argument ${argv[i]} ${argv[i + 1]})`);
    }
    args[key] = value;
  }
  return args;
}

function fail(message) {
  process.stderr.write(`fp8-format bench: ${message}\n`);
  process.exit(1);
}

function print(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** 32-bit FNV-1a over the bytes of a typed array, as "0x%08x" (matches fnv1a() in the .cu). */
function fnv1a(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619);
  return `0x${(h >>> 0).toString(16).padStart(8, '0')}`;
}

function makeData(n) {
  const src = new Float32Array(n);
  let s = SEED >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    src[i] = (s / 4294967296 - 0.5) * 1000;
  }
  return src;
}

function findNvcc() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'nvcc'))) return join(dir, 'nvcc');
  }
  return existsSync('/usr/local/cuda/bin/nvcc') ? '/usr/local/cuda/bin/nvcc' : null;
}

/** Compiles the baseline unless the binary is newer than the source and was built the same way. */
function buildBaseline(nvcc) {
  const args = [...NVCC_FLAGS, '-o', binary, source];
  const stampFile = `${binary}.stamp`;
  const stamp = JSON.stringify({ nvcc, args, cpu: os.cpus()[0]?.model ?? '' });
  const upToDate =
    existsSync(binary) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp &&
    statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  if (upToDate) return;
  mkdirSync(buildDir, { recursive: true });
  try {
    execFileSync(nvcc, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    fail(`building the baseline failed: ${nvcc} ${args.join(' ')}\n${error.stderr ?? error.message}`);
  }
  writeFileSync(stampFile, stamp);
}

function runBaseline(n, reps, dumpDir) {
  const args = ['--n', String(n), '--reps', String(reps), '--seed', String(SEED), '--scale', String(SCALE)];
  if (dumpDir !== undefined) args.push('--dump', dumpDir);
  let stdout;
  try {
    stdout = execFileSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  } catch (error) {
    fail(`the baseline ${binary} failed: ${error.stderr ?? error.message}`);
  }
  const lines = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
  return new Map(lines.map((line) => [line.case, line]));
}

/** Best wall time of `reps` runs of `body` after one warm-up run, in milliseconds. */
function bestMs(reps, body) {
  body();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    body();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms < best) best = ms;
  }
  return best;
}

/** On a hash mismatch: rerun the baseline with its outputs dumped and name the first differing element. */
function explainMismatch(n, name, input, jsOut) {
  const dir = mkdtempSync(join(os.tmpdir(), 'fp8-bench-'));
  try {
    runBaseline(n, 1, dir);
    const raw = readFileSync(join(dir, `${name}.bin`));
    const cOut = new jsOut.constructor(raw.buffer, raw.byteOffset, raw.byteLength / jsOut.BYTES_PER_ELEMENT);
    const i = jsOut.findIndex((v, k) => !Object.is(v, cOut[k]));
    if (i < 0) return 'the outputs agree on a second run (nondeterminism?)';
    const what = input instanceof Float32Array ? `input ${input[i]}` : `code 0x${input[i].toString(16)}`;
    const show = (v) => (jsOut instanceof Float32Array ? String(v) : `0x${v.toString(16)}`);
    return `first difference at element ${i} (${what}): JS ${show(jsOut[i])}, baseline ${show(cOut[i])}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const { n, reps } = parseArgs(process.argv.slice(2));
  if (!existsSync(distEntry)) fail(`${distEntry} is missing: build first (npx tsc -b packages/fp8-format)`);
  const { quantize, dequantize, E4M3, E5M2, FP16, BF16 } = await import(distEntry);

  const nvcc = findNvcc();
  let ref = null;
  if (nvcc !== null) {
    buildBaseline(nvcc);
    ref = runBaseline(n, reps); // before the JS runs, so the two never share the CPU
  }
  const data = ref?.get('data');

  const cpus = os.cpus();
  print({
    machine: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    os: `${os.platform()} ${os.arch()}`,
    node: process.version,
    backend: 'js',
    threads: 1,
    n,
    reps,
    baseline: data === undefined ? null : `${BASELINE} (${data.compiler}, ${NVCC_FLAGS.join(' ')})`,
  });
  if (ref === null) {
    print({ note: 'nvcc not found on PATH or at /usr/local/cuda/bin/nvcc: no baseline, ratios are null' });
  }

  const src = makeData(n);
  if (data !== undefined && fnv1a(src) !== data.srcHash) {
    fail(`input data differs from the baseline's (hash ${fnv1a(src)} vs ${data.srcHash}): fix makeData()`);
  }
  const codes8 = new Uint8Array(n);
  const codes16 = new Uint16Array(n);
  const out = new Float32Array(n);

  // Each case: the timed call, its input and output arrays (the output's bytes are compared with the
  // baseline's), and for a dequantize case the quantize case whose codes it decodes.
  const q = (format, options, dst) => () => quantize(format, src, dst, { scale: SCALE, ...options });
  const dq = (format) => () => dequantize(format, codes8, out, { scaleInv: SCALE_INV });
  const cases = [
    { name: 'quantize-e4m3', run: q(E4M3, {}, codes8), input: src, output: codes8 },
    { name: 'dequantize-e4m3', run: dq(E4M3), input: codes8, output: out, after: 'quantize-e4m3' },
    { name: 'quantize-e5m2', run: q(E5M2, {}, codes8), input: src, output: codes8 },
    { name: 'dequantize-e5m2', run: dq(E5M2), input: codes8, output: out, after: 'quantize-e5m2' },
    // saturate: false is __float2half_rn / __float2bfloat16_rn (overflow to Inf; none occurs in this data).
    { name: 'quantize-f16', run: q(FP16, { saturate: false }, codes16), input: src, output: codes16 },
    { name: 'quantize-bf16', run: q(BF16, { saturate: false }, codes16), input: src, output: codes16 },
    {
      name: 'quantize-e4m3-stochastic',
      run: q(E4M3, { rounding: 'stochastic', seed: 7 }, codes8),
      input: src,
      output: codes8,
    },
  ];

  for (const { name, run, input, output, after } of cases) {
    // A dequantize case decodes the codes its quantize case leaves; other cases ran since, so redo them.
    if (after !== undefined) cases.find((c) => c.name === after).run();
    const ms = bestMs(reps, run);
    const value = n / (ms * 1e3);
    const base = ref?.get(name);
    if (base !== undefined && fnv1a(output) !== base.hash) {
      fail(
        `${name}: JS output differs from ${BASELINE} (hash ${fnv1a(output)} vs ${base.hash}); ` +
          explainMismatch(n, name, input, output),
      );
    }
    print({
      bench: `fp8-format/${name}`,
      unit: 'Melem/s',
      value: Math.round(value * 10) / 10,
      baseline: base === undefined ? null : BASELINE,
      baselineValue: base === undefined ? null : base.value,
      ratio: base === undefined ? null : Math.round((value / base.value) * 100) / 100,
    });
  }
}

await main();
