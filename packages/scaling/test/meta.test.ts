import { E4M3, E5M2, FP16 } from '@fp8lm/fp8-format';
import { delayedRecipe, ScalingMeta } from '@fp8lm/scaling';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsOf, floatOf } from './helpers/reference.js';

// Finite non-negative float32 values from their bits: zero, subnormals (below 0x00800000) and normals.
const amaxBits = fc.oneof(
  fc.integer({ min: 0, max: 0x007fffff }),
  fc.integer({ min: 0x00800000, max: 0x7f7fffff }),
  fc.constantFrom(0, 1, 0x007fffff, 0x00800000, 0x7f7fffff),
);

function sameBits(a: ScalingMeta, b: ScalingMeta): void {
  expect(b.format).toBe(a.format);
  expect(b.historyLength).toBe(a.historyLength);
  expect(new Uint8Array(b.amaxHistory.buffer)).toEqual(new Uint8Array(a.amaxHistory.buffer));
  expect(bitsOf(b.scale)).toBe(bitsOf(a.scale));
  expect(bitsOf(b.scaleInv)).toBe(bitsOf(a.scaleInv));
  expect(b.step).toBe(a.step);
}

describe('ScalingMeta', () => {
  it('starts with scale 1, an empty history and step 0', () => {
    const meta = new ScalingMeta('e4m3');
    expect(meta.format).toBe(E4M3);
    expect(meta.historyLength).toBe(1024);
    expect(meta.amaxHistory.length).toBe(1024);
    expect([meta.scale, meta.scaleInv, meta.step, meta.recorded]).toEqual([1, 1, 0, 0]);
    expect(meta.windowAmax()).toBe(0);
  });

  it('sets scale and scaleInv together, as float32', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 2, scale: 3 });
    expect(meta.scaleInv).toBe(Math.fround(1 / 3));
    meta.setScale(0.1);
    expect(meta.scale).toBe(Math.fround(0.1));
    expect(meta.scaleInv).toBe(Math.fround(1 / Math.fround(0.1)));
  });

  it('stores -0 as +0', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 1 });
    meta.record(-0);
    expect(Object.is(meta.amaxHistory[0], 0)).toBe(true);
  });

  it('round-trips through JSON bit-exactly, denormal amaxes included (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(E4M3, E5M2, FP16),
        fc.integer({ min: 1, max: 9 }),
        fc.array(amaxBits, { maxLength: 30 }),
        fc.integer({ min: 0x00400000, max: 0x7f7fffff }), // scales from 2^-127 up: 1/scale must be finite
        (format, historyLength, bits, scaleBits) => {
          const meta = new ScalingMeta(format, { historyLength });
          for (const b of bits) meta.record(floatOf(b));
          meta.setScale(floatOf(scaleBits));
          const text = JSON.stringify(meta);
          const back = ScalingMeta.fromJSON(text);
          sameBits(meta, back);
          sameBits(meta, ScalingMeta.fromJSON(JSON.parse(text)));
          expect(JSON.stringify(back)).toBe(text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a stored scaleInv as is and resumes the ring where it stopped', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 3 });
    const recipe = delayedRecipe();
    for (const a of [floatOf(1), 5, 2 ** -140, 0.75]) recipe.update(meta, a);
    const json = { ...meta.toJSON(), scaleInv: 0.5 };
    const back = ScalingMeta.fromJSON(json);
    expect(back.scaleInv).toBe(0.5);
    expect(back.amaxHistory[0]).toBe(0.75);
    expect(back.amaxHistory[2]).toBe(2 ** -140);
    recipe.update(meta, 3);
    recipe.update(back, 3);
    expect(back.amaxHistory).toEqual(meta.amaxHistory);
    expect(back.scale).toBe(meta.scale);
  });

  it('rejects malformed JSON, naming the field', () => {
    const good = new ScalingMeta(E4M3, { historyLength: 2 }).toJSON();
    const cases: [unknown, RegExp][] = [
      [null, /^json: expected/],
      [{ ...good, version: 2 }, /^json\.version/],
      [{ ...good, format: 'e9m9' }, /^json\.format/],
      [{ ...good, historyLength: 0 }, /^json\.historyLength/],
      [{ ...good, amaxHistory: [0] }, /^json\.amaxHistory: expected an array of 2/],
      [{ ...good, amaxHistory: [0, -1] }, /^json\.amaxHistory\[1\]/],
      [{ ...good, amaxHistory: [0, 0.1] }, /^json\.amaxHistory\[1\]: expected a finite non-negative float32/],
      [{ ...good, scale: 0 }, /^json\.scale:/],
      [{ ...good, scale: 0.1 }, /^json\.scale: expected a float32/],
      [{ ...good, scaleInv: null }, /^json\.scaleInv/],
      [{ ...good, step: -1 }, /^json\.step/],
      [{ ...good, step: 1.5 }, /^json\.step/],
    ];
    for (const [json, message] of cases) {
      expect(() => ScalingMeta.fromJSON(json as never), JSON.stringify(json)).toThrow(message);
    }
  });
});
