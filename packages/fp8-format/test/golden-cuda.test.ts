// Bit-exactness against the CUDA toolkit's host-side conversions (E4M3, E5M2, FP16, BF16), using the
// golden tables that tools/golden/generate.mjs computed with nvcc: __nv_cvt_float_to_fp8 (SATFINITE and
// NOSAT), __float2half_rn, __float2bfloat16_rn, and the CUDA decoders for every code.

import {
  BF16,
  decode,
  dequantize,
  E4M3,
  E5M2,
  encode,
  type FloatFormat,
  FP16,
  isNaNCode,
  quantize,
} from '@fp8lm/fp8-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { bitsOf, floatOf, mulberry32, nextDown, nextUp } from './helpers/float32.js';
import { type Golden, hex, loadGolden, Mismatches } from './helpers/golden.js';

let g: Golden;
beforeAll(() => {
  g = loadGolden();
});

interface Column {
  label: string;
  format: FloatFormat;
  saturate: boolean;
  /** The expected code of input i. */
  expected: (i: number) => number;
}

/** CUDA's `_rn` results, with the saturating rule applied: a non-NaN input whose result is ±Inf gives ±max. */
function saturated(fmt: FloatFormat, codes: () => Uint16Array): (i: number) => number {
  const inf = fmt.infinityCode as number;
  return (i) => {
    const c = codes()[i];
    const x = g.inputs[i];
    if (x === x && (c & 0x7fff) === inf) return (c & 0x8000) | fmt.maxCode;
    return c;
  };
}

const columns: Column[] = [
  { label: 'e4m3 SATFINITE', format: E4M3, saturate: true, expected: (i) => g.e4m3Sat[i] },
  { label: 'e4m3 NOSAT', format: E4M3, saturate: false, expected: (i) => g.e4m3NoSat[i] },
  { label: 'e5m2 SATFINITE', format: E5M2, saturate: true, expected: (i) => g.e5m2Sat[i] },
  { label: 'e5m2 NOSAT', format: E5M2, saturate: false, expected: (i) => g.e5m2NoSat[i] },
  { label: 'f16 __float2half_rn', format: FP16, saturate: false, expected: (i) => g.f16[i] },
  { label: 'f16 saturating', format: FP16, saturate: true, expected: saturated(FP16, () => g.f16) },
  { label: 'bf16 __float2bfloat16_rn', format: BF16, saturate: false, expected: (i) => g.bf16[i] },
  { label: 'bf16 saturating', format: BF16, saturate: true, expected: saturated(BF16, () => g.bf16) },
];

function describeInput(i: number): string {
  return `x=${g.inputs[i]} (${hex(g.inputBits[i], 8)})`;
}

function codesOf(fmt: FloatFormat, n: number): Uint8Array | Uint16Array {
  return fmt.storage === 'Uint16Array' ? new Uint16Array(n) : new Uint8Array(n);
}

