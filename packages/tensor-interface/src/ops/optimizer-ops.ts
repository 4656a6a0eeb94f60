import type { DeviceTensor, ScaleArg } from '../backend.js';

/**
 * The second moment kept in E4M3 with one scale per group of consecutive elements and COAT's dynamic
 * range expansion (arXiv 2410.19313): within a group, `y = v / groupMax` is stored as
 * `encode(y^k · maxFinite)`, with `k` chosen so the group's range fills E4M3's normal range. Decode:
 * `v = groupMax · (decode(q) / maxFinite)^(1/k)`.
 */
export interface GroupedMoment {
  readonly groupSize: number;
  /** Per group: the largest value of the group (f32, one per group). */
  readonly groupMax: DeviceTensor<'f32'>;
  /** Per group: the expansion exponent k (f32, one per group; 1 means no expansion). */
  readonly exponent: DeviceTensor<'f32'>;
}

/**
 * One parameter tensor's AdamW state, each component in the dtype its layout chose. Every
 * `*ScaleInv` multiplies decoded values (`x = decode(q) · scaleInv`, default 1).
 */
export interface AdamWTensors {
  readonly master: DeviceTensor<'f32' | 'f16' | 'bf16'>;
  readonly masterScaleInv?: ScaleArg;
  readonly grad: DeviceTensor<'f32' | 'f16' | 'bf16' | 'e4m3' | 'e5m2'>;
  readonly gradScaleInv?: ScaleArg;
  readonly m: DeviceTensor<'f32' | 'f16' | 'bf16' | 'e4m3'>;
  readonly mScaleInv?: ScaleArg;
  readonly v: DeviceTensor<'f32' | 'f16' | 'bf16' | 'e4m3'>;
  readonly vScaleInv?: ScaleArg;
  /** Set when `v` is E4M3 with per-group scaling and range expansion; `vScaleInv` is then ignored. */
  readonly vGroups?: GroupedMoment;
}

/** Hyperparameters of one AdamW step. */
export interface AdamWHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** 1-based step number, for bias correction. */
  readonly step: number;
  /** true: AdamW's decoupled decay `p -= lr·wd·p`; false: Adam's L2 term `g += wd·p`. Default true. */
  readonly decoupled?: boolean;
  /** Divide m and v by `1 - beta^step`. Default true. */
  readonly biasCorrection?: boolean;
  /** Extra multiplier on the decoded gradient: gradient clipping, undoing a pre-scale μ. Default 1. */
  readonly gradMultiplier?: number;
}

/** Scales for the requantization in {@link OptimizerOps.adamwApply} (`q = cast(x · scale)`, default 1). */
export interface AdamWNextScales {
  readonly masterScale?: ScaleArg;
  readonly mScale?: ScaleArg;
  readonly vScale?: ScaleArg;
  /**
   * For grouped v: the per-group statistics written by {@link OptimizerOps.adamwStats}; the kernel
   * derives each group's max and exponent from them and writes them to `vGroups`.
   */
  readonly groupStats?: DeviceTensor<'f32'>;
}

/**
 * Fused AdamW in two stages, as FP8-LM orders it: dequantize with the old scales and update in f32
 * (stage 1 records the new amaxes), derive the new scales from this step's amaxes, then recompute
 * the same update and requantize with them (stage 2). Recomputing instead of keeping an f32 copy
 * costs one more pass and no memory.
 */
export interface OptimizerOps {
  /**
   * Stage 1: computes the update without writing any state. Writes `max |x|` of the new master, m and
   * v to `stats[0..2]` (NaN if any is NaN); when v is grouped, writes each group's `[max, smallest
   * non-zero]` of the new v to `groupStats[2g], groupStats[2g+1]` (0 when the group is all zero).
   */
  adamwStats(
    tensors: AdamWTensors,
    hyper: AdamWHyper,
    stats: DeviceTensor<'f32'>,
    groupStats?: DeviceTensor<'f32'>,
  ): void;
  /** Stage 2: recomputes the stage-1 update and writes master, m and v with the new scales. */
  adamwApply(tensors: AdamWTensors, hyper: AdamWHyper, next: AdamWNextScales): void;
  /** `out[index] = Σ (decode(x_i) · scaleInv)²` in f32 or better (global-norm clipping, non-finite detection). */
  sumSquares(
    x: DeviceTensor,
    out: DeviceTensor<'f32'>,
    index?: number,
    options?: { scaleInv?: ScaleArg },
  ): void;
}
