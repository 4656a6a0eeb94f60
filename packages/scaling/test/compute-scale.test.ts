import { E4M3, E5M2 } from '@fp8lm/fp8-format';
import { computeScale } from '@fp8lm/scaling';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsOf, floatOf, floorLog2, referenceScale } from './helpers/reference.js';

// Finite positive float32 values, normals and subnormals alike.
const positiveFloat32 = fc.integer({ min: 1, max: 0x7f7fffff }).map(floatOf);

describe('computeScale', () => {
  it('is fpMax / amax in float32', () => {
    expect(computeScale(448, 3.5)).toBe(128);
    expect(computeScale(448, 3)).toBe(Math.fround(448 / 3));
    expect(computeScale(E5M2.maxFinite, 7)).toBe(Math.fround(57344 / 7));
  });

  it('divides by 2^margin', () => {
    expect(computeScale(448, 3.5, { margin: 2 })).toBe(32);
    expect(computeScale(448, 3, { margin: 1 })).toBe(Math.fround(224 / 3));
  });

  it('rounds down to a power of two: 2^(floor(log2(fpMax/amax)) - margin)', () => {
    expect(computeScale(448, 3, { powerOfTwo: true })).toBe(128);
    expect(computeScale(448, 3, { powerOfTwo: true, margin: 3 })).toBe(16);
    expect(computeScale(448, 448, { powerOfTwo: true })).toBe(1);
    expect(computeScale(448, 449, { powerOfTwo: true })).toBe(0.5);
  });

  it('keeps the previous scale for a zero or non-finite amax', () => {
    for (const amax of [0, -0, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(computeScale(448, amax)).toBe(1);
      expect(computeScale(448, amax, { previous: 0.25 })).toBe(0.25);
    }
    // A finite double too large for float32 is an infinite float32 amax.
    expect(computeScale(448, 1e39, { previous: 8 })).toBe(8);
  });

  it('floors the amax at epsilon', () => {
    expect(computeScale(448, 0, { epsilon: 2 ** -10 })).toBe(448 * 2 ** 10);
    expect(computeScale(448, 2 ** -20, { epsilon: 2 ** -10 })).toBe(448 * 2 ** 10);
    expect(computeScale(448, 2, { epsilon: 2 ** -10 })).toBe(224);
  });

  it('clamps an overflowing quotient to the largest float32 (2^127 for powers of two)', () => {
    const tiny = floatOf(1); // 2^-149
    expect(computeScale(448, tiny)).toBe(floatOf(0x7f7fffff));
    expect(computeScale(448, tiny, { powerOfTwo: true })).toBe(2 ** 127);
    expect(Number.isFinite(Math.fround(1 / computeScale(448, tiny)))).toBe(true);
  });

  it('never goes below 2^-127, so 1/scale stays a finite float32', () => {
    const huge = floatOf(0x7f7fffff); // the largest float32, about 2^128
    // 448 * 2^-7 / 2^128 is about 2^-126.2: a float32 subnormal, kept as is or floored to 2^-127.
    expect(computeScale(448, huge, { margin: 7 })).toBe(Math.fround(448 / 2 ** 7 / huge));
    expect(computeScale(448, huge, { margin: 7, powerOfTwo: true })).toBe(2 ** -127);
    // One binade further down the quotient is below 2^-127 and is clamped.
    expect(computeScale(448, huge, { margin: 8 })).toBe(2 ** -127);
    expect(computeScale(448, huge, { margin: 200, powerOfTwo: true })).toBe(2 ** -127);
    expect(Math.fround(1 / 2 ** -127)).toBe(2 ** 127);
  });

  it('matches the reference for every float32 amax (property)', () => {
    fc.assert(
      fc.property(positiveFloat32, fc.integer({ min: 0, max: 8 }), fc.boolean(), (amax, margin, pow2) => {
        const got = computeScale(E4M3.maxFinite, amax, { margin, powerOfTwo: pow2 });
        // Away from the overflow/underflow clamps the reference is the whole story.
        const want = referenceScale(448, amax, { margin, powerOfTwo: pow2 });
        if (want >= 2 ** -127) expect(got).toBe(want);
        else expect(got).toBe(2 ** -127);
      }),
      { numRuns: 1000 },
    );
  });

  it('power-of-two scales never push amax above fpMax and are the largest that do not (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -100, max: 2 ** 100, noNaN: true }), (x) => {
        const amax = Math.fround(x);
        const s = computeScale(448, amax, { powerOfTwo: true });
        expect(2 ** floorLog2(s)).toBe(s);
        // amax * s <= 448 up to the float32 rounding of 448 / amax (documented), and 2s would exceed it.
        expect(amax * s).toBeLessThanOrEqual(448 * (1 + 2 ** -23));
        expect(amax * 2 * s).toBeGreaterThan(448);
        // The formula, evaluated exactly, differs at most where fround(448/amax) rounded up.
        const exact = 2 ** floorLog2(448 / amax);
        if (exact !== s) expect(Math.fround(448 / amax)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('scales are float32 values', () => {
    fc.assert(
      fc.property(positiveFloat32, (amax) => {
        const s = computeScale(57344, amax);
        expect(floatOf(bitsOf(s))).toBe(s);
      }),
    );
  });
});