describe('the golden data', () => {
  it('holds several hundred thousand distinct inputs, ascending, with every required boundary', () => {
    expect(g.nvcc).toMatch(/^\d+\.\d+$/);
    const n = g.inputBits.length;
    expect(n).toBeGreaterThan(300_000);
    let ascending = true;
    for (let i = 1; i < n; i++) if (g.inputBits[i] <= g.inputBits[i - 1]) ascending = false;
    expect(ascending).toBe(true);
    const present = (b: number) => {
      // binary search in the ascending bit patterns
      let lo = 0;
      let hi = n - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (g.inputBits[mid] === b) return true;
        if (g.inputBits[mid] < b) lo = mid + 1;
        else hi = mid - 1;
      }
      return false;
    };
    const required: Record<string, number[]> = {
      // max, overflow threshold (max + half ulp), the value past max, min subnormal, half of it, min normal
      e4m3: [448, 464, 480, 2 ** -9, 2 ** -10, 2 ** -6],
      e5m2: [57344, 61440, 65536, 2 ** -16, 2 ** -17, 2 ** -14],
      f16: [65504, 65520, 65536, 2 ** -24, 2 ** -25, 2 ** -14],
      bf16: [floatOf(0x7f7f0000), floatOf(0x7f7f8000), 2 ** -133, 2 ** -134, 2 ** -126],
      specials: [0, Number.POSITIVE_INFINITY, floatOf(1), floatOf(0x7f7fffff)],
    };
    for (const v of Object.values(required).flat()) {
      for (const b of [bitsOf(v), bitsOf(-v)]) {
        if (!present(b)) throw new Error(`missing boundary ${hex(b, 8)}`);
        if (!present(b + 1) && b !== 0x7f800000 && b !== 0xff800000)
          throw new Error(`missing ${hex(b + 1, 8)}`);
        if (!present(b - 1) && b !== 0 && b !== 0x80000000) throw new Error(`missing ${hex(b - 1, 8)}`);
      }
    }
    const nans = g.inputBits.filter((b) => (b & 0x7fffffff) > 0x7f800000);
    expect(nans.some((b) => b >>> 31 === 0)).toBe(true);
    expect(nans.some((b) => b >>> 31 === 1)).toBe(true);
    expect(new Set(nans).size).toBeGreaterThanOrEqual(8);
  });

  it('covers every code value (±1 ulp) and every midpoint of neighbouring codes (±2 ulps), both signs', () => {
    const sorted = g.inputBits;
    const present = (b: number) => {
      let lo = 0;
      let hi = sorted.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid] === b) return true;
        if (sorted[mid] < b) lo = mid + 1;
        else hi = mid - 1;
      }
      return false;
    };
    for (const table of [g.decodeE4M3, g.decodeE5M2, g.decodeF16, g.decodeBF16]) {
      const values = [...new Set([...table].map(floatOf).filter((v) => Number.isFinite(v) && v >= 0))].sort(
        (a, b) => a - b,
      );
      const missing: number[] = [];
      const need = (v: number, ulps: number) => {
        for (const signed of [v, -v]) {
          for (let k = -ulps; k <= ulps; k++) {
            let x = signed;
            for (let j = 0; j < Math.abs(k); j++) x = k > 0 ? nextUp(x) : nextDown(x);
            if (!present(bitsOf(x))) missing.push(x);
          }
        }
      };
      for (const v of values) need(v, 1);
      for (let i = 0; i + 1 < values.length; i++) need((values[i] + values[i + 1]) / 2, 2);
      expect(missing.slice(0, 10)).toEqual([]);
    }
  });

  it('has canonical NaN results from CUDA (0x7f for FP8, 0x7fff for FP16/BF16), so NaN codes compare exactly', () => {
    let nanInputs = 0;
    for (let i = 0; i < g.inputs.length; i++) {
      if (g.inputs[i] === g.inputs[i]) continue;
      nanInputs++;
      expect([g.e4m3Sat[i], g.e4m3NoSat[i], g.e5m2Sat[i], g.e5m2NoSat[i]]).toEqual([0x7f, 0x7f, 0x7f, 0x7f]);
      expect([g.f16[i], g.bf16[i]]).toEqual([0x7fff, 0x7fff]);
    }
    expect(nanInputs).toBeGreaterThan(0);
    expect([E4M3.nanCode, E5M2.nanCode, FP16.nanCode, BF16.nanCode]).toEqual([0x7f, 0x7f, 0x7fff, 0x7fff]);
  });
});

