// The backend in a real browser: headless Chromium loads the built main entry through an import map
// (no bundler) and runs quantize and an FP8 GEMM on navigator.gpu; Node checks the results against
// kernels-cpu. Without /usr/bin/chromium or a WebGPU adapter in the page the suite is skipped with the
// reason — except in CI and with FP8LM_REQUIRE_WEBGPU=1, where that fails it.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callPage,
  closeBrowserPage,
  openBrowserPage,
  requireWebGpu,
} from '../../../tools/test-support/browser-page.js';
import { startPageServer } from '../../../tools/test-support/page-server.js';

/** What page.js's open() answers. */
type Opened = { adapter: string; shaderF16Status: string } | { unavailable: string };

// The page serves the main entries only: kernels-webgpu's Node entry (dist/node/) is refused.
const server = await startPageServer({
  pageDir: join(dirname(fileURLToPath(import.meta.url)), 'browser'),
  packages: ['kernels-webgpu', 'tensor-interface', 'fp8-format'],
  refuse: (name, rest) => name === 'kernels-webgpu' && rest.startsWith('node/'),
});
const launched = await openBrowserPage<Opened>(server);
const session = 'session' in launched ? launched.session : undefined;
const opened =
  'reason' in launched
    ? { reason: launched.reason }
    : 'unavailable' in launched.opened
      ? { reason: `the page has no WebGPU: ${launched.opened.unavailable}` }
      : { adapter: `${launched.opened.adapter} (shader-f16: ${launched.opened.shaderF16Status})` };
const ready = 'adapter' in opened;

/** Runs one page.js function with a JSON-safe argument. */
function inPage<T>(fn: 'quantize' | 'gemm', arg: object): Promise<T> {
  if (session === undefined) throw new Error('no browser session');
  return callPage<T>(session, fn, arg);
}

/** The uint32 bit patterns of float32 values (what crosses the page boundary). */
const bitsOf = (x: Float32Array): number[] => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const floats = (bits: readonly number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);

/** Deterministic values over the whole E4M3 range and beyond (LCG), with the special values up front. */
function quantizeInput(n: number): Float32Array {
  const specials = [
    0,
    -0,
    Number.NaN,
    Infinity,
    -Infinity,
    448,
    -448,
    464,
    480,
    1e-3,
    2 ** -9,
    2 ** -10,
    3e38,
  ];
  const x = new Float32Array(n);
  x.set(specials);
  let s = 12345;
  for (let i = specials.length; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const sign = s & 1 ? -1 : 1;
    x[i] = sign * 2 ** (((s >>> 8) / 2 ** 24) * 32 - 20); // 2^-20 … 2^12
  }
  return x;
}

function uniform(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return x;
}

describe('kernels-webgpu in headless Chromium', () => {
  afterAll(() => closeBrowserPage(session));

  const title =
    'adapter' in opened
      ? `the page runs on ${opened.adapter}`
      : `the page has a WebGPU adapter (it does not: ${opened.reason})`;
  it.skipIf(!ready && !requireWebGpu)(title, () => {
    expect('reason' in opened ? opened.reason : 'available').toBe('available');
    // The page ran on the main entry alone: the Node entry (dist/node/) was never asked for.
    expect(session?.server.requested.filter((p) => p.includes('/node/'))).toEqual([]);
  });

  it.runIf(ready)('quantize to E4M3 (device scale, fused amax) is bit-exact with kernels-cpu', async () => {
    const x = quantizeInput(4099); // not a multiple of 4: the last code word is partial
    const scale = 2.5;
    const got = await inPage<{ codes: number[]; amaxBits: number[]; live: number }>('quantize', {
      xBits: bitsOf(x),
      scale,
    });
    const cpu = createCpuBackend({ fast: false });
    const src = cpu.upload('f32', [x.length], x);
    const dst = cpu.alloc('e4m3', [x.length]);
    const amax = cpu.alloc('f32', [2]);
    cpu.quantize(src, dst, {
      scale: cpu.upload('f32', [1], new Float32Array([scale])),
      amaxOut: amax,
      amaxIndex: 1,
    });
    const codes = await cpu.read(dst);
    const want = await cpu.read(amax);
    const mismatch = Array.from(codes).findIndex((c, i) => c !== got.codes[i]);
    expect(got.codes.length).toBe(x.length);
    expect(
      mismatch,
      mismatch < 0
        ? ''
        : `x[${mismatch}] = ${x[mismatch]}: code ${got.codes[mismatch]}, want ${codes[mismatch]}`,
    ).toBe(-1);
    expect(Array.from(floats(got.amaxBits))).toEqual(Array.from(want)); // [0, NaN]: the NaN wins
    expect(got.live).toBe(0);
  });

  it.runIf(ready)('FP8 GEMM e4m3 × e4m3 with scaleInvs, 64×48×80, matches kernels-cpu', async () => {
    const [m, k, n] = [64, 48, 80];
    const a = uniform(m * k, 1);
    const b = uniform(k * n, 2);
    const scale = 224; // amax 2 → 448 / 2
    const got = await inPage<{ aCodes: number[]; bCodes: number[]; cBits: number[]; live: number }>('gemm', {
      m,
      k,
      n,
      aBits: bitsOf(a),
      bBits: bitsOf(b),
      scale,
    });
    const cpu = createCpuBackend({ fast: false });
    const qa = cpu.alloc('e4m3', [m, k]);
    const qb = cpu.alloc('e4m3', [k, n]);
    cpu.quantize(cpu.upload('f32', [m, k], a), qa, { scale });
    cpu.quantize(cpu.upload('f32', [k, n], b), qb, { scale });
    const c = cpu.alloc('f32', [m, n]);
    cpu.gemm(qa, qb, c, {
      aScaleInv: 1 / scale,
      bScaleInv: cpu.upload('f32', [1], new Float32Array([1 / scale])),
    });
    expect(got.aCodes).toEqual(Array.from(await cpu.read(qa)));
    expect(got.bCodes).toEqual(Array.from(await cpu.read(qb)));
    const want = await cpu.read(c);
    const found = floats(got.cBits);
    // Only the summation order may differ: 1e-5 of max|C| is ~100× a float32 sum's rounding over K = 48.
    const maxAbs = want.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0);
    let worst = 0;
    let at = 0;
    for (let i = 0; i < want.length; i++) {
      const err = Math.abs(found[i] - want[i]);
      if (!(err <= worst)) [worst, at] = [err, i]; // NaN counts as the worst
    }
    expect(maxAbs).toBeGreaterThan(0);
    expect(
      worst / maxAbs,
      `C[${at}] = ${found[at]}, want ${want[at]} (max|C| ${maxAbs})`,
    ).toBeLessThanOrEqual(1e-5);
    expect(got.live).toBe(0);
  });
});
