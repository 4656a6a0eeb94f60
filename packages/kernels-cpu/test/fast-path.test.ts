import { resolveFormat } from '@fp8lm/fp8-format';
import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import { type Backend, CODE_DTYPES, type DeviceTensor } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

// The fast path's ops against the reference at GPT-like sizes (the conformance suite covers the
// small shapes and the argument errors on both paths).
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

/** max |a - b| / max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return err / mag;
}

async function layerOps(backend: Backend): Promise<Float32Array[]> {
  const [B, T, C, NH] = [2, 64, 96, 4];
  const owned: DeviceTensor[] = [];
  const up = (shape: number[], seed: number) => {
    const t = backend.upload(
      'f32',
      shape,
      random(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
    );
    owned.push(t);
    return t;
  };
  const zeros = (shape: number[]) => {
    const t = backend.alloc('f32', shape);
    owned.push(t);
    return t;
  };
  const qkv = up([B, T, 3 * C], 1);
  const out = zeros([B, T, C]);
  const att = zeros([B, NH, T, T]);
  const dout = up([B, T, C], 2);
  const dqkv = up([B, T, 3 * C], 3); // backward ops accumulate: start from non-zero gradients
  backend.attentionForward(qkv, out, att, NH);
  backend.attentionBackward(dout, qkv, att, dqkv, NH);
  const x = up([B, T, C], 4);
  const w = up([C], 5);
  const b = up([C], 6);
  const y = zeros([B, T, C]);
  const mean = zeros([B, T]);
  const rstd = zeros([B, T]);
  const dx = up([B, T, C], 7);
  const dw = up([C], 8);
  const db = up([C], 9);
  backend.layernormForward(x, w, b, y, mean, rstd, { eps: 1e-5 });
  backend.layernormBackward(dout, x, w, mean, rstd, dx, dw, db);
  const results = await Promise.all([out, att, dqkv, y, mean, rstd, dx, dw, db].map((t) => backend.read(t)));
  for (const t of owned) backend.dispose(t);
  return results as Float32Array[];
}

describe('fast path: LayerNorm and attention agree with the reference', () => {
  it('forward and backward, B=2 T=64 C=96 NH=4', async (ctx) => {
    if (!status.available) ctx.skip();
    const ref = await layerOps(createCpuBackend({ fast: false }));
    const fast = await layerOps(createCpuBackend({ fast: true }));
    const names = ['out', 'att', 'dqkv', 'layernorm out', 'mean', 'rstd', 'dx', 'dweight', 'dbias'];
    for (const [i, name] of names.entries()) {
      expect(relErr(fast[i], ref[i]), name).toBeLessThan(1e-5);
    }
  });

  it('rejects bad arguments with the reference errors', (ctx) => {
    if (!status.available) ctx.skip();
    for (const backend of [createCpuBackend({ fast: false }), createCpuBackend({ fast: true })]) {
      const qkv = backend.alloc('f32', [1, 4, 12]);
      const out = backend.alloc('f32', [1, 4, 4]);
      const att = backend.alloc('f32', [1, 2, 4, 5]);
      expect(() => backend.attentionForward(qkv, out, att, 2)).toThrow(/att: expected shape \[B, NH, T, T\]/);
      expect(() => backend.attentionForward(qkv, out, att, 3)).toThrow(/numHeads/);
      const w = backend.alloc('f32', [3]);
      const m = backend.alloc('f32', [1, 4]);
      expect(() => backend.layernormForward(out, w, w, out, m, m)).toThrow(/weight: expected shape \[C\]/);
      for (const t of [qkv, out, att, w, m]) backend.dispose(t);
    }
  });
});

/** Any float32 bit pattern (NaN only where `nan`), as a Float32Array of n elements. */
function anyBits(n: number, seed: number, nan: boolean): Float32Array {
  let s = seed >>> 0;
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Exponents spread over the whole range, mostly near the formats' own (2^-20 .. 2^20).
    const exp = i % 4 === 0 ? (s >>> 24) & 0xff : 107 + ((s >>> 24) % 40);
    let b = (s & 0x807fffff) | (exp << 23);
    if (!nan && (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) b &= 0xff800000; // NaN → ±inf
    bits[i] = b;
  }
  return new Float32Array(bits.buffer);
}

