import { describe } from './validate.js';

/**
 * Reduces a rank's local amax over the group that shares a scale: the identity on one rank, a MAX
 * all-reduce across data-parallel (or sequence/tensor-parallel) ranks. Supplied by the caller, so the
 * recipes stay free of any transport. It may answer synchronously or with a promise.
 * @example
 * const reducer: AmaxReducer = (amax) => communicator.allReduceMax(amax);
 */
export type AmaxReducer = (amax: number) => number | Promise<number>;

/** The reducer of a single rank: returns the local amax unchanged. */
export const identityReducer: AmaxReducer = (amax) => amax;

/** Runs `reducer` on `localAmax` and checks that it answered with a number. */
export async function reduceAmax(localAmax: number, reducer: AmaxReducer): Promise<number> {
  if (typeof reducer !== 'function') {
    throw new TypeError(
      `reducer: expected a function (amax) => number | Promise<number>, found ${describe(reducer)}`,
    );
  }
  const reduced = await reducer(localAmax);
  if (typeof reduced !== 'number') {
    throw new TypeError(`reducer: expected it to return a number, found ${describe(reduced)}`);
  }
  return reduced;
}
