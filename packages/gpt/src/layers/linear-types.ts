import type { DeviceTensor } from '@fp8lm/tensor-interface';

/** What the GEMMs of a linear layer compute in. */
export type LinearPrecision = 'fp32' | 'bf16' | 'fp8';

/** Per-tensor scaling recipe of the FP8 tensors (x, W, dy, dW). */
export type LinearScaling = 'delayed' | 'current';

/** Scaling granularity: one scale per tensor, OCP MX blocks (1×32, E8M0), DeepSeek-V3 tiles (1×128 / 128×128). */
export type LinearGranularity = 'tensor' | 'mx' | 'deepseek';

/** How a linear layer computes; one recipe object, never a fork of the code. */
export interface LinearRecipe {
  readonly precision: LinearPrecision;
  /** Format of the output gradient dy in FP8: 'e5m2' (HYBRID, default) or 'e4m3'. */
  readonly gradFormat?: 'e5m2' | 'e4m3';
  /** Per-tensor scaling recipe (default 'delayed'). */
  readonly scaling?: LinearScaling;
  /** Default 'tensor'. */
  readonly granularity?: LinearGranularity;
  /** Amax history length of delayed scaling (default 16). */
  readonly historyLength?: number;
  /** Scale margin: `fpMax / amax / 2^margin` (default 0). */
  readonly margin?: number;
}

/** The weight a linear layer reads: the optimizer's master tensor `[out, in]` and its decode multiplier. */
export interface WeightRef {
  readonly tensor: DeviceTensor<'f32' | 'f16' | 'bf16'>;
  readonly scaleInv: number;
}

/** A weight gradient as the layer leaves it: f32, or E4M3 with its own scale (MS-AMP). */
export interface WeightGrad {
  readonly tensor: DeviceTensor<'f32' | 'e4m3'>;
  /** Decode multiplier of `tensor` (1 for f32). */
  readonly scaleInv: number;
}
