// The formats CUDA does not cover (FNUZ, FP6, FP4, E8M0) against the independent brute-force reference
// in helpers/oracle.ts. The reference itself is first checked against the CUDA golden data for the
// formats CUDA does cover, so a wrong reference cannot make these tests pass silently.

import {
  decode,
  dequantize,
  E2M1,
  E2M3,
  E3M2,
  E4M3FNUZ,
  E5M2FNUZ,
  E8M0,
  encode,
  type FloatFormat,
  FORMATS,
  type FormatName,
  isNaNCode,
  quantize,
} from '@fp8lm/fp8-format';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsOf, floatOf } from './helpers/float32.js';
import { hex, loadGolden, Mismatches } from './helpers/golden.js';
import {
  boundaryInputs,
  codeBits,
  ORACLE_FORMATS,
  oracleDecode,
  oracleEncode,
  oracleTable,
} from './helpers/oracle.js';

const ORACLE_ONLY: FloatFormat[] = [E4M3FNUZ, E5M2FNUZ, E3M2, E2M3, E2M1, E8M0];

function saturateModes(fmt: FloatFormat): boolean[] {
  return fmt.nanCode === null && fmt.infinityCode === null ? [true] : [true, false];
}

function describeX(x: number): string {
  return `x=${x} (${hex(bitsOf(x), 8)})`;
}

/** encode(), or 'throws' if it throws a RangeError. */
function encodeOrThrows(fmt: FloatFormat, x: number, saturate: boolean): number | 'throws' {
  try {
    return encode(fmt, x, { saturate });
  } catch (error) {
    if (error instanceof RangeError) return 'throws';
    throw error;
  }
}

describe('the reference itself agrees with CUDA', () => {
  const g = loadGolden();
  const cases: {
    name: FormatName;
    sat?: Uint8Array | Uint16Array;
    nosat: Uint8Array | Uint16Array;
    dec: Uint32Array;
  }[] = [
    { name: 'e4m3', sat: g.e4m3Sat, nosat: g.e4m3NoSat, dec: g.decodeE4M3 },
    { name: 'e5m2', sat: g.e5m2Sat, nosat: g.e5m2NoSat, dec: g.decodeE5M2 },
    { name: 'f16', nosat: g.f16, dec: g.decodeF16 },
    { name: 'bf16', nosat: g.bf16, dec: g.decodeBF16 },
  ];
  for (const { name, sat, nosat, dec } of cases) {
    it(`${name}: decode of every code and encode of every golden input`, () => {
      const f = ORACLE_FORMATS[name];
      const bad = new Mismatches();
      for (let c = 0; c < dec.length; c++) {
        const want = floatOf(dec[c]);
        const got = oracleDecode(f, c);
        if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want))))
          bad.add(() => `decode ${c}`);
      }
      for (let i = 0; i < g.inputs.length; i++) {
        const x = g.inputs[i];
        if (sat && oracleEncode(f, x, true) !== sat[i]) bad.add(() => `${name} sat ${describeX(x)}`);
        if (oracleEncode(f, x, false) !== nosat[i]) bad.add(() => `${name} nosat ${describeX(x)}`);
      }
      expect(bad.summary()).toBe('none');
    });
  }
});

describe('the reference follows the DESIGN.md table', () => {
  it('has the documented maxima, biases and specials', () => {
    const max = (name: string) => oracleTable(ORACLE_FORMATS[name]).maxFinite;
    expect([max('e4m3'), max('e5m2'), max('e4m3fnuz'), max('e5m2fnuz')]).toEqual([448, 57344, 240, 57344]);
    expect([max('e8m0'), max('e3m2'), max('e2m3'), max('e2m1')]).toEqual([2 ** 127, 28, 7.5, 6]);
    expect([max('f16'), max('bf16')]).toEqual([65504, floatOf(0x7f7f0000)]);
    expect(oracleDecode(ORACLE_FORMATS.e8m0, 0)).toBe(2 ** -127);
    expect(oracleDecode(ORACLE_FORMATS.e8m0, 0xff)).toBeNaN();
    expect(oracleDecode(ORACLE_FORMATS.e4m3fnuz, 0x80)).toBeNaN();
    expect(oracleDecode(ORACLE_FORMATS.e2m1, 0b1111)).toBe(-6);
    expect(oracleDecode(ORACLE_FORMATS.e2m1, 0b0001)).toBe(0.5);
    expect(oracleDecode(ORACLE_FORMATS.e3m2, 0b000001)).toBe(2 ** -4);
    expect(oracleDecode(ORACLE_FORMATS.e2m3, 0b000001)).toBe(2 ** -3);
  });
});

