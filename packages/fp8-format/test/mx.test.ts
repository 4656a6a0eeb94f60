// OCP MX blocks: shared E8M0 scales chosen by the 'floor' (OCP MX v1.0), 'ceil' and 'even' rules,
// checked against a reference written here on top of the independent element-format reference.

import {
  dequantizeMX,
  E2M1,
  E2M3,
  E3M2,
  E4M3,
  E5M2,
  type FloatFormat,
  type MXScaleRounding,
  quantizeMX,
} from '@fp8lm/fp8-format';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers/float32.js';
import { ORACLE_FORMATS, oracleDecode, oracleEncode, oracleTable } from './helpers/oracle.js';

const ELEMENTS: FloatFormat[] = [E4M3, E5M2, E3M2, E2M3, E2M1];

/** floor(log2(a)) for a finite a > 0, by exact comparisons with powers of two. */
function floorLog2(a: number): number {
  let e = 0;
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

/** The shared exponent of a block by each rule, unclamped; null for a NaN/Inf block. */
function referenceExponent(fmt: FloatFormat, block: ArrayLike<number>, rule: MXScaleRounding): number | null {
  let amax = 0;
  for (let i = 0; i < block.length; i++) {
    const v = block[i];
    if (!Number.isFinite(v)) return null;
    amax = Math.max(amax, Math.abs(v));
  }
  if (amax === 0) return -127;
  const max = oracleTable(ORACLE_FORMATS[fmt.name]).maxFinite;
  if (rule === 'floor') return floorLog2(amax) - floorLog2(max);
  // Smallest e with amax <= max * 2^e (exact: max * 2^e is a product by a power of two).
  let e = floorLog2(amax) - floorLog2(max) - 2;
  while (amax > max * 2 ** e) e++;
  if (rule === 'ceil') return e;
  // 'even': amax / max rounded to the nearest power of two; 2^(e-1) < amax / max <= 2^e.
  if (amax === max * 2 ** e) return e;
  const lower = e - 1;
  const mid = 1.5 * max * 2 ** lower; // the linear midpoint between 2^(e-1) and 2^e, times max
  if (amax < mid) return lower;
  if (amax > mid) return e;
  return (lower + 127) % 2 === 0 ? lower : e;
}

interface Layout {
  blockSize: number;
  rowLength: number;
}

/** Reference quantizer: for each block (restarting at each row), scale code and element codes. */
function referenceMX(fmt: FloatFormat, src: Float32Array, rule: MXScaleRounding, layout: Layout) {
  const f = ORACLE_FORMATS[fmt.name];
  const scales: number[] = [];
  const codes = new Uint8Array(src.length);
  for (let row = 0; row < src.length; row += layout.rowLength) {
    for (let start = row; start < row + layout.rowLength; start += layout.blockSize) {
      const end = Math.min(start + layout.blockSize, row + layout.rowLength);
      const e = referenceExponent(fmt, src.subarray(start, end), rule);
      if (e === null) {
        scales.push(0xff);
        continue;
      }
      const clamped = Math.min(127, Math.max(-127, e));
      scales.push(clamped + 127);
      for (let i = start; i < end; i++)
        codes[i] = oracleEncode(f, Math.fround(src[i] / 2 ** clamped), true) as number;
    }
  }
  return { codes, scales: Uint8Array.from(scales) };
}

function expectMatchesReference(
  fmt: FloatFormat,
  src: Float32Array,
  rule: MXScaleRounding,
  layout: Layout = { blockSize: 32, rowLength: src.length },
) {
  const mx = quantizeMX(fmt, src, { scaleRounding: rule, ...layout });
  const want = referenceMX(fmt, src, rule, layout);
  expect(mx.blockSize).toBe(layout.blockSize);
  expect(mx.rowLength).toBe(layout.rowLength);
  expect([...mx.scales]).toEqual([...want.scales]);
  expect([...mx.codes]).toEqual([...want.codes]);
  return mx;
}

/** Log-uniform magnitudes over `decades` powers of two around `center`, random signs, some zeros. */
function randomBlockData(seed: number, n: number, center: number, spread: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => {
    const r = rng();
    if (r < 0.02) return 0;
    return (rng() < 0.5 ? -1 : 1) * 2 ** (center + (rng() - 0.5) * spread);
  });
}

