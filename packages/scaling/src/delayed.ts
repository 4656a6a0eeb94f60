import { scaleFromAmax } from './compute-scale.js';
import type { AmaxAlgorithm, ScalingMeta } from './meta.js';
import { beginUpdate, type PerTensorOptions, type ScalingRecipe, updateWithReducer } from './recipe.js';
import type { AmaxReducer } from './reducer.js';
import { checkBoolean, checkNonNegativeInteger, checkOneOf, checkOptions } from './validate.js';

/** Options of {@link delayedRecipe}. */
export interface DelayedRecipeOptions extends PerTensorOptions {
  /** `'max'` (default) of the history window, or its `'most-recent'` entry (TE's `amax_compute_algo`). */
  amaxAlgorithm?: AmaxAlgorithm;
}

/** The delayed per-tensor recipe, with its options resolved. */
export interface DelayedRecipe extends ScalingRecipe {
  readonly name: 'delayed';
  readonly margin: number;
  readonly powerOfTwo: boolean;
  readonly amaxAlgorithm: AmaxAlgorithm;
}

/**
 * Delayed per-tensor scaling (TransformerEngine's `DelayedScaling`, MS-AMP): each update records the amax
 * in the meta's history window and sets `scale = computeScale(fpMax, windowAmax, { margin, powerOfTwo })`,
 * where `windowAmax` is the max (or the most recent) amax of the window. The trainer quantizes step t+1
 * with the scale from steps ≤ t, so it never waits for this step's amax.
 *
 * - Warm-up: while fewer than `historyLength` amaxes are recorded, the window is what has been seen so far,
 *   the current amax included, so a trainer can quantize just in time (amax → update → quantize).
 * - A window amax of zero keeps the previous scale (an all-zero tensor says nothing about range).
 * - A NaN/±Inf amax resets the history and the step counter (warm-up starts again) and keeps the scale.
 *
 * @example
 * const recipe = delayedRecipe({ margin: 0 });
 * const meta = new ScalingMeta(E4M3, { historyLength: 4 });
 * recipe.update(meta, 3.5); // meta.scale === 128
 */
export function delayedRecipe(options?: DelayedRecipeOptions): DelayedRecipe {
  const opts = checkOptions(options);
  const margin = checkNonNegativeInteger(opts.margin ?? 0, 'margin');
  const powerOfTwo = checkBoolean(opts.powerOfTwo, 'powerOfTwo', false);
  const amaxAlgorithm = checkOneOf(opts.amaxAlgorithm, 'amaxAlgorithm', ['max', 'most-recent'], 'max');
  const recipe: DelayedRecipe = {
    name: 'delayed',
    margin,
    powerOfTwo,
    amaxAlgorithm,
    update(meta: ScalingMeta, amax: number): void {
      const a = beginUpdate(meta, amax);
      if (a === null) return;
      meta.record(a);
      const windowAmax = meta.windowAmax(amaxAlgorithm);
      meta.setScale(
        scaleFromAmax(Math.fround(meta.format.maxFinite), windowAmax, margin, powerOfTwo, 0, meta.scale),
      );
    },
    updateReduced(meta: ScalingMeta, localAmax: number, reducer?: AmaxReducer): Promise<number> {
      return updateWithReducer(recipe, meta, localAmax, reducer);
    },
  };
  return Object.freeze(recipe);
}