for (const fmt of ORACLE_ONLY) {
  const f = ORACLE_FORMATS[fmt.name];
  describe(`${fmt.name} against the reference`, () => {
    it('descriptor fields match the reference', () => {
      const t = oracleTable(f);
      expect(fmt.bits).toBe(codeBits(f));
      expect(fmt.maxFinite).toBe(t.maxFinite);
      expect(fmt.maxCode).toBe(t.maxCode);
      expect(fmt.minSubnormal).toBe(t.minSubnormal);
      expect(fmt.nanCode).toBe(t.nanCode);
      expect(fmt.infinityCode).toBe(t.infinityCode);
      const nanCodes: number[] = [];
      for (let c = 0; c < 2 ** fmt.bits; c++) if (Number.isNaN(oracleDecode(f, c))) nanCodes.push(c);
      expect([...fmt.nanCodes]).toEqual(nanCodes);
      expect(FORMATS[fmt.name]).toBe(fmt);
    });

    it('decode, dequantize and isNaNCode of every code', () => {
      const count = 2 ** fmt.bits;
      const codes = new Uint8Array(count).map((_, c) => c);
      const out = new Float32Array(count);
      dequantize(fmt, codes, out);
      for (let c = 0; c < count; c++) {
        const want = oracleDecode(f, c);
        if (Number.isNaN(want)) {
          expect(decode(fmt, c)).toBeNaN();
          expect(out[c]).toBeNaN();
        } else {
          expect(decode(fmt, c), `code ${c}`).toBe(want); // toBe uses Object.is: signed zeros count
          expect(out[c], `code ${c}`).toBe(want);
        }
        expect(isNaNCode(fmt, c)).toBe(Number.isNaN(want));
      }
      if (fmt.bits < 8) {
        // bytes beyond a sub-byte format's width are not codes: dequantize gives NaN for them
        const beyond = new Uint8Array(256 - count).map((_, i) => count + i);
        const outBeyond = new Float32Array(beyond.length);
        dequantize(fmt, beyond, outBeyond);
        expect(outBeyond.every((v) => Number.isNaN(v))).toBe(true);
      }
    });

    it('encode of every boundary input (values, midpoints ±2 ulps, overflow, subnormal edges, specials)', () => {
      const inputs = boundaryInputs(f);
      expect(inputs.length).toBeGreaterThan(100);
      for (const saturate of saturateModes(fmt)) {
        const bad = new Mismatches();
        for (const x of inputs) {
          const want = oracleEncode(f, x, saturate);
          const got = encodeOrThrows(fmt, x, saturate);
          if (got !== want)
            bad.add(() => `saturate ${saturate}, ${describeX(x)}: got ${got}, reference ${want}`);
        }
        expect(bad.summary()).toBe('none');
      }
    });

    it('bulk quantize of the boundary inputs, scale 1 and power-of-two scales', () => {
      const all = boundaryInputs(f);
      // Formats without NaN reject NaN input as a whole, so leave NaNs out there.
      const inputs = fmt.nanCode === null ? all.filter((x) => !Number.isNaN(x)) : all;
      for (const saturate of saturateModes(fmt)) {
        for (const scale of [1, 4, 2 ** -3]) {
          const src = inputs.map((x) => Math.fround(x / scale));
          const dst = new Uint8Array(src.length);
          quantize(fmt, src, dst, { saturate, scale });
          const bad = new Mismatches();
          for (let i = 0; i < src.length; i++) {
            const want = oracleEncode(f, Math.fround(src[i] * scale), saturate);
            if (dst[i] !== want)
              bad.add(() => `scale ${scale} ${describeX(src[i])}: got ${dst[i]}, reference ${want}`);
          }
          expect(bad.summary()).toBe('none');
        }
      }
    });

    it('encode of arbitrary float32 values and bit patterns (fast-check)', () => {
      for (const saturate of saturateModes(fmt)) {
        const check = (x: number) => {
          const want = oracleEncode(f, x, saturate);
          const got = encodeOrThrows(fmt, x, saturate);
          if (got !== want)
            throw new Error(`saturate ${saturate}, ${describeX(x)}: got ${got}, reference ${want}`);
        };
        fc.assert(fc.property(fc.float(), check), { numRuns: 20_000 });
        fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }).map(floatOf), check), {
          numRuns: 20_000,
        });
        // Magnitudes around the format's range, where rounding decisions happen.
        const t = oracleTable(f);
        const lo = Math.log2(t.minSubnormal) - 3;
        const hi = Math.log2(t.maxFinite) + 2;
        const near = fc
          .tuple(fc.double({ min: lo, max: hi, noNaN: true }), fc.boolean())
          .map(([e, negative]) => Math.fround((negative ? -1 : 1) * 2 ** e));
        fc.assert(fc.property(near, check), { numRuns: 20_000 });
      }
    });

    it('bulk quantize of arbitrary arrays with arbitrary scales equals the reference (fast-check)', () => {
      const saturate = saturateModes(fmt).at(-1) as boolean;
      fc.assert(
        fc.property(
          fc.array(fc.float({ noNaN: fmt.nanCode === null }), { maxLength: 300 }),
          fc.float({ min: Math.fround(2 ** -20), max: Math.fround(2 ** 20), noNaN: true }),
          (values, scale) => {
            const src = Float32Array.from(values);
            const dst = new Uint8Array(src.length);
            quantize(fmt, src, dst, { scale, saturate });
            for (let i = 0; i < src.length; i++) {
              const want = oracleEncode(f, Math.fround(src[i] * scale), saturate);
              if (dst[i] !== want)
                throw new Error(`${describeX(src[i])} * ${scale}: got ${dst[i]}, reference ${want}`);
            }
          },
        ),
        { numRuns: 500 },
      );
    });
  });
}

