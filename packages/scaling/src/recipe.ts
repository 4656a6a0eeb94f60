import { ScalingMeta } from './meta.js';
import { type AmaxReducer, identityReducer, reduceAmax } from './reducer.js';
import { assertNumber, describe } from './validate.js';

/**
 * A per-tensor scaling recipe: a small stateless object (all state lives in the {@link ScalingMeta}) that a
 * trainer picks by name, one per tensor role.
 */
export interface ScalingRecipe {
  readonly name: 'delayed' | 'current';
  /**
   * Records `amax` (this step's `max |x|`, already reduced over the ranks that share the scale) in `meta`
   * and recomputes `meta.scale`/`meta.scaleInv`. A NaN or ±Inf amax resets the history and the step
   * counter and keeps the previous scale.
   */
  update(meta: ScalingMeta, amax: number): void;
  /**
   * {@link ScalingRecipe.update} with `reducer(localAmax)` (default: the identity), for ranks that must
   * agree on one scale. Resolves to the reduced amax.
   */
  updateReduced(meta: ScalingMeta, localAmax: number, reducer?: AmaxReducer): Promise<number>;
}

/** Options every per-tensor recipe takes. */
export interface PerTensorOptions {
  /** Headroom in binades (a non-negative integer, default 0): the scale is divided by `2^margin`. */
  margin?: number;
  /** Round scales down to powers of two (default false). */
  powerOfTwo?: boolean;
}

/**
 * The part of `update` every per-tensor recipe shares: checks the arguments and handles a non-finite
 * amax. Returns the amax as a float32, or null when the meta was reset and the scale must stay.
 */
export function beginUpdate(meta: ScalingMeta, amax: number): number | null {
  if (!(meta instanceof ScalingMeta))
    throw new TypeError(`meta: expected a ScalingMeta, found ${describe(meta)}`);
  assertNumber(amax, 'amax');
  const a = Math.fround(amax);
  if (!Number.isFinite(a)) {
    // An overflowed step says nothing about the next one: forget the window, keep the last good scale.
    meta.reset();
    return null;
  }
  if (a < 0)
    throw new RangeError(`amax: expected a non-negative number (an absolute maximum), found ${amax}`);
  return a;
}

/** `updateReduced` for any recipe: checks `meta` before the (possibly collective) reduction, then updates. */
export async function updateWithReducer(
  recipe: ScalingRecipe,
  meta: ScalingMeta,
  localAmax: number,
  reducer: AmaxReducer = identityReducer,
): Promise<number> {
  // Fail before communicating: a rank that throws after entering a collective would hang the others.
  if (!(meta instanceof ScalingMeta))
    throw new TypeError(`meta: expected a ScalingMeta, found ${describe(meta)}`);
  assertNumber(localAmax, 'localAmax');
  const amax = await reduceAmax(localAmax, reducer);
  recipe.update(meta, amax);
  return amax;
}
