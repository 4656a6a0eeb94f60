// Shared pieces of the backends' GEMM benchmarks (packages/kernels-*/bench/gemm.mjs): the JSON-lines
// output, the machine description, the operands, and the figures of one size. Each bench keeps its own
// timing loop, which is what differs between a synchronous CPU backend and a queued GPU one.
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { quantize } from '@fp8lm/fp8-format';

/** Prints one JSON line. */
export const emit = (obj) => console.log(JSON.stringify(obj));
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const round1 = (x) => Math.round(x * 10) / 10;
export const round3 = (x) => Math.round(x * 1000) / 1000;

/** Deterministic values in [-2, 2) (a 32-bit LCG), the same on every run. */
export function randomF32(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

/** The fields of a bench's first line that describe the machine. */
export function machine() {
  return {
    cpu: cpus()[0]?.model.trim(),
    cores: availableParallelism(),
    memGiB: round1(totalmem() / 2 ** 30),
    loadavg: loadavg().map(round1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/**
 * The operands of an N×N×N GEMM on `backend`: f32 A, B and C, and A, B as E4M3 codes with per-tensor
 * scales (amax 2 → scale 448 / 2), decoded inside the GEMM (`fp8Options`). `a`, `b` are the host values.
 */
export function gemmOperands(backend, n) {
  const a = randomF32(n * n, n);
  const b = randomF32(n * n, n + 1);
  const qa = new Uint8Array(n * n);
  const qb = new Uint8Array(n * n);
  quantize('e4m3', a, qa, { scale: 224 });
  quantize('e4m3', b, qb, { scale: 224 });
  const tensors = {
    a32: backend.upload('f32', [n, n], a),
    b32: backend.upload('f32', [n, n], b),
    c: backend.alloc('f32', [n, n]),
    a8: backend.upload('e4m3', [n, n], qa),
    b8: backend.upload('e4m3', [n, n], qb),
  };
  return {
    a,
    b,
    ...tensors,
    fp8Options: { aScaleInv: 1 / 224, bScaleInv: 1 / 224 },
    dispose: () => {
      for (const t of Object.values(tensors)) backend.dispose(t);
    },
  };
}

/**
 * Emits the f32 and FP8 figures of one size from per-call times in ms (`times.tf`, `times.f32`,
 * `times.fp8`: one entry per round), as GFLOP/s against the TF.js baseline's median.
 */
export function emitGemmFigures({ pkg, n, times, baseline, callsPerRound, digits = round1, extra = {} }) {
  const flop = 2 * n ** 3;
  const gflops = (ms) => flop / (ms / 1000) / 1e9;
  const base = gflops(median(times.tf));
  for (const [what, key] of [
    ['gemm-f32', 'f32'],
    ['gemm-fp8-e4m3', 'fp8'],
  ]) {
    const value = gflops(median(times[key]));
    emit({
      bench: `${pkg}/${what}-${n}`,
      unit: 'GFLOP/s',
      value: digits(value),
      baseline,
      baselineValue: digits(base),
      ratio: round3(value / base),
      n,
      rounds: times[key].length,
      callsPerRound,
      ...extra,
    });
  }
}