describe('format-specific rules, spelled out', () => {
  it('E8M0: unsigned powers of two, no zero, below 2^-127 → code 0, negative → NaN', () => {
    expect(encode(E8M0, 0)).toBe(0);
    expect(encode(E8M0, -0)).toBe(0);
    expect(encode(E8M0, 2 ** -130)).toBe(0);
    expect(encode(E8M0, 2 ** -127)).toBe(0);
    expect(encode(E8M0, 1)).toBe(127);
    expect(encode(E8M0, -1)).toBe(0xff);
    expect(encode(E8M0, -(2 ** -140))).toBe(0xff);
    expect(encode(E8M0, Number.NEGATIVE_INFINITY)).toBe(0xff);
    expect(encode(E8M0, Number.NaN)).toBe(0xff);
    expect(decode(E8M0, 0xff)).toBeNaN();
    expect(decode(E8M0, 254)).toBe(2 ** 127);
  });

  it('FNUZ: no negative zero, one NaN (0x80), overflow without saturation is NaN', () => {
    for (const fmt of [E4M3FNUZ, E5M2FNUZ]) {
      expect(encode(fmt, -0)).toBe(0);
      expect(encode(fmt, -fmt.minSubnormal / 4)).toBe(0);
      expect(encode(fmt, Number.NaN)).toBe(0x80);
      expect(encode(fmt, -1e30, { saturate: false })).toBe(0x80);
      expect(encode(fmt, -1e30)).toBe(0xff);
      expect(decode(fmt, 0x80)).toBeNaN();
    }
  });

  it('FP6/FP4 keep -0 and saturate', () => {
    for (const fmt of [E3M2, E2M3, E2M1]) {
      const signBit = 1 << (fmt.bits - 1);
      expect(encode(fmt, -0)).toBe(signBit);
      expect(Object.is(decode(fmt, signBit), -0)).toBe(true);
      expect(encode(fmt, Number.POSITIVE_INFINITY)).toBe(fmt.maxCode);
      expect(encode(fmt, -1e9)).toBe(fmt.maxCode | signBit);
    }
  });
});
