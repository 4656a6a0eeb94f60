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
import { freemem } from 'node:os';
import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  emit,
  emitGemmFigures,
  gemmOperands,
  machine,
  round1,
} from '../../../tools/bench-support/gemm-bench.mjs';

const quick = process.argv.includes('--quick');
const status = fastPathStatus();
const backend = createCpuBackend();
// Without the fast path the TypeScript reference runs: far slower, so only the small sizes.
const sizes = quick || !status.available ? [256, 512] : [256, 512, 1024, 2048];

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

await tf.setBackend('wasm');
await tf.ready();

emit({
  bench: 'kernels-cpu/machine',
  ...machine(),
  cpuFlags: cpuFlags(),
  freeMemGiB: round1(freemem() / 2 ** 30),
  backend: status.available
    ? `kernels-cpu fast path (native addon, ${status.info.kernel} ${status.info.mr}x${status.info.nr} kernel, ${status.info.threads} threads)`
    : `kernels-cpu TypeScript reference (fast path unavailable: ${status.reason})`,
  baseline: `tfjs-backend-wasm ${tfwasm.version_wasm} matMul f32 (${tfwasm.getThreadsCount()} thread${tfwasm.getThreadsCount() === 1 ? '' : 's'})`,
  timing:
    'median of interleaved rounds (bursts of back-to-back calls) after warm-up; GFLOP/s = 2*N^3 / time per call',
});

for (const n of sizes) {
  const ops = gemmOperands(backend, n);
  const ta = tf.tensor2d(ops.a, [n, n]);
  const tb = tf.tensor2d(ops.b, [n, n]);

  // One timing covers a burst of `burst` back-to-back calls (as in a training step), per call.
  const burst = n <= 256 ? 16 : n <= 512 ? 4 : 1;
  const timed = (fn) => () => {
    const t0 = performance.now();
    for (let r = 0; r < burst; r++) fn();
    return (performance.now() - t0) / burst;
  };
  const runTf = timed(() => tf.matMul(ta, tb).dispose());
  const runF32 = timed(() => backend.gemm(ops.a32, ops.b32, ops.c));
  const runFp8 = timed(() => backend.gemm(ops.a8, ops.b8, ops.c, ops.fp8Options));

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
  emitGemmFigures({ pkg: 'kernels-cpu', n, times, baseline: 'tfjs-wasm-matmul-f32', callsPerRound: burst });
  tf.dispose([ta, tb]);
  ops.dispose();
}
