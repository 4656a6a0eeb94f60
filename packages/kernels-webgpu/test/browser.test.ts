// The backend in a real browser: headless Chromium loads the built main entry through an import map
// (no bundler) and runs quantize and an FP8 GEMM on navigator.gpu; Node checks the results against
// kernels-cpu. Without /usr/bin/chromium or a WebGPU adapter in the page the suite is skipped with the
// reason — except in CI and with FP8LM_REQUIRE_WEBGPU=1, where that fails it.
import { existsSync } from 'node:fs';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type PageServer, startPageServer } from './browser/server.js';

// As test/gpu.ts (not imported: it opens a Dawn device this file does not need).
const requireWebGpu = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_WEBGPU === '1';
const CHROMIUM = process.env.FP8LM_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags that give navigator.gpu a SwiftShader adapter on a machine without a GPU (Chromium bundles
 * SwiftShader's Vulkan driver): `--enable-unsafe-webgpu` turns WebGPU on where Chromium's blocklist has
 * it off (Linux), `--use-webgpu-adapter=swiftshader` picks the CPU adapter so the result does not hang on
 * whatever GPU driver the machine has, `--use-angle=swiftshader` keeps the compositor off the GPU too.
 */
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

interface Session {
  readonly browser: Browser;
  readonly page: Page;
  readonly server: PageServer;
  /** Console errors and uncaught exceptions of the page, for failure messages. */
  readonly errors: string[];
}

interface PageApi {
  open(): Promise<{ adapter: string; shaderF16Status: string } | { unavailable: string }>;
}

/** Launches Chromium on the test page and waits for page.js to load; any failure says why. */
async function openSession(): Promise<{ session?: Session; adapter?: string; reason?: string }> {
  if (!existsSync(CHROMIUM)) return { reason: `${CHROMIUM} is missing (apt-get install chromium)` };
  const server = await startPageServer();
  const errors: string[] = [];
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => 'fp8lmPage' in globalThis, undefined, { timeout: 30_000 });
    const opened = await page.evaluate(() =>
      (globalThis as unknown as { fp8lmPage: PageApi }).fp8lmPage.open(),
    );
    const session = { browser, page, server, errors };
    if ('unavailable' in opened) return { session, reason: `the page has no WebGPU: ${opened.unavailable}` };
    return { session, adapter: `${opened.adapter} (shader-f16: ${opened.shaderF16Status})` };
  } catch (e) {
    await browser?.close();
    await server.close();
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { reason: `${why}${errors.length > 0 ? ` [${errors.join('; ')}]` : ''}` };
  }
}

const opened = await openSession();
const session = opened.session;
const ready = opened.adapter !== undefined;

/** Runs one page.js function with a JSON-safe argument; page errors are appended to a failure. */
async function inPage<T>(fn: 'quantize' | 'gemm', arg: object): Promise<T> {
  if (session === undefined) throw new Error('no browser session');
  try {
    return await session.page.evaluate(
      ([name, a]) =>
        (globalThis as unknown as { fp8lmPage: Record<string, (x: object) => Promise<T>> }).fp8lmPage[name](
          a,
        ),
      [fn, arg] as const,
    );
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `${why}${session.errors.length > 0 ? `\npage errors:\n${session.errors.join('\n')}` : ''}`,
    );
  }
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
  afterAll(async () => {
    await session?.browser.close();
    await session?.server.close();
  });

  const title = ready
    ? `the page runs on ${opened.adapter}`
    : `the page has a WebGPU adapter (it does not: ${opened.reason})`;
  it.skipIf(!ready && !requireWebGpu)(title, () => {
    expect(opened.reason ?? 'available').toBe('available');
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
