import { decode, E4M3, E5M2, type FloatFormat, FP16, quantize } from '@fp8lm/fp8-format';
import { countSaturated, diagnose } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { floorLog2, logUniform } from './helpers/reference.js';

/** The diagnostics by their definitions, one scalar decode per element. */
function brute(fmt: FloatFormat, src: Float32Array, codes: Uint8Array | Uint16Array, scale: number) {
  let underflow = 0;
  let saturated = 0;
  let nonFinite = 0;
  const finiteNonZero: number[] = [];
  const binades = new Set<number>();
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    const v = decode(fmt, codes[i]);
    if (Number.isFinite(v) && v !== 0) binades.add(floorLog2(Math.abs(v)));
    if (!Number.isFinite(x)) {
      nonFinite++;
      continue;
    }
    if (x !== 0 && v === 0) underflow++;
    if (Math.abs(v) === fmt.maxFinite || !Number.isFinite(v)) saturated++;
    if (x !== 0) finiteNonZero.push(Math.abs(x));
  }
  const max = finiteNonZero.length ? Math.max(...finiteNonZero) : 0;
  const min = finiteNonZero.length ? Math.min(...finiteNonZero) : 0;
  return {
    count: src.length,
    underflowCount: underflow,
    underflowFraction: src.length ? underflow / src.length : 0,
    saturationCount: saturated,
    saturationFraction: src.length ? saturated / src.length : 0,
    nonFinite,
    dynamicRangeLog2: max === 0 ? 0 : Math.log2(max / min),
    usedBinades: binades.size,
    formatBinades: floorLog2(fmt.maxFinite) - floorLog2(fmt.minSubnormal) + 1,
    headroomLog2: max === 0 ? Number.POSITIVE_INFINITY : Math.log2(fmt.maxFinite / Math.fround(max * scale)),
  };
}

function codesFor(fmt: FloatFormat, src: Float32Array, scale: number, saturate = true) {
  const codes = fmt.storage === 'Uint16Array' ? new Uint16Array(src.length) : new Uint8Array(src.length);
  quantize(fmt, src, codes, { scale, saturate });
  return codes;
}

describe('diagnose', () => {
  for (const fmt of [E4M3, E5M2, FP16]) {
    for (const saturate of [true, false]) {
      it(`matches a brute-force count (${fmt.name}, saturate ${saturate})`, () => {
        // 2^-40 .. 2^20 with a scale of 2^4: plenty of underflow at the bottom and overflow at the top.
        const src = logUniform(8_000, -40, 20, fmt.bits + (saturate ? 1 : 0));
        src[3] = 0;
        src[4] = -0;
        src[5] = Number.NaN;
        src[6] = Number.NEGATIVE_INFINITY;
        src[7] = Math.fround(fmt.maxFinite / 16); // lands exactly on the maximum
        const codes = codesFor(fmt, src, 16, saturate);
        const d = diagnose(fmt, src, codes, 16);
        expect(d).toEqual(brute(fmt, src, codes, 16));
        expect(d.underflowCount).toBeGreaterThan(0);
        expect(d.saturationCount).toBeGreaterThan(0);
        expect(d.nonFinite).toBe(2);
      });
    }
  }

  it('counts the binades a well-scaled tensor occupies', () => {
    // Exactly the powers of two 2^-9 .. 2^8: every E4M3 binade once, subnormal ones included.
    const src = new Float32Array(18).map((_, i) => 2 ** (i - 9));
    const d = diagnose(E4M3, src, codesFor(E4M3, src, 1), 1);
    expect([d.usedBinades, d.formatBinades, d.underflowCount]).toEqual([18, 18, 0]);
    expect(d.dynamicRangeLog2).toBe(17);
    expect(d.saturationCount).toBe(0);
    expect(d.headroomLog2).toBeCloseTo(Math.log2(448 / 256), 12);
  });

  it('handles empty and all-zero tensors', () => {
    const empty = diagnose(E4M3, new Float32Array(0), new Uint8Array(0), 1);
    expect([empty.count, empty.underflowFraction, empty.saturationFraction, empty.usedBinades]).toEqual([
      0, 0, 0, 0,
    ]);
    const zeros = diagnose(E4M3, new Float32Array(5), new Uint8Array(5), 2);
    expect([zeros.dynamicRangeLog2, zeros.headroomLog2]).toEqual([0, Number.POSITIVE_INFINITY]);
  });
});

describe('countSaturated', () => {
  for (const fmt of [E4M3, E5M2, FP16]) {
    it(`counts codes at ±max or ±Inf, not NaN (${fmt.name})`, () => {
      const src = logUniform(10_000, -10, 20, 7);
      src[0] = Number.NaN;
      for (const saturate of [true, false]) {
        const codes = codesFor(fmt, src, 8, saturate);
        let want = 0;
        for (const c of codes) {
          const v = Math.abs(decode(fmt, c));
          if (v === fmt.maxFinite || v === Number.POSITIVE_INFINITY) want++;
        }
        expect(countSaturated(fmt, codes)).toBe(want);
      }
    });
  }
});
