import { E4M3, E5M2 } from '@fp8lm/fp8-format';
import { type AmaxAlgorithm, delayedRecipe, ScalingMeta } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { referenceScale } from './helpers/reference.js';

/**
 * Delayed scaling as the issue describes it, written as the obvious loop over a plain array: the amaxes
 * since the last reset, the window is the last `length` of them, zero keeps the scale, NaN/Inf forgets
 * everything and keeps the scale.
 */
function referenceDelayed(
  amaxes: number[],
  length: number,
  fpMax: number,
  opts: { margin?: number; powerOfTwo?: boolean; algorithm?: AmaxAlgorithm },
): { scale: number; step: number }[] {
  let seen: number[] = [];
  let scale = 1;
  const out: { scale: number; step: number }[] = [];
  for (const raw of amaxes) {
    const a = Math.fround(raw);
    if (!Number.isFinite(a)) {
      seen = [];
    } else {
      seen.push(a);
      const window = seen.slice(-length);
      const w = opts.algorithm === 'most-recent' ? window[window.length - 1] : Math.max(...window);
      if (w > 0) scale = referenceScale(fpMax, w, { margin: opts.margin, powerOfTwo: opts.powerOfTwo });
    }
    out.push({ scale, step: seen.length });
  }
  return out;
}

// A script that exercises warm-up, a window that slides past its max, zeros, NaN and Inf resets,
// and amaxes that are not float32 values.
const SCRIPT = [
  3.5,
  1,
  0.3,
  20,
  0.01,
  0,
  0.02,
  0.5,
  0.5,
  7,
  Number.NaN,
  0.1,
  0,
  0.2,
  1e-3,
  2.5,
  1e5,
  0.25,
  0.25,
  0.25,
  0.25,
  0.25,
  Number.POSITIVE_INFINITY,
  0,
  0,
  3,
  1 / 3,
  1e-40,
  6e4,
  0.7,
];

describe('delayed recipe', () => {
  for (const algorithm of ['max', 'most-recent'] as const) {
    for (const [margin, powerOfTwo] of [
      [0, false],
      [2, false],
      [0, true],
      [1, true],
    ] as const) {
      for (const length of [1, 4, 7]) {
        it(`follows the reference loop (${algorithm}, margin ${margin}, pow2 ${powerOfTwo}, window ${length})`, () => {
          const recipe = delayedRecipe({ margin, powerOfTwo, amaxAlgorithm: algorithm });
          const meta = new ScalingMeta(E4M3, { historyLength: length });
          const want = referenceDelayed(SCRIPT, length, 448, { margin, powerOfTwo, algorithm });
          SCRIPT.forEach((amax, i) => {
            recipe.update(meta, amax);
            expect({ i, scale: meta.scale, step: meta.step }).toEqual({ i, ...want[i] });
            expect(meta.scaleInv).toBe(Math.fround(1 / want[i].scale));
            expect(meta.isWarmup).toBe(want[i].step < length);
          });
        });
      }
    }
  }

  it('scales just in time during warm-up: the first amax sets the scale at once', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 16 });
    delayedRecipe().update(meta, 3.5);
    expect(meta.scale).toBe(128);
    expect(meta.isWarmup).toBe(true);
  });

  it('lets the window forget an old maximum', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 4 });
    const recipe = delayedRecipe();
    for (const a of [14, 1, 1, 1]) recipe.update(meta, a);
    expect(meta.scale).toBe(32); // 448 / 14: the 14 is still in the window
    recipe.update(meta, 1);
    expect(meta.scale).toBe(448); // the 14 fell out
  });

  it('keeps the previous scale for a zero amax', () => {
    const meta = new ScalingMeta(E5M2, { historyLength: 1 });
    const recipe = delayedRecipe();
    recipe.update(meta, 7);
    recipe.update(meta, 0);
    expect(meta.scale).toBe(Math.fround(57344 / 7));
    expect(meta.step).toBe(2);
  });

  it('resets the counter and the history on NaN/Inf and keeps the scale', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 3 });
    const recipe = delayedRecipe();
    for (const a of [1, 2, 4, 8]) recipe.update(meta, a);
    expect(meta.isWarmup).toBe(false);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      recipe.update(meta, bad);
      expect(meta.scale).toBe(56);
      expect(meta.step).toBe(0);
      expect(meta.isWarmup).toBe(true);
      expect([...meta.amaxHistory]).toEqual([0, 0, 0]);
    }
    recipe.update(meta, 0.5);
    expect(meta.scale).toBe(896); // the 8 is forgotten
  });

  it('records amaxes as float32 in a ring buffer', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 3 });
    for (const a of [0.1, 0.2, 0.3, 0.4]) delayedRecipe().update(meta, a);
    expect([...meta.amaxHistory]).toEqual([0.4, 0.2, 0.3].map(Math.fround));
    expect(meta.windowAmax('most-recent')).toBe(Math.fround(0.4));
    expect(meta.windowAmax('max')).toBe(Math.fround(0.4));
  });
});