describe('fast path: GELU and the casts agree with the reference', () => {
  // 70 000 elements: above the addon's threading threshold, so the chunks run on every core.
  const n = 70_000;
  for (const dtype of CODE_DTYPES) {
    it(`quantize to ${dtype}: the same codes and amax, every saturate mode and scale`, async (ctx) => {
      if (!status.available) ctx.skip();
      const fmt = resolveFormat(dtype);
      const x = anyBits(n, 11, fmt.nanCode !== null);
      const results = [];
      for (const fast of [false, true]) {
        const b = createCpuBackend({ fast });
        const src = b.upload('f32', [n], x);
        const dst = b.alloc(dtype, [n]);
        const amax = b.alloc('f32', [2]);
        const got: unknown[] = [];
        for (const saturate of [true, false]) {
          for (const scale of [1, 3.7, 2 ** -20]) {
            try {
              b.quantize(src, dst, { scale, saturate, amaxOut: amax, amaxIndex: 1 });
              got.push(await b.read(dst), (await b.read(amax))[1]);
            } catch (e) {
              got.push(`throws ${(e as Error).message}`);
            }
          }
        }
        results.push(got);
        b.destroy();
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0].some((r) => ArrayBuffer.isView(r))).toBe(true);
    });
  }

  for (const dtype of CODE_DTYPES) {
    it(`dequantize from ${dtype}: the same bits for every code and scale, the same errors`, async (ctx) => {
      if (!status.available) ctx.skip();
      const wide = resolveFormat(dtype).bits > 8;
      const codes = wide ? new Uint16Array(n) : new Uint8Array(n);
      let seed = 5;
      for (let i = 0; i < n; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        codes[i] = i < 256 ? i : seed >>> (wide ? 16 : 24); // every byte code, then random ones
      }
      const results = [];
      for (const fast of [false, true]) {
        const b = createCpuBackend({ fast });
        const src = b.upload(dtype, [n], codes as never);
        const dst = b.alloc('f32', [n]);
        const got: unknown[] = [];
        for (const scaleInv of [undefined, 3.7, 2 ** -20, 0]) {
          try {
            b.dequantize(src, dst, { scaleInv });
            const r = await b.read(dst);
            got.push(new Uint32Array(r.buffer, r.byteOffset, r.length));
          } catch (e) {
            got.push(`throws ${(e as Error).message}`);
          }
        }
        results.push(got);
        b.destroy();
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0][3]).toMatch(/^throws scaleInv/);
    });
  }

  // The f16 and bf16 casts are branch-free selects of every case: every 16-bit prefix (sign, exponent,
  // top mantissa bits) with the low halves where rounding turns (ties, one past, all ones).
  for (const dtype of ['f16', 'bf16'] as const) {
    it(`quantize to ${dtype}: every 16-bit prefix with the low halves where rounding turns`, async (ctx) => {
      if (!status.available) ctx.skip();
      const lows = [0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x7fff, 0x8000, 0x8001, 0xffff];
      const bits = new Uint32Array(65536 * lows.length);
      for (let hi = 0; hi < 65536; hi++) {
        for (const [j, lo] of lows.entries()) bits[hi * lows.length + j] = ((hi << 16) | lo) >>> 0;
      }
      const x = new Float32Array(bits.buffer);
      const codes = [];
      for (const fast of [false, true]) {
        const b = createCpuBackend({ fast });
        const src = b.upload('f32', [x.length], x);
        const dst = b.alloc(dtype, [x.length]);
        for (const saturate of [true, false]) {
          b.quantize(src, dst, { saturate });
          codes.push(await b.read(dst));
        }
        b.destroy();
      }
      expect(codes[2]).toEqual(codes[0]);
      expect(codes[3]).toEqual(codes[1]);
    });
  }

  it('quantize with NaN input to a format without NaN throws the reference error', (ctx) => {
    if (!status.available) ctx.skip();
    const b = createCpuBackend({ fast: true });
    const x = new Float32Array(n).fill(1);
    x[n - 5] = Number.NaN;
    const src = b.upload('f32', [n], x);
    const dst = b.alloc('e2m1', [n]);
    expect(() => b.quantize(src, dst)).toThrow(`src[${n - 5}]: NaN has no encoding in e2m1`);
    b.destroy();
  });

  /** Standard normal samples times sigma (Box–Muller on the test's LCG). */
  function normal(count: number, sigma: number, seed: number): Float32Array {
    const u = random(2 * count, seed);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const r = Math.sqrt(-2 * Math.log(u[2 * i] + 0.5 + 2 ** -33));
      out[i] = sigma * r * Math.cos(2 * Math.PI * u[2 * i + 1]);
    }
    return out;
  }

  // The fast GELU evaluates a vectorized tanh and recomputes with C's tanh only the elements whose
  // float its error bound leaves in doubt, so every input kind must come out bit for bit: any bit
  // pattern (NaN, infinities, subnormals), the far negative tail where 1 + tanh cancels, and the
  // unit-variance bulk, with zero and non-zero gradients to accumulate into.
  const geluCases: [string, Float32Array, Float32Array][] = [
    ['uniform ±8, accumulating', random(n, 21).map((v) => v * 16), random(n, 23)],
    ['any bit pattern, accumulating', anyBits(n, 24, true), random(n, 25)],
    ['normal σ = 1, into zeros', normal(n, 1, 26), new Float32Array(n)],
    ['normal σ = 4, accumulating', normal(n, 4, 27), normal(n, 0.01, 28)],
  ];
  for (const [name, x, acc] of geluCases) {
    it(`GELU forward and backward, ${name}: the reference's bits`, async (ctx) => {
      if (!status.available) ctx.skip();
      const g = normal(n, 1, 29);
      const outs = [];
      for (const fast of [false, true]) {
        const b = createCpuBackend({ fast });
        const X = b.upload('f32', [n], x);
        const Y = b.alloc('f32', [n]);
        const D = b.upload('f32', [n], g);
        const DX = b.upload('f32', [n], acc);
        b.geluForward(X, Y);
        b.geluBackward(D, X, DX);
        outs.push(
          [await b.read(Y), await b.read(DX)].map((r) => new Uint32Array(r.buffer, r.byteOffset, r.length)),
        );
        b.destroy();
      }
      expect(outs[1][0], 'gelu forward').toEqual(outs[0][0]);
      expect(outs[1][1], 'gelu backward').toEqual(outs[0][1]);
    });
  }

  it('GELU in place (out = x) gives the same bits as into another tensor', async (ctx) => {
    if (!status.available) ctx.skip();
    const b = createCpuBackend({ fast: true });
    const x = normal(n, 4, 30);
    const X = b.upload('f32', [n], x);
    const Y = b.alloc('f32', [n]);
    b.geluForward(X, Y);
    b.geluForward(X, X);
    expect(await b.read(X)).toEqual(await b.read(Y));
    b.destroy();
  });
});

