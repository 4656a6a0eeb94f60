// GEMM checks beyond the conformance cases: a multi-tile FP8 product with ragged edges against the
// CPU reference, the pipeline cache, and buffer aliasing (which WebGPU itself would reject).
import { quantize as quantizeHost } from '@fp8lm/fp8-format';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend, DeviceTensor, GemmInputDType, GemmOptions } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';
import { availabilityTitle, backend, skip, unavailableReason } from './gpu.js';

/** Deterministic values in ±[2^-3, 2^3]. */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const mag = 2 ** ((s / 2 ** 32) * 6 - 3);
    out[i] = s & 1 ? -mag : mag;
  }
  return out;
}

/** `x` as codes of an FP8 dtype, scaled to half its range; returns the codes and their scaleInv. */
function fp8(dtype: 'e4m3' | 'e5m2', x: Float32Array): { codes: Uint8Array; scaleInv: number } {
  const max = dtype === 'e4m3' ? 448 : 57344;
  const scale = Math.fround(max / 2 / 8);
  const codes = new Uint8Array(x.length);
  quantizeHost(dtype, x, codes, { scale });
  return { codes, scaleInv: 1 / scale };
}

interface Problem {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: { dtype: GemmInputDType; shape: number[]; data: Uint8Array | Float32Array };
  readonly b: { dtype: GemmInputDType; shape: number[]; data: Uint8Array | Float32Array };
  readonly bias: Float32Array;
  readonly options: GemmOptions;
}

/** Runs one problem on a backend and reads C back. */
async function run(be: Backend, p: Problem): Promise<Float32Array> {
  const a = be.upload(p.a.dtype, p.a.shape, p.a.data as never);
  const b = be.upload(p.b.dtype, p.b.shape, p.b.data as never);
  const c = be.upload('f32', [p.m, p.n], new Float32Array(p.m * p.n).fill(Number.NaN));
  const bias = be.upload('f32', [p.n], p.bias);
  try {
    be.gemm(a, b, c, { ...p.options, bias });
    return (await be.read(c)) as Float32Array;
  } finally {
    for (const t of [a, b, c, bias]) be.dispose(t);
  }
}

describe('webgpu gemm', () => {
  it.skipIf(skip)(availabilityTitle, () => {
    expect(backend === undefined ? unavailableReason : 'available').toBe('available');
  });
  if (backend === undefined) return;
  const gpu = backend;

  // Both tile sizes: 32×32 below 64 workgroups of 64×64 (130×70: 3×2 of them), 64×64 above (521×517:
  // 9×9), each with ragged edges.
  for (const [m, n, k, tile] of [
    [130, 70, 90, 32],
    [521, 517, 45, 64],
  ]) {
    it(`a ${m}×${n}×${k} E4M3 × E5M2ᵀ product (${tile}×${tile} tiles, ragged edges) matches kernels-cpu`, async () => {
      const a = fp8('e4m3', values(m * k, 1));
      const b = fp8('e5m2', values(n * k, 2));
      const p: Problem = {
        m,
        n,
        k,
        a: { dtype: 'e4m3', shape: [m, k], data: a.codes },
        b: { dtype: 'e5m2', shape: [n, k], data: b.codes },
        bias: values(n, 3),
        options: { transB: true, alpha: 0.75, aScaleInv: a.scaleInv, bScaleInv: b.scaleInv },
      };
      const before = new Set(gpu.pipelineKeys);
      const found = await run(gpu, p);
      const added = gpu.pipelineKeys.filter((key) => !before.has(key));
      expect(added.some((key) => key.startsWith(`gemm${tile}:`))).toBe(true);
      const expected = await run(createCpuBackend({ fast: false }), p);
      // |a|, |b| ≤ 8 (after scaleInv), so Σ|a·b| ≤ 64 K; each backend is within the f32 bound
      // 2 (K + 4) u · 64 K ≈ 0.065 of the exact sum (K = 90), so 0.25 admits both orders yet catches a
      // dropped or doubled term (typically ~4) and any mis-decoded code.
      const tol = 0.25;
      let worst = 0;
      for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(found[i] - expected[i]));
      expect(worst).toBeLessThanOrEqual(tol);
      expect(found.every(Number.isFinite)).toBe(true);
    });
  }

  it('compiled both tile sizes', () => {
    const tiles = new Set(gpu.pipelineKeys.filter((k) => k.startsWith('gemm')).map((k) => k.split(':')[0]));
    expect([...tiles].sort()).toEqual(['gemm32', 'gemm64']);
  });

  it('compiles one pipeline per GEMM variant: the same shape twice adds none', async () => {
    const p: Problem = {
      m: 33,
      n: 20,
      k: 40,
      a: { dtype: 'f32', shape: [40, 33], data: values(33 * 40, 4) },
      b: { dtype: 'f32', shape: [40, 20], data: values(40 * 20, 5) },
      bias: values(20, 6),
      options: { transA: true },
    };
    const first = await run(gpu, p);
    const count = gpu.pipelineCount;
    const second = await run(gpu, p);
    expect(gpu.pipelineCount).toBe(count);
    expect(second).toEqual(first);
  });

  it('rejects a C (or amaxOut) that shares its buffer with an input', () => {
    const owned: DeviceTensor[] = [];
    const t = <D extends 'f32' | 'e4m3'>(dtype: D, shape: number[]) => {
      const x = gpu.alloc(dtype, shape);
      owned.push(x);
      return x;
    };
    try {
      const a = t('f32', [4, 4]);
      const b = t('e4m3', [4, 4]);
      const c = t('f32', [4, 4]);
      const amax = t('f32', [4]);
      expect(() => gpu.gemm(a, b, gpu.view(a, [4, 4]))).toThrow(/^c: must not share its buffer with a/);
      const row = t('f32', [1, 4]);
      const c1 = t('f32', [1, 4]);
      expect(() => gpu.gemm(row, b, c1, { bias: gpu.view(c1, [4]) })).toThrow(
        /^c: must not share its buffer with bias/,
      );
      expect(() => gpu.gemm(a, b, c, { amaxOut: gpu.view(c, [16]) })).toThrow(/^amaxOut:/);
      expect(() => gpu.gemm(a, b, c, { amaxOut: gpu.view(a, [16]) })).toThrow(/^amaxOut:/);
      gpu.gemm(a, b, c, { amaxOut: amax, amaxIndex: 3 }); // a separate amax buffer is fine
    } finally {
      for (const x of owned) gpu.dispose(x);
    }
  });
});
