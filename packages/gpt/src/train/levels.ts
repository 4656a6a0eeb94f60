import type { PresetName } from '@fp8lm/optimizer';
import type { LinearRecipe } from '../layers/linear-types.js';

/** FP8-LM's precision levels plus the two baselines (DESIGN.md's recipe table). */
export const LEVELS = ['fp32', 'bf16', 'O1', 'O2', 'O3'] as const;
/** One of {@link LEVELS}. */
export type Level = (typeof LEVELS)[number];

/** Scaling recipes of the FP8 tensors of the linear layers. */
export const SCALING_RECIPES = ['delayed', 'current', 'mx', 'deepseek-blocks'] as const;
/** One of {@link SCALING_RECIPES}. */
export type ScalingRecipeName = (typeof SCALING_RECIPES)[number];

/** Gradient pre-scaling μ: FP8-LM's automatic μ, MS-AMP's fixed `1/sqrt(ranks)`, or none. */
export const GRAD_SCALINGS = ['auto', 'fixed', 'none'] as const;
/** One of {@link GRAD_SCALINGS}. */
export type GradScalingName = (typeof GRAD_SCALINGS)[number];

/**
 * The AdamW state layout: `level` (the level's own, the recipe table below) or one of
 * `@fp8lm/optimizer`'s presets, e.g. `O2+fp8v` (O2 with COAT's per-group E4M3 second moment: 5 bytes
 * per parameter instead of 6).
 */
export const OPTIMIZER_STATES = ['level', 'fp32', 'O1', 'O2', 'O2+fp8v'] as const satisfies readonly (
  | 'level'
  | PresetName
)[];
/** One of {@link OPTIMIZER_STATES}. */
export type OptimizerStateName = (typeof OPTIMIZER_STATES)[number];

/** What a level means for each part of the trainer. */
export interface LevelPlan {
  readonly level: Level;
  /** The optimizer's state layout (`@fp8lm/optimizer` preset). */
  readonly optimizerPreset: PresetName;
  /** How the linear layers compute. */
  readonly linear: LinearRecipe;
  /** True for O1/O2/O3: FP8 GEMMs and FP8 weight gradients, so scaling and μ apply. */
  readonly fp8: boolean;
  /** The dtype of the linear weights in the checkpoint's model tensors (the "weights stored" column). */
  readonly weightsStored: 'f32' | 'f16' | 'e4m3';
}

/**
 * The recipe table:
 *
 * | level | linear GEMMs | weight grad | optimizer (master / m / v) | weights stored |
 * |---|---|---|---|---|
 * | fp32 | f32 | f32 | `fp32`: f32 / f32 / f32 | f32 |
 * | bf16 | bf16 inputs, f32 accumulation | f32 | `fp32`: f32 / f32 / f32 | f32 |
 * | O1 | E4M3 (dy E5M2) | E4M3 scaled | `O1`: FP16 scaled / f32 / f32 | FP16 scaled |
 * | O2 | same | same | `O2`: FP16 scaled / E4M3 / FP16 scaled | FP16 scaled |
 * | O3 | same | same | `O2` (one rank: ZeRO sharding is a no-op) | E4M3 + scale |
 *
 * `optimizerState` other than `level` replaces the optimizer column (`O2+fp8v` for 5 bytes/param).
 *
 * O3 differs from O2 by ZeRO-sharding the optimizer state and all-gathering the weights as E4M3; on a
 * single rank there is nothing to shard, so it trains exactly as O2 (the linear layers use E4M3 weights
 * at every level from O1 up) and differs only in the checkpoint, whose linear weights are E4M3 + scale.
 */
export function levelPlan(
  level: Level,
  scaling: ScalingRecipeName = 'delayed',
  optimizerState: OptimizerStateName = 'level',
): LevelPlan {
  if (!LEVELS.includes(level)) {
    throw new RangeError(`level: expected one of ${LEVELS.join(', ')}, found ${JSON.stringify(level)}`);
  }
  if (!SCALING_RECIPES.includes(scaling)) {
    throw new RangeError(
      `scaling: expected one of ${SCALING_RECIPES.join(', ')}, found ${JSON.stringify(scaling)}`,
    );
  }
  if (!OPTIMIZER_STATES.includes(optimizerState)) {
    throw new RangeError(
      `optimizerState: expected one of ${OPTIMIZER_STATES.join(', ')}, found ${JSON.stringify(optimizerState)}`,
    );
  }
  const preset = (own: PresetName): PresetName => (optimizerState === 'level' ? own : optimizerState);
  if (level === 'fp32' || level === 'bf16') {
    // Both keep f32 master weights and moments; only the linear layers' GEMMs differ.
    return {
      level,
      optimizerPreset: preset('fp32'),
      linear: { precision: level },
      fp8: false,
      weightsStored: 'f32',
    };
  }
  const linear: LinearRecipe =
    scaling === 'delayed' || scaling === 'current'
      ? { precision: 'fp8', scaling, granularity: 'tensor' }
      : { precision: 'fp8', scaling: 'current', granularity: scaling === 'mx' ? 'mx' : 'deepseek' };
  return {
    level,
    optimizerPreset: preset(level === 'O1' ? 'O1' : 'O2'),
    linear,
    fp8: true,
    weightsStored: level === 'O3' ? 'e4m3' : 'f16',
  };
}