describe('fast path: amax, the residual and the bias ops are the reference bit for bit', () => {
  // [rows, C]: a GPT-like activation (above the threading threshold, C over one 256-column block of
  // the bias gradient and not a multiple of it), and a small one that stays on the calling thread.
  const shapes: [number, number][] = [
    [768, 600],
    [3, 5],
  ];

  /** Index of the first element whose bits differ (-1 if none): faster than a deep equal at this size. */
  function firstDiff(a: Float32Array, b: Float32Array): number {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    if (x.length !== y.length) return 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
    return -1;
  }

  function expectSame(fast: unknown[], ref: unknown[], names: string[]): void {
    for (const [i, name] of names.entries()) {
      expect(
        firstDiff(fast[i] as Float32Array, ref[i] as Float32Array),
        `${name}: first differing element`,
      ).toBe(-1);
    }
  }

  /** Runs `ops` on fresh copies of the inputs on both paths; returns each path's outputs. */
  async function both(inputs: Float32Array[], ops: (b: Backend, t: DeviceTensor<'f32'>[]) => DeviceTensor[]) {
    const results = [];
    for (const fast of [false, true]) {
      const b = createCpuBackend({ fast });
      const t = inputs.map((x) => b.upload('f32', [x.length], x.slice()));
      results.push(await Promise.all(ops(b, t).map((o) => b.read(o))));
      b.destroy();
    }
    return results;
  }

  for (const [rows, C] of shapes) {
    const n = rows * C;
    it(`amax, residual forward (in place too) and backward, ${rows}×${C}`, async (ctx) => {
      if (!status.available) ctx.skip();
      const x = anyBits(n, 31, false);
      const y = random(n, 32);
      const withNaN = x.slice();
      withNaN[n >> 1] = Number.NaN;
      const [ref, fast] = await both(
        [x, y, withNaN, random(n, 33), random(n, 34)],
        (b, [a, c, nan, da, db]) => {
          const out = b.alloc('f32', [4]);
          b.amax(a, out, 0);
          b.amax(nan, out, 1);
          b.amax(c, out, 3);
          const sum = b.alloc('f32', [n]);
          b.residualForward(a, c, sum);
          b.residualForward(c, a, a); // out = its own input
          b.residualBackward(c, da, db);
          return [out, sum, a, da, db];
        },
      );
      expect(fast[0], 'amaxes').toEqual(ref[0]);
      expectSame(fast.slice(1), ref.slice(1), ['residual', 'residual in place', 'da', 'db']);
      expect(Number.isNaN((fast[0] as Float32Array)[1])).toBe(true);
    });

    it(`bias add (in place too) and the accumulating bias gradient, ${rows}×${C}`, async (ctx) => {
      if (!status.available) ctx.skip();
      const [ref, fast] = await both([random(n, 41), random(C, 42), random(n, 43), random(C, 44)], (b, t) => {
        const [x, bias, dout, dbias] = t;
        const x2 = b.upload('f32', [rows, C], random(n, 41));
        const g2 = b.upload('f32', [rows, C], random(n, 43));
        const out = b.alloc('f32', [rows, C]);
        b.biasAdd(x2, bias, out);
        b.biasAdd(x2, bias); // in place
        b.biasBackward(g2, dbias);
        b.biasBackward(g2, dbias); // accumulates
        return [out, x2, dbias, x, dout];
      });
      expectSame(fast, ref, ['bias add', 'bias add in place', 'dbias', 'x', 'dout']);
      expect(firstDiff(fast[2] as Float32Array, random(C, 44))).not.toBe(-1);
    });
  }
});
