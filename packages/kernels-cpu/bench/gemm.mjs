#!/usr/bin/env node
import { readFileSync } from 'node:fs';
// GEMM benchmark of the kernels-cpu fast path against TensorFlow.js's wasm backend `matMul`, side by
// side in one run. Prints JSON lines: first the machine and backends, then for N = 256, 512, 1024,
// 2048 the f32 GEMM and the FP8 GEMM (E4M3 × E4M3 with per-tensor scales, decode included, f32 out)
// in GFLOP/s (2·N³ / time), each with TF.js wasm f32 matMul of the same size as the baseline.
//
// Timing: after a warm-up, rounds interleave TF.js, f32 and FP8 (so a change in machine load hits
// all three alike) until TF.js has run ~1.2 s (at least 3 rounds); a round times a burst of
// back-to-back calls (16 at N = 256, 4 at 512, 1 above), as a training step issues them; each
// figure is the median round. TF.js is timed without reading its result back (its wasm kernels
// run synchronously inside matMul), kernels-cpu likewise (`gemm` writes C before it returns).
// `--quick` runs 256 and 512 only. Whole run: about a minute on 2 cores.
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';
import { quantize } from '@fp8lm/fp8-format';
import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

const quick = process.argv.includes('--quick');
const status = fastPathStatus();
const backend = createCpuBackend();
// Without the fast path the TypeScript reference runs: far slower, so only the small sizes.
const sizes = quick || !status.available ? [256, 512] : [256, 512, 1024, 2048];

function emit(obj) {
  console.log(JSON.stringify(obj));
}

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const flags = new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.has(f));
  } catch {
    return undefined;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const round1 = (x) => Math.round(x * 10) / 10;
const round3 = (x) => Math.round(x * 1000) / 1000;

function randomF32(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

await tf.setBackend('wasm');
await tf.ready();

emit({
  bench: 'kernels-cpu/machine',
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  cpuFlags: cpuFlags(),
  memGiB: round1(totalmem() / 2 ** 30),
  freeMemGiB: round1(freemem() / 2 ** 30),
  loadavg: loadavg().map(round1),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  backend: status.available
    ? `kernels-cpu fast path (native addon, ${status.info.kernel} ${status.info.mr}x${status.info.nr} kernel, ${status.info.threads} threads)`
    : `kernels-cpu TypeScript reference (fast path unavailable: ${status.reason})`,
  baseline: `tfjs-backend-wasm ${tfwasm.version_wasm} matMul f32 (${tfwasm.getThreadsCount()} thread${tfwasm.getThreadsCount() === 1 ? '' : 's'})`,
  timing:
    'median of interleaved rounds (bursts of back-to-back calls) after warm-up; GFLOP/s = 2*N^3 / time per call',
});

for (const n of sizes) {
  const flop = 2 * n ** 3;
  const a = randomF32(n * n, n);
  const b = randomF32(n * n, n + 1);
  // TF.js
  const ta = tf.tensor2d(a, [n, n]);
  const tb = tf.tensor2d(b, [n, n]);
  // kernels-cpu f32
  const ca = backend.upload('f32', [n, n], a);
  const cb = backend.upload('f32', [n, n], b);
  const cc = backend.alloc('f32', [n, n]);
  // kernels-cpu FP8: E4M3 codes with per-tensor scales (amax 2 → scale 448/2), decoded in the GEMM.
  const qa = new Uint8Array(n * n);
  const qb = new Uint8Array(n * n);
  quantize('e4m3', a, qa, { scale: 224 });
  quantize('e4m3', b, qb, { scale: 224 });
  const fa = backend.upload('e4m3', [n, n], qa);
  const fb = backend.upload('e4m3', [n, n], qb);
  const fp8Options = { aScaleInv: 1 / 224, bScaleInv: 1 / 224 };

  // One timing covers a burst of `burst` back-to-back calls (as in a training step), per call.
  const burst = n <= 256 ? 16 : n <= 512 ? 4 : 1;
  const timed = (fn) => () => {
    const t0 = performance.now();
    for (let r = 0; r < burst; r++) fn();
    return (performance.now() - t0) / burst;
  };
  const runTf = timed(() => tf.matMul(ta, tb).dispose());
  const runF32 = timed(() => backend.gemm(ca, cb, cc));
  const runFp8 = timed(() => backend.gemm(fa, fb, cc, fp8Options));

  // Warm-up (JIT, wasm tiering, the addon's scratch buffers and thread pool).
  runTf();
  runF32();
  runFp8();
  const times = { tf: [], f32: [], fp8: [] };
  let tfTotal = 0;
  const budget = status.available ? 1200 : 300;
  while (times.tf.length < 3 || (tfTotal < budget && times.tf.length < 30)) {
    const t = runTf();
    tfTotal += t * burst;
    times.tf.push(t);
    times.f32.push(runF32());
    times.fp8.push(runFp8());
  }
  const gflops = (ms) => flop / (ms / 1000) / 1e9;
  const base = gflops(median(times.tf));
  for (const [what, key] of [
    ['gemm-f32', 'f32'],
    ['gemm-fp8-e4m3', 'fp8'],
  ]) {
    const value = gflops(median(times[key]));
    emit({
      bench: `kernels-cpu/${what}-${n}`,
      unit: 'GFLOP/s',
      value: round1(value),
      baseline: 'tfjs-wasm-matmul-f32',
      baselineValue: round1(base),
      ratio: round3(value / base),
      n,
      rounds: times[key].length,
      callsPerRound: burst,
    });
  }
  tf.dispose([ta, tb]);
  for (const t of [ca, cb, cc, fa, fb]) backend.dispose(t);
}