describe('scale rules', () => {
  for (const fmt of ELEMENTS) {
    for (const rule of ['floor', 'ceil', 'even'] as const) {
      it(`${fmt.name} '${rule}': scales and codes equal the reference (fast-check)`, () => {
        fc.assert(
          fc.property(
            fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 100 }),
            fc.constantFrom(1, 2, 7, 32),
            (values, blockSize) => {
              expectMatchesReference(fmt, Float32Array.from(values), rule, {
                blockSize,
                rowLength: values.length,
              });
            },
          ),
          { numRuns: 200 },
        );
        for (const [seed, center] of [
          [1, 0],
          [2, -20],
          [3, 40],
          [4, -125],
        ]) {
          expectMatchesReference(fmt, randomBlockData(seed, 32 * 40, center, 12), rule);
        }
      });
    }
  }

  it("'floor' (OCP MX v1.0) uses floor(log2 amax) - emax and lets the top of a block saturate", () => {
    // E4M3: emax = 8. amax 500: floor(log2 500) = 8, so X = 2^0 and 500 saturates to 448.
    const src = Float32Array.from([500, -3, 1, 0.01]);
    const mx = expectMatchesReference(E4M3, src, 'floor');
    expect(mx.scales[0]).toBe(127);
    expect(dequantizeMX(E4M3, mx)[0]).toBe(448);
    // E2M1: emax = 2. amax 7 (floor log2 = 2): X = 1, 7 saturates to 6.
    const fp4 = quantizeMX(E2M1, Float32Array.from([7, 1]), { scaleRounding: 'floor' });
    expect(fp4.scales[0]).toBe(127);
    expect(dequantizeMX(E2M1, fp4)[0]).toBe(6);
    // the default is 'floor'
    expect(quantizeMX(E4M3, src).scales).toEqual(mx.scales);
  });

  it("'ceil' never saturates and picks the smallest such power of two", () => {
    for (const fmt of ELEMENTS) {
      const max = oracleTable(ORACLE_FORMATS[fmt.name]).maxFinite;
      fc.assert(
        fc.property(
          fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
            minLength: 1,
            maxLength: 64,
          }),
          (values) => {
            const src = Float32Array.from(values);
            const mx = quantizeMX(fmt, src, { scaleRounding: 'ceil', blockSize: 64 });
            const amax = Math.max(...src.map(Math.abs));
            if (amax === 0) return;
            const X = 2 ** (mx.scales[0] - 127);
            for (const v of src) expect(Math.abs(v) / X).toBeLessThanOrEqual(max);
            if (mx.scales[0] > 0) expect(amax / (X / 2)).toBeGreaterThan(max);
          },
        ),
        { numRuns: 300 },
      );
    }
    const mx = expectMatchesReference(E4M3, Float32Array.from([500, 1]), 'ceil');
    expect(mx.scales[0]).toBe(128);
    expect(dequantizeMX(E4M3, mx)[0]).toBe(512); // 250 → 256 in E4M3: rounded, not saturated
  });

  it("'even' rounds amax / max to the nearest power of two, ties to the even E8M0 code", () => {
    // amax / 448 = 1.5: halfway between 2^0 (code 127, odd) and 2^1 (code 128, even) → 128.
    expect(expectMatchesReference(E4M3, Float32Array.from([672]), 'even').scales[0]).toBe(128);
    // amax / 448 = 3: between 2^1 (code 128, even) and 2^2 → 128.
    expect(expectMatchesReference(E4M3, Float32Array.from([1344]), 'even').scales[0]).toBe(128);
    // just above / below the tie
    expect(expectMatchesReference(E4M3, Float32Array.from([1345]), 'even').scales[0]).toBe(129);
    expect(expectMatchesReference(E4M3, Float32Array.from([671]), 'even').scales[0]).toBe(127);
  });
});

