import { type AutoScalerOptions, checkCounts, GradientAutoScaler } from './auto-scale.js';
import { checkOptions, checkPositiveInteger, describe } from './validate.js';

/** The gradient pre-scaling strategies a trainer can pick by name. */
export const PRE_SCALE_NAMES = Object.freeze(['auto', 'fixed', 'none'] as const);

/** One of {@link PRE_SCALE_NAMES}. */
export type PreScaleName = (typeof PRE_SCALE_NAMES)[number];

/**
 * A gradient pre-scaler: the trainer multiplies weight gradients by `mu` before quantizing them for the
 * FP8 all-reduce and divides by it afterwards, then reports the saturation it saw.
 */
export interface GradientPreScaler {
  readonly name: PreScaleName;
  /** The multiplier for this step's gradients (a float32). */
  readonly mu: number;
  /** Reports one step's saturated count out of `total`; returns `mu` for the next step. */
  update(saturatedCount: number, total: number): number;
}

/** Options of {@link preScaleByName}. */
export interface PreScaleOptions extends AutoScalerOptions {
  /** Number of ranks summing the gradients; required by `'fixed'`. */
  worldSize?: number;
}

/**
 * MS-AMP's fixed pre-scale `1 / sqrt(worldSize)` (as a float32): the sum of N pre-scaled gradients then
 * grows like sqrt(N) · |g| for uncorrelated ranks, instead of N · |g|.
 * @example fixedPreScale(4) // → 0.5
 */
export function fixedPreScale(worldSize: number): number {
  return Math.fround(1 / Math.sqrt(checkPositiveInteger(worldSize, 'worldSize')));
}

/**
 * The pre-scaler named `name`: `'auto'` ({@link GradientAutoScaler}, FP8-LM's μ), `'fixed'`
 * ({@link fixedPreScale}, needs `worldSize`) or `'none'` (μ = 1). A RangeError lists the valid names for
 * anything else.
 * @example
 * const pre = preScaleByName('fixed', { worldSize: 16 }); // pre.mu === 0.25
 */
export function preScaleByName(name: PreScaleName, options?: PreScaleOptions): GradientPreScaler {
  const opts = checkOptions(options);
  switch (name) {
    case 'auto': {
      const { worldSize: _ignored, ...auto } = opts;
      return new GradientAutoScaler(auto);
    }
    case 'fixed':
      if (opts.worldSize === undefined) {
        throw new TypeError(
          `options.worldSize: required by the 'fixed' pre-scale (mu = 1 / sqrt(worldSize))`,
        );
      }
      return constantPreScaler('fixed', fixedPreScale(opts.worldSize));
    case 'none':
      return constantPreScaler('none', 1);
    default:
      throw new RangeError(
        `name: expected one of ${PRE_SCALE_NAMES.map((n) => `'${n}'`).join(', ')}, found ${describe(name)}`,
      );
  }
}

function constantPreScaler(name: PreScaleName, mu: number): GradientPreScaler {
  return Object.freeze({
    name,
    mu,
    update(saturatedCount: number, total: number): number {
      // Checked anyway, so switching strategies never hides a caller's bug.
      checkCounts(saturatedCount, total);
      return mu;
    },
  });
}
