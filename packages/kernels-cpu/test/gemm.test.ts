import { Worker } from 'node:worker_threads';
import { conformanceCases } from '@fp8lm/conformance';
import { quantize } from '@fp8lm/fp8-format';
import { configureFastPath, createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { afterAll, describe, expect, it } from 'vitest';

const gemmCases = conformanceCases.filter((c) => c.op === 'gemm');
const status = fastPathStatus();

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

async function gemmF32(
  backend: Backend,
  a: Float32Array,
  aShape: [number, number],
  b: Float32Array,
  bShape: [number, number],
  cShape: [number, number],
  transA: boolean,
  transB: boolean,
): Promise<Float32Array> {
  const ta = backend.upload('f32', aShape, a);
  const tb = backend.upload('f32', bShape, b);
  const tc = backend.alloc('f32', cShape);
  backend.gemm(ta, tb, tc, { transA, transB });
  const out = await backend.read(tc);
  for (const t of [ta, tb, tc]) backend.dispose(t as DeviceTensor);
  return out;
}

describe('gemm: backward of a linear layer through transposes, against f64 finite differences', () => {
  // Y = X·W (X [M, K], W [K, N]); loss L = Σ G ⊙ Y. Then dL/dX = G·Wᵀ and dL/dW = Xᵀ·G: the two
  // backward GEMMs of every linear layer, written with transB / transA on the stored tensors.
  const [M, K, N] = [5, 7, 3];
  const x = random(M * K, 1);
  const w = random(K * N, 2);
  const g = random(M * N, 3);
  const loss = (xs: Float64Array, ws: Float64Array) => {
    let l = 0;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let y = 0;
        for (let p = 0; p < K; p++) y += xs[i * K + p] * ws[p * N + j];
        l += g[i * N + j] * y;
      }
    return l;
  };
  const fd = (which: 'x' | 'w'): Float64Array => {
    const xs = Float64Array.from(x);
    const ws = Float64Array.from(w);
    const v = which === 'x' ? xs : ws;
    const grad = new Float64Array(v.length);
    const h = 1e-6;
    for (let i = 0; i < v.length; i++) {
      const keep = v[i];
      v[i] = keep + h;
      const up = loss(xs, ws);
      v[i] = keep - h;
      const down = loss(xs, ws);
      v[i] = keep;
      grad[i] = (up - down) / (2 * h);
    }
    return grad;
  };
  for (const fast of [false, true]) {
    it(`${fast ? 'fast path' : 'reference'}: dX = G·Wᵀ and dW = Xᵀ·G`, async (ctx) => {
      if (fast && !status.available) ctx.skip();
      const backend = createCpuBackend({ fast });
      const dx = await gemmF32(backend, g, [M, N], w, [K, N], [M, K], false, true);
      const dw = await gemmF32(backend, x, [M, K], g, [M, N], [K, N], true, false);
      const fx = fd('x');
      const fw = fd('w');
      for (let i = 0; i < dx.length; i++) expect(Math.abs(dx[i] - fx[i])).toBeLessThan(1e-6);
      for (let i = 0; i < dw.length; i++) expect(Math.abs(dw[i] - fw[i])).toBeLessThan(1e-6);
    });
  }
});

describe('gemm: the fast path agrees with the reference on a larger problem', () => {
  it('f32 300×200×600 with transposes, and FP8 E4M3×E4M3 with per-tensor scales', async (ctx) => {
    if (!status.available) ctx.skip();
    const [M, N, K] = [300, 200, 600];
    const a = random(M * K, 4);
    const b = random(K * N, 5);
    const ref = createCpuBackend({ fast: false });
    const fast = createCpuBackend({ fast: true });
    const r = await gemmF32(ref, a, [K, M], b, [N, K], [M, N], true, true);
    const f = await gemmF32(fast, a, [K, M], b, [N, K], [M, N], true, true);
    // |terms| ≤ 1/4, K = 600: f32 error ≤ 2·K·u·K/4 ≈ 1.1e-2 worst case; typically ~1e-5.
    let worst = 0;
    for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(r[i] - f[i]));
    expect(worst).toBeLessThan(1e-3);

    const qa = new Uint8Array(M * K);
    const qb = new Uint8Array(K * N);
    quantize('e4m3', a, qa, { scale: 800 });
    quantize('e4m3', b, qb, { scale: 600 });
    const outs: Float32Array[] = [];
    for (const backend of [ref, fast]) {
      const ta = backend.upload('e4m3', [M, K], qa);
      const tb = backend.upload('e4m3', [K, N], qb);
      const tc = backend.alloc('f32', [M, N]);
      backend.gemm(ta, tb, tc, { aScaleInv: 1 / 800, bScaleInv: 1 / 600 });
      outs.push(await backend.read(tc));
      for (const t of [ta, tb, tc]) backend.dispose(t as DeviceTensor);
    }
    worst = 0;
    for (let i = 0; i < outs[0].length; i++) worst = Math.max(worst, Math.abs(outs[0][i] - outs[1][i]));
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('gemm: every micro-kernel and thread count of the fast path passes the gemm cases', () => {
  // Reported as skipped where the fast path is not built; the conformance test makes CI fail then.
  it.skipIf(!status.available)(
    `the fast path is available${status.available ? '' : ` (it is not: ${status.reason})`}`,
    () => {
      expect(status.available).toBe(true);
    },
  );
  if (!status.available) return;
  const defaults = status.info;
  afterAll(() => {
    configureFastPath({ kernel: defaults.kernel, threads: defaults.threads });
  });
  const backend = createCpuBackend({ fast: true });
  for (const kernel of defaults.kernels) {
    for (const threads of [1, 2]) {
      it(`${kernel} kernel, ${threads} thread(s)`, async () => {
        const info = configureFastPath({ kernel, threads });
        expect(info.kernel).toBe(kernel);
        const failed: string[] = [];
        for (const c of gemmCases) {
          try {
            await c.run(backend);
          } catch (e) {
            failed.push(`${c.name}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        expect(failed).toEqual([]);
      });
    }
  }
  it('rejects unknown kernels and thread counts', () => {
    expect(() => configureFastPath({ kernel: 'sse9' })).toThrow(RangeError);
    expect(() => configureFastPath({ threads: 0 })).toThrow(RangeError);
  });
});

describe('gemm: the fast path from several threads at once', () => {
  it('two worker threads and the main thread run GEMMs concurrently and get the same result', async (ctx) => {
    if (!status.available) ctx.skip();
    // Each worker loads the addon in its own environment (the addon is context-aware); calls are
    // serialized inside it, so they are safe, just not faster.
    const code = `
      const { parentPort } = require('node:worker_threads');
      import('@fp8lm/kernels-cpu').then(async ({ createCpuBackend }) => {
        const be = createCpuBackend({ fast: true });
        const n = 96;
        const a = be.upload('f32', [n, n], Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3));
        const c = be.alloc('f32', [n, n]);
        for (let r = 0; r < 20; r++) be.gemm(a, a, c, { transB: true });
        parentPort.postMessage(Array.from(await be.read(c)));
      });`;
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const w = new Worker(code, { eval: true });
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const pending = [run(), run()];
    const be = createCpuBackend({ fast: true });
    const n = 96;
    const a = be.upload(
      'f32',
      [n, n],
      Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3),
    );
    const c = be.alloc('f32', [n, n]);
    for (let r = 0; r < 20; r++) be.gemm(a, a, c, { transB: true });
    const mine = Array.from(await be.read(c));
    for (const result of await Promise.all(pending)) expect(result).toEqual(mine);
  });
});