describe('encode is bit-identical to CUDA for every recorded input', () => {
  for (const col of columns) {
    it(`${col.label} (saturate: ${col.saturate})`, () => {
      const bad = new Mismatches();
      const options = { saturate: col.saturate };
      for (let i = 0; i < g.inputs.length; i++) {
        const want = col.expected(i);
        const got = encode(col.format, g.inputs[i], options);
        if (got !== want) bad.add(() => `${describeInput(i)}: got ${hex(got, 4)}, CUDA ${hex(want, 4)}`);
      }
      expect(bad.summary()).toBe('none');
    });
  }

  it('defaults to saturate: true and accepts format names', () => {
    const bad = new Mismatches();
    const f16Saturated = saturated(FP16, () => g.f16);
    const bf16Saturated = saturated(BF16, () => g.bf16);
    for (let i = 0; i < g.inputs.length; i += 7) {
      const x = g.inputs[i];
      if (encode('e4m3', x) !== g.e4m3Sat[i]) bad.add(() => `e4m3 ${describeInput(i)}`);
      if (encode('e5m2', x) !== g.e5m2Sat[i]) bad.add(() => `e5m2 ${describeInput(i)}`);
      if (encode('f16', x) !== f16Saturated(i)) bad.add(() => `f16 ${describeInput(i)}`);
      if (encode('bf16', x) !== bf16Saturated(i)) bad.add(() => `bf16 ${describeInput(i)}`);
    }
    expect(bad.summary()).toBe('none');
  });

  it('rounds a double input to float32 first, as the CUDA conversions take a float', () => {
    // A double strictly between a recorded float32 x and its float32 neighbours rounds to x, so its
    // code is CUDA's code of x, even where direct rounding of the double would differ (near midpoints).
    const bad = new Mismatches();
    let checked = 0;
    for (let i = 0; i < g.inputs.length; i++) {
      const x = g.inputs[i];
      if (!Number.isFinite(x) || x === 0) continue;
      for (const xd of [x * (1 + 2 ** -30), x * (1 - 2 ** -30)]) {
        if (Math.fround(xd) !== x) continue;
        checked++;
        if (encode(E4M3, xd) !== g.e4m3Sat[i]) bad.add(() => `e4m3 ${xd} near ${describeInput(i)}`);
        if (encode(E5M2, xd, { saturate: false }) !== g.e5m2NoSat[i]) bad.add(() => `e5m2 ${xd}`);
        if (encode(FP16, xd, { saturate: false }) !== g.f16[i]) bad.add(() => `f16 ${xd}`);
        if (encode(BF16, xd, { saturate: false }) !== g.bf16[i]) bad.add(() => `bf16 ${xd}`);
      }
    }
    expect(checked).toBeGreaterThan(g.inputs.length);
    expect(bad.summary()).toBe('none');
  });
});

const POWER_OF_TWO_SCALES = [8, 2 ** -4, 2 ** 20];
const scaledInputs = new Map<number, { index: Uint32Array; src: Float32Array }>();

/** The recorded inputs x (and NaNs) for which y = x / scale is a float32 with y * scale = x exactly. */
function exactlyScaled(scale: number): { index: Uint32Array; src: Float32Array } {
  let entry = scaledInputs.get(scale);
  if (entry === undefined) {
    const index = new Uint32Array(g.inputs.length);
    const src = new Float32Array(g.inputs.length);
    let n = 0;
    for (let i = 0; i < g.inputs.length; i++) {
      const x = g.inputs[i];
      const y = Math.fround(x / scale);
      if (x !== x || y * scale === x) {
        index[n] = i;
        src[n++] = y;
      }
    }
    entry = { index: index.slice(0, n), src: src.slice(0, n) };
    scaledInputs.set(scale, entry);
  }
  return entry;
}

