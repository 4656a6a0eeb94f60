// Kernel profiling through timestamp-query: every dispatch between startProfile and stopProfile is
// timed and attributed to its pipeline key, across submits, without changing any result.
import type { WebGpuBackend } from '@fp8lm/kernels-webgpu';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import { describe, expect, it } from 'vitest';
import { availabilityTitle, backend, requireWebGpu, skip, unavailableReason } from './gpu.js';

const created = backend === undefined ? undefined : await createNodeWebGpuBackend({ profile: true });
const profiled: WebGpuBackend | undefined =
  created === undefined || 'unavailable' in created ? undefined : created;
const noTimestamps = profiled !== undefined && profiled.info.profiling !== 'available' && !requireWebGpu;

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** `count` f32 GEMMs of n³ and `fp8Count` E4M3 GEMMs of big³ on `gpu`; returns the last f32 C. */
async function work(gpu: WebGpuBackend, count: number, n: number, fp8Count: number, big: number) {
  const a = gpu.upload('f32', [n, n], values(n * n, 1));
  const b = gpu.upload('f32', [n, n], values(n * n, 2));
  const c = gpu.alloc('f32', [n, n]);
  const qa = gpu.alloc('e4m3', [big, big]);
  const qb = gpu.alloc('e4m3', [big, big]);
  const x = gpu.upload('f32', [big, big], values(big * big, 3));
  const qc = gpu.alloc('f32', [big, big]);
  gpu.quantize(x, qa, { scale: 256 });
  gpu.quantize(x, qb, { scale: 256 });
  for (let i = 0; i < count; i++) gpu.gemm(a, b, c, { beta: i === 0 ? 0 : 0.5 });
  for (let i = 0; i < fp8Count; i++) gpu.gemm(qa, qb, qc, { aScaleInv: 1 / 256, bScaleInv: 1 / 256 });
  const out = (await gpu.read(c)) as Float32Array;
  for (const t of [a, b, c, qa, qb, x, qc]) gpu.dispose(t);
  return out;
}

describe('webgpu kernel profile', () => {
  it.skipIf(skip)(availabilityTitle, () => expect(unavailableReason).toBe(''));
  if (backend === undefined) return;
  const plain = backend;

  it('is unavailable, with the reason, on a backend created without profile: true', async () => {
    expect(plain.info.profiling).toBe('not requested');
    expect(() => plain.startProfile()).toThrow(/unavailable on this backend \(not requested\)/);
    await expect(plain.stopProfile()).rejects.toThrow(/not requested/);
  });

  it('is available with profile: true (the adapter has timestamp-query)', () => {
    expect(profiled, 'createNodeWebGpuBackend({ profile: true })').toBeDefined();
    if (!requireWebGpu && profiled?.info.profiling !== 'available') return; // reported by the skips below
    expect(profiled?.info.profiling).toBe('available');
  });
  if (profiled === undefined) return;
  const gpu = profiled;
  const why = noTimestamps ? ` (skipped: ${gpu.info.profiling})` : '';

  it.skipIf(noTimestamps)(`times every dispatch by pipeline key, across submits${why}`, async () => {
    await work(gpu, 3, 16, 0, 16); // compiled and run once before: not in the profile
    gpu.startProfile();
    // 70 small f32 GEMMs (more than one submit's 64 dispatches), 2 quantizes and 3 FP8 GEMMs 512× larger.
    await work(gpu, 70, 32, 3, 256);
    const p = await gpu.stopProfile();
    const byKey = new Map(p.kernels.map((k) => [k.key, k]));
    const f32 = p.kernels.filter((k) => k.key.startsWith('gemm32:f32'));
    const e4m3 = p.kernels.filter((k) => k.key.startsWith('gemm32:e4m3'));
    expect(f32.map((k) => k.dispatches)).toEqual([70]);
    expect(e4m3.map((k) => k.dispatches)).toEqual([3]);
    expect(byKey.get('quantize/e4m3/plain')?.dispatches).toBe(2);
    expect(p.dispatches).toBe(75);
    expect(p.gpuMs).toBeCloseTo(
      p.kernels.reduce((s, k) => s + k.gpuMs, 0),
      9,
    );
    // Real times: the FP8 GEMMs (512× the flops) take longer per dispatch than the small ones, and
    // the device was not busy for longer than the wall clock ran.
    const perSmall = f32[0].gpuMs / 70;
    const perBig = e4m3[0].gpuMs / 3;
    expect(perSmall).toBeGreaterThan(0);
    expect(perBig).toBeGreaterThan(10 * perSmall);
    expect(p.gpuMs).toBeLessThanOrEqual(p.wallMs * 1.01);
    // Most time first.
    for (let i = 1; i < p.kernels.length; i++) {
      expect(p.kernels[i].gpuMs).toBeLessThanOrEqual(p.kernels[i - 1].gpuMs);
    }
  });

  it.skipIf(noTimestamps)(`leaves results unchanged, and each profile starts empty${why}`, async () => {
    const plain = await work(gpu, 5, 40, 0, 16);
    gpu.startProfile();
    const timed = await work(gpu, 5, 40, 0, 16);
    const first = await gpu.stopProfile();
    gpu.startProfile();
    const second = await gpu.stopProfile();
    expect(timed).toEqual(plain);
    expect(first.dispatches).toBe(7);
    expect(second).toMatchObject({ dispatches: 0, gpuMs: 0, kernels: [] });
  });

  it.skipIf(noTimestamps)(`ends at the stopProfile call, not when its promise resolves${why}`, async () => {
    const x = gpu.upload('f32', [64], values(64, 4));
    const q = gpu.alloc('e4m3', [64]);
    gpu.startProfile();
    gpu.quantize(x, q, { scale: 2 });
    const stopped = gpu.stopProfile();
    const m = gpu.alloc('f32', [1]);
    gpu.amax(x, m); // recorded after the stop: not timed
    const p = await stopped;
    expect(p.kernels.map((k) => [k.key, k.dispatches])).toEqual([['quantize/e4m3/plain', 1]]);
    expect((await gpu.read(m))[0]).toBe(Math.max(...values(64, 4).map(Math.abs)));
    for (const t of [x, q, m]) gpu.dispose(t);
  });

  it.skipIf(noTimestamps)(`rejects a stop without a start, and a second start${why}`, async () => {
    await expect(gpu.stopProfile()).rejects.toThrow(/not started/);
    gpu.startProfile();
    expect(() => gpu.startProfile()).toThrow(/already started/);
    await gpu.stopProfile();
    expect(gpu.liveTensors).toBe(0);
  });
});
