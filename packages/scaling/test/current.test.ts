import { E4M3, E5M2 } from '@fp8lm/fp8-format';
import { currentRecipe, ScalingMeta } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { referenceScale } from './helpers/reference.js';

describe('current recipe', () => {
  it('scales from the current amax only, whatever the history', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 8 });
    const recipe = currentRecipe();
    for (const a of [100, 0.5, 3, 1e-3, 2e4]) {
      recipe.update(meta, a);
      expect(meta.scale).toBe(referenceScale(448, a));
      expect(meta.scaleInv).toBe(Math.fround(1 / meta.scale));
    }
    expect(meta.step).toBe(5);
  });

  it('floors the amax at epsilon (default 1e-12)', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 1 });
    const recipe = currentRecipe();
    recipe.update(meta, 0);
    expect(meta.scale).toBe(Math.fround(448 / Math.fround(1e-12)));
    recipe.update(meta, 1e-14);
    expect(meta.scale).toBe(Math.fround(448 / Math.fround(1e-12)));
    recipe.update(meta, 1e-11);
    expect(meta.scale).toBe(Math.fround(448 / Math.fround(1e-11)));
  });

  it('with epsilon 0, a zero amax keeps the previous scale', () => {
    const meta = new ScalingMeta(E5M2, { historyLength: 1 });
    const recipe = currentRecipe({ epsilon: 0 });
    recipe.update(meta, 14);
    recipe.update(meta, 0);
    expect(meta.scale).toBe(4096);
  });

  it('applies margin and power-of-two rounding', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 1 });
    currentRecipe({ margin: 1, powerOfTwo: true }).update(meta, 3);
    expect(meta.scale).toBe(64);
    expect(meta.scaleInv).toBe(1 / 64);
  });

  it('keeps the scale and resets on NaN', () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 2 });
    const recipe = currentRecipe();
    recipe.update(meta, 7);
    recipe.update(meta, Number.NaN);
    expect(meta.scale).toBe(64);
    expect(meta.step).toBe(0);
  });
});