describe('bulk quantize matches CUDA and the scalar encoder', () => {
  for (const col of columns) {
    it(`${col.label}: scale 1, whole array and an offset subarray`, () => {
      const n = g.inputs.length;
      const dst = codesOf(col.format, n);
      const { amax } = quantize(col.format, g.inputs, dst, { saturate: col.saturate });
      expect(amax).toBeNaN(); // the inputs contain NaNs
      const bad = new Mismatches();
      for (let i = 0; i < n; i++) {
        const want = col.expected(i);
        if (dst[i] !== want)
          bad.add(() => `${describeInput(i)}: got ${hex(dst[i], 4)}, CUDA ${hex(want, 4)}`);
      }
      expect(bad.summary()).toBe('none');

      const start = 12345;
      const sub = g.inputs.subarray(start, start + 50_001);
      const subDst = codesOf(col.format, sub.length);
      quantize(col.format, sub, subDst, { saturate: col.saturate });
      for (let i = 0; i < sub.length; i++) {
        if (subDst[i] !== col.expected(start + i)) bad.add(() => `subarray ${describeInput(start + i)}`);
      }
      expect(bad.summary()).toBe('none');
    });

    it(`${col.label}: power-of-two scales give CUDA's code of the exact product`, () => {
      for (const scale of POWER_OF_TWO_SCALES) {
        const { index, src } = exactlyScaled(scale);
        expect(index.length).toBeGreaterThan(g.inputs.length / 2);
        const dst = codesOf(col.format, src.length);
        quantize(col.format, src, dst, { saturate: col.saturate, scale });
        const bad = new Mismatches();
        for (let j = 0; j < src.length; j++) {
          const want = col.expected(index[j]);
          if (dst[j] !== want) {
            bad.add(() => `scale ${scale}, src ${src[j]}: got ${hex(dst[j], 4)}, CUDA ${hex(want, 4)}`);
          }
        }
        expect(bad.summary()).toBe('none');
      }
    });

    it(`${col.label}: any scale equals encode(x * scale) element by element`, () => {
      const n = g.inputs.length;
      const dst = codesOf(col.format, n);
      for (const scale of [2 ** -4, 8, 0.3, 1000.5]) {
        quantize(col.format, g.inputs, dst, { saturate: col.saturate, scale });
        const s = Math.fround(scale);
        const bad = new Mismatches();
        for (let i = 0; i < n; i += 3) {
          const want = encode(col.format, g.inputs[i] * s, { saturate: col.saturate });
          if (dst[i] !== want)
            bad.add(() => `scale ${scale}, ${describeInput(i)}: bulk ${dst[i]}, scalar ${want}`);
        }
        expect(bad.summary()).toBe('none');
      }
    });
  }

  it('fuses amax = max |src| (before scaling) over the non-NaN inputs', () => {
    const finite = g.inputs.filter((x) => Number.isFinite(x));
    let want = 0;
    for (const x of finite) want = Math.max(want, Math.abs(x));
    for (const fmt of [E4M3, E5M2, FP16, BF16]) {
      expect(quantize(fmt, finite, codesOf(fmt, finite.length), { scale: 2 ** -10 }).amax).toBe(want);
    }
    // every code path (byte table, FP16/BF16 bit arithmetic, stochastic), with and without a scale
    const rng = mulberry32(9);
    for (let trial = 0; trial < 20; trial++) {
      const src = Float32Array.from({ length: 1 + trial * 37 }, () => (rng() - 0.5) * 2 ** (trial - 10));
      let reference = 0;
      for (const x of src) reference = Math.max(reference, Math.abs(x));
      for (const fmt of [E4M3, E5M2, FP16, BF16]) {
        for (const options of [{}, { scale: 3 }, { rounding: 'stochastic' as const, scale: 0.5 }]) {
          expect(quantize(fmt, src, codesOf(fmt, src.length), options).amax).toBe(reference);
        }
      }
    }
    const withNaN = Float32Array.from([1, Number.NaN, -5]);
    for (const fmt of [E4M3, FP16]) {
      for (const options of [{}, { scale: 2 }, { rounding: 'stochastic' as const }]) {
        expect(quantize(fmt, withNaN, codesOf(fmt, 3), options).amax).toBeNaN();
      }
    }
    const withInf = Float32Array.from([1, -Infinity, 2]);
    expect(quantize(E4M3, withInf, new Uint8Array(3)).amax).toBe(Number.POSITIVE_INFINITY);
    expect(quantize(BF16, new Float32Array(0), new Uint16Array(0)).amax).toBe(0);
  });
});

