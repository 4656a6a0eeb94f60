import { E4M3 } from '@fp8lm/fp8-format';
import { currentRecipe, delayedRecipe, identityReducer, ScalingMeta } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';

describe('amax reduction hook', () => {
  it('identityReducer returns the local amax', async () => {
    expect(identityReducer(3.25)).toBe(3.25);
    const meta = new ScalingMeta(E4M3, { historyLength: 4 });
    expect(await delayedRecipe().updateReduced(meta, 7)).toBe(7);
    expect(meta.scale).toBe(64);
  });

  it('a MAX all-reduce gives every rank the same scale (s_g = min_i s_i)', async () => {
    const local = [0.5, 3.5, 1.25, 0.001];
    const metas = local.map(() => new ScalingMeta(E4M3, { historyLength: 4 }));
    // A stand-in for the collective: resolves once every rank has contributed, like an all-reduce.
    const contributions: number[] = [];
    let release: (v: number) => void = () => {};
    const done = new Promise<number>((resolve) => {
      release = resolve;
    });
    const allReduceMax = (amax: number): Promise<number> => {
      contributions.push(amax);
      if (contributions.length === local.length) release(Math.max(...contributions));
      return done;
    };
    const recipe = currentRecipe();
    const reduced = await Promise.all(metas.map((m, i) => recipe.updateReduced(m, local[i], allReduceMax)));
    expect(reduced).toEqual([3.5, 3.5, 3.5, 3.5]);
    const minLocalScale = Math.min(...local.map((a) => Math.fround(448 / a)));
    for (const m of metas) expect(m.scale).toBe(minLocalScale);
  });

  it('accepts a synchronous reducer and rejects one that returns no number', async () => {
    const meta = new ScalingMeta(E4M3, { historyLength: 1 });
    await delayedRecipe().updateReduced(meta, 1, (a) => a * 2);
    expect(meta.scale).toBe(224);
    await expect(delayedRecipe().updateReduced(meta, 1, () => '2' as never)).rejects.toThrow(
      /^reducer: expected it to return a number/,
    );
    await expect(delayedRecipe().updateReduced(meta, 1, 42 as never)).rejects.toThrow(
      /^reducer: expected a function/,
    );
  });

  it('checks the meta before calling the reducer', async () => {
    let called = false;
    const reducer = (a: number) => {
      called = true;
      return a;
    };
    await expect(delayedRecipe().updateReduced({} as never, 1, reducer)).rejects.toThrow(
      /^meta: expected a ScalingMeta/,
    );
    expect(called).toBe(false);
  });
});
