import { scaleFromAmax } from './compute-scale.js';
import type { ScalingMeta } from './meta.js';
import { beginUpdate, type PerTensorOptions, type ScalingRecipe, updateWithReducer } from './recipe.js';
import type { AmaxReducer } from './reducer.js';
import { checkBoolean, checkNonNegativeFinite, checkNonNegativeInteger, checkOptions } from './validate.js';

/** Options of {@link currentRecipe}. */
export interface CurrentRecipeOptions extends PerTensorOptions {
  /**
   * Floor on the amax (default 1e-12, torchao.float8's `EPS`): an all-zero or nearly-zero tensor gets the
   * finite scale `fpMax / epsilon` rather than an overflowing one. 0 disables the floor; a zero amax then
   * keeps the previous scale.
   */
  epsilon?: number;
}

/** The current per-tensor recipe, with its options resolved. */
export interface CurrentRecipe extends ScalingRecipe {
  readonly name: 'current';
  readonly margin: number;
  readonly powerOfTwo: boolean;
  readonly epsilon: number;
}

/**
 * Current (just-in-time) per-tensor scaling (torchao.float8's dynamic scaling, TE's
 * `Float8CurrentScaling`): the scale comes from this tensor's own amax, `computeScale(fpMax, max(amax,
 * epsilon), { margin, powerOfTwo })`. The trainer computes the amax, updates, then quantizes; no history
 * is consulted, but the amax is still recorded so the meta's history can be plotted and checkpointed.
 * A NaN/±Inf amax resets the history and keeps the previous scale, as in the delayed recipe.
 *
 * @example
 * const meta = new ScalingMeta(E4M3, { historyLength: 1 });
 * currentRecipe().update(meta, 7); // meta.scale === 64
 */
export function currentRecipe(options?: CurrentRecipeOptions): CurrentRecipe {
  const opts = checkOptions(options);
  const margin = checkNonNegativeInteger(opts.margin ?? 0, 'margin');
  const powerOfTwo = checkBoolean(opts.powerOfTwo, 'powerOfTwo', false);
  const epsilon = Math.fround(checkNonNegativeFinite(opts.epsilon ?? 1e-12, 'epsilon'));
  const recipe: CurrentRecipe = {
    name: 'current',
    margin,
    powerOfTwo,
    epsilon,
    update(meta: ScalingMeta, amax: number): void {
      const a = beginUpdate(meta, amax);
      if (a === null) return;
      meta.record(a);
      meta.setScale(
        scaleFromAmax(Math.fround(meta.format.maxFinite), a, margin, powerOfTwo, epsilon, meta.scale),
      );
    },
    updateReduced(meta: ScalingMeta, localAmax: number, reducer?: AmaxReducer): Promise<number> {
      return updateWithReducer(recipe, meta, localAmax, reducer);
    },
  };
  return Object.freeze(recipe);
}