describe('decode is bit-identical to CUDA for every code', () => {
  const cases = [
    { fmt: E4M3, table: () => g.decodeE4M3 },
    { fmt: E5M2, table: () => g.decodeE5M2 },
    { fmt: FP16, table: () => g.decodeF16 },
    { fmt: BF16, table: () => g.decodeBF16 },
  ];
  for (const { fmt, table } of cases) {
    it(`${fmt.name}: decode, dequantize and isNaNCode of all ${2 ** fmt.bits} codes`, () => {
      const count = 2 ** fmt.bits;
      const cuda = table();
      expect(cuda.length).toBe(count);
      const codes = fmt.storage === 'Uint16Array' ? new Uint16Array(count) : new Uint8Array(count);
      for (let c = 0; c < count; c++) codes[c] = c;
      const out = new Float32Array(count);
      dequantize(fmt, codes, out);
      const scaled = new Float32Array(count);
      dequantize(fmt, codes, scaled, { scaleInv: 2 ** -3 });
      const outBits = new Uint32Array(out.buffer);
      const bad = new Mismatches();
      for (let c = 0; c < count; c++) {
        const want = floatOf(cuda[c]);
        const wantNaN = want !== want;
        const scalar = decode(fmt, c);
        if (isNaNCode(fmt, c) !== wantNaN) bad.add(() => `isNaNCode(${hex(c, 4)})`);
        if (wantNaN) {
          if (!Number.isNaN(scalar) || !Number.isNaN(out[c]) || !Number.isNaN(scaled[c])) {
            bad.add(() => `${hex(c, 4)}: expected NaN, got ${scalar} / ${out[c]}`);
          }
          continue;
        }
        // float32 bits: signed zeros and infinities must match too.
        if (bitsOf(scalar) !== cuda[c] || !Object.is(scalar, want))
          bad.add(() => `decode(${hex(c, 4)}) = ${scalar}, CUDA ${want}`);
        if (outBits[c] !== cuda[c]) bad.add(() => `dequantize ${hex(c, 4)}: ${out[c]}, CUDA ${want}`);
        if (!Object.is(scaled[c], Math.fround(want * 2 ** -3)))
          bad.add(() => `scaled ${hex(c, 4)}: ${scaled[c]}`);
      }
      expect(bad.summary()).toBe('none');
    });

    it(`${fmt.name}: dequantize of long and unaligned code arrays (the bulk paths)`, () => {
      const count = 2 ** fmt.bits;
      const cuda = table();
      const copies = 5;
      const Codes = fmt.storage === 'Uint16Array' ? Uint16Array : Uint8Array;
      // one element of slack at the front so the codes can start at an odd element offset
      const backing = new Codes(count * copies + 1);
      for (let i = 0; i < count * copies; i++) backing[i + 1] = (i * 7919 + 13) % count;
      for (const codes of [backing.subarray(1), backing.subarray(0, count * copies)]) {
        for (const scaleInv of [1, 2 ** -3]) {
          const out = new Float32Array(codes.length);
          dequantize(fmt, codes, out, { scaleInv });
          const bad = new Mismatches();
          for (let i = 0; i < codes.length; i++) {
            const want = Math.fround(floatOf(cuda[codes[i]]) * scaleInv);
            if (!(Object.is(out[i], want) || (want !== want && out[i] !== out[i]))) {
              bad.add(
                () => `code ${hex(codes[i], 4)} at ${i}, scaleInv ${scaleInv}: ${out[i]}, CUDA ${want}`,
              );
            }
          }
          expect(bad.summary()).toBe('none');
        }
      }
    });

    it(`${fmt.name}: the descriptor agrees with CUDA's decoded values`, () => {
      const cuda = table();
      const values = [...cuda].map((b) => floatOf(b));
      const finite = values.filter((v) => Number.isFinite(v));
      const positive = finite.filter((v) => v > 0);
      expect(fmt.maxFinite).toBe(Math.max(...finite));
      expect(values[fmt.maxCode]).toBe(fmt.maxFinite);
      expect(fmt.minSubnormal).toBe(Math.min(...positive));
      const nanCodes = values.flatMap((v, c) => (Number.isNaN(v) ? [c] : []));
      expect([...fmt.nanCodes]).toEqual(nanCodes);
      expect(fmt.infinityCode === null ? null : values[fmt.infinityCode]).toBe(
        values.includes(Number.POSITIVE_INFINITY) ? Number.POSITIVE_INFINITY : null,
      );
      expect(values.includes(Number.POSITIVE_INFINITY)).toBe(fmt.hasInfinity);
    });
  }
});