describe('special blocks and layout', () => {
  it('a block with NaN or ±Inf gets the NaN scale 0xFF and dequantizes to NaN; other blocks are unaffected', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const src = Float32Array.from([1, 2, bad, 4, 5, 6, 7, 8]);
      const mx = expectMatchesReference(E4M3, src, 'floor', { blockSize: 4, rowLength: 8 });
      expect(mx.scales[0]).toBe(0xff);
      expect([...mx.codes.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
      const out = dequantizeMX(E4M3, mx);
      for (let i = 0; i < 4; i++) expect(out[i]).toBeNaN();
      expect([...out.subarray(4)]).toEqual([5, 6, 7, 8]);
    }
  });

  it('an all-zero block gets the smallest scale 2^-127 and decodes to zeros with their signs', () => {
    const src = Float32Array.from([0, -0, 0, 0, 3, 0, 0, 0]);
    const mx = expectMatchesReference(E5M2, src, 'floor', { blockSize: 4, rowLength: 8 });
    expect(mx.scales[0]).toBe(0);
    const out = dequantizeMX(E5M2, mx);
    expect(Object.is(out[0], 0)).toBe(true);
    expect(Object.is(out[1], -0)).toBe(true);
    expect(out[4]).toBe(3);
  });

  it('the last block of a row may be partial and gets its own scale', () => {
    const src = randomBlockData(11, 70, 0, 6);
    src[69] = 1000; // only in the partial block
    const mx = expectMatchesReference(E4M3, src, 'floor', { blockSize: 32, rowLength: 70 });
    expect(mx.scales.length).toBe(3);
    expect(mx.scales[2]).toBe(127 + floorLog2(1000) - 8);
  });

  it('rowLength restarts blocks at each row', () => {
    // two rows of 40 with blocks of 32: segments [0,32) [32,40) [40,72) [72,80), each with its own amax
    const src = new Float32Array(80);
    const amaxes = [3, 100, 0.02, 7];
    const bounds = [0, 32, 40, 72, 80];
    for (let s = 0; s < 4; s++) {
      for (let i = bounds[s]; i < bounds[s + 1]; i++) src[i] = amaxes[s] * (i % 2 ? -1 : 0.5);
    }
    const mx = expectMatchesReference(E4M3, src, 'floor', { blockSize: 32, rowLength: 40 });
    expect([...mx.scales]).toEqual(amaxes.map((a) => 127 + floorLog2(a) - 8));
    // the same as quantizing each row on its own
    const row0 = quantizeMX(E4M3, src.subarray(0, 40));
    const row1 = quantizeMX(E4M3, src.subarray(40));
    expect([...mx.scales]).toEqual([...row0.scales, ...row1.scales]);
    expect([...mx.codes]).toEqual([...row0.codes, ...row1.codes]);
    const back = dequantizeMX(E4M3, mx);
    expect([...back.subarray(0, 40)]).toEqual([...dequantizeMX(E4M3, row0)]);
    // without rowLength the blocks run across the row boundary: different scales
    expect([...quantizeMX(E4M3, src).scales]).not.toEqual([...mx.scales]);
  });

  it('scales clamp to the E8M0 range for tiny blocks; an empty input has no blocks', () => {
    const tiny = Float32Array.from([2 ** -140, -(2 ** -149)]);
    const mx = expectMatchesReference(E4M3, tiny, 'floor');
    expect(mx.scales[0]).toBe(0);
    const empty = quantizeMX(E4M3, new Float32Array(0));
    expect(empty.codes.length).toBe(0);
    expect(empty.scales.length).toBe(0);
    expect(dequantizeMX(E4M3, empty).length).toBe(0);
  });

  it('dequantizeMX writes into a supplied dst', () => {
    const src = randomBlockData(5, 64, 0, 4);
    const mx = quantizeMX(E2M3, src);
    const dst = new Float32Array(64);
    expect(dequantizeMX(E2M3, mx, dst)).toBe(dst);
    expect(dst).toEqual(dequantizeMX(E2M3, mx));
  });
});

describe('round trip', () => {
  for (const fmt of ELEMENTS) {
    for (const rule of ['floor', 'ceil', 'even'] as const) {
      it(`${fmt.name} '${rule}': error within the element format's precision (saturated elements at ±max·X)`, () => {
        const f = ORACLE_FORMATS[fmt.name];
        const t = oracleTable(f);
        const relative = 2 ** -(f.m + 1); // half an ulp, relative, for normal element values
        for (const [seed, center] of [
          [21, 0],
          [22, 30],
          [23, -60],
        ]) {
          const src = randomBlockData(seed, 32 * 64, center, 10);
          const mx = quantizeMX(fmt, src, { scaleRounding: rule });
          const out = dequantizeMX(fmt, mx);
          for (let i = 0; i < src.length; i++) {
            const X = 2 ** (mx.scales[Math.floor(i / 32)] - 127);
            const y = Math.abs(src[i]) / X;
            // the decoded value is the element code's value times X
            expect(out[i]).toBe(Math.fround(oracleDecode(f, mx.codes[i]) * X));
            if (y > t.maxFinite) {
              expect(rule).not.toBe('ceil');
              expect(Math.abs(out[i])).toBe(t.maxFinite * X);
              continue;
            }
            const bound = Math.max(Math.abs(src[i]) * relative, (t.minSubnormal / 2) * X) + 2 ** -149;
            if (!(Math.abs(out[i] - src[i]) <= bound)) {
              throw new Error(`${fmt.name} ${rule}: ${src[i]} → ${out[i]}, error above ${bound}`);
            }
          }
        }
      });
    }
  }
});
