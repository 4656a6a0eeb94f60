import type { DeviceTensor, ScaleArg } from '../backend.js';

/** Element types a GEMM input may have. FP8 and 16-bit inputs are decoded exactly before the multiply. */
export type GemmInputDType = 'f32' | 'f16' | 'bf16' | 'e4m3' | 'e5m2';
/** Every {@link GemmInputDType}. */
export const GEMM_INPUT_DTYPES: readonly GemmInputDType[] = ['f32', 'f16', 'bf16', 'e4m3', 'e5m2'];

/** Element types a GEMM output may have: f32, or FP8 through `outScale` with a fused amax. */
export type GemmOutputDType = 'f32' | 'e4m3' | 'e5m2';
/** Every {@link GemmOutputDType}. */
export const GEMM_OUTPUT_DTYPES: readonly GemmOutputDType[] = ['f32', 'e4m3', 'e5m2'];

/**
 * Block scales of a GEMM input, over its stored (un-transposed) layout `[R, C]`: the element at
 * `(r, c)` is multiplied by `scaleInv[floor(r / blockRows), floor(c / blockCols)]`.
 * `scaleInv` has shape `[ceil(R / blockRows), ceil(C / blockCols)]` (the last block of a row or
 * column may be partial). E8M0 codes are powers of two `2^(code - 127)` (0xFF is NaN).
 *
 * - OCP MX (1×32 along K, E8M0): A `[M, K]` → `{ blockRows: 1, blockCols: 32 }`; B `[K, N]` →
 *   `{ blockRows: 32, blockCols: 1 }`, or `{ blockRows: 1, blockCols: 32 }` for B stored `[N, K]` (`transB`).
 * - DeepSeek-V3 (f32): activations 1×128, weights 128×128.
 */
export interface BlockScales {
  readonly scaleInv: DeviceTensor<'f32'> | DeviceTensor<'e8m0'>;
  readonly blockRows: number;
  readonly blockCols: number;
}

/** Options of {@link GemmOps.gemm}. */
export interface GemmOptions {
  /** A is stored `[K, M]` and used transposed. Default false. */
  transA?: boolean;
  /** B is stored `[N, K]` and used transposed. Default false. */
  transB?: boolean;
  /** Multiplier of the product. Default 1. */
  alpha?: number;
  /**
   * Multiplier of C's previous contents. Default 0, and then C is write-only (a NaN in it does not
   * propagate). Must be 0 for an FP8 output.
   */
  beta?: number;
  /** `[N]` (or any shape of N elements) f32 vector added to every row of the result. */
  bias?: DeviceTensor<'f32'>;
  /** Per-tensor multiplier of A's decoded values (`1 / scale` of its quantization). Default 1. */
  aScaleInv?: ScaleArg;
  /** Per-tensor multiplier of B's decoded values. Default 1. */
  bScaleInv?: ScaleArg;
  /** Block scales of A (multiplied with `aScaleInv` if both are given). */
  aBlocks?: BlockScales;
  /** Block scales of B (multiplied with `bScaleInv` if both are given). */
  bBlocks?: BlockScales;
  /** FP8 output only: `c = encode(fround(r · outScale))` for the f32 result `r`. Default 1. */
  outScale?: ScaleArg;
  /** FP8 output only: clamp overflow to ±max (default true) or follow the format's no-saturation rule. */
  saturate?: boolean;
  /** If given, `max |r|` of the f32 result before `outScale` (NaN if any is NaN) goes to `amaxOut[amaxIndex]`. */
  amaxOut?: DeviceTensor<'f32'>;
  /** Element of `amaxOut` that receives the amax (default 0). */
  amaxIndex?: number;
}

/**
 * GEMM: `C = alpha · op(A) · op(B) + beta · C + bias` with f32 accumulation.
 *
 * Shapes: `op(A)` is `[M, K]` (A stored `[M, K]`, or `[K, M]` with `transA`), `op(B)` is `[K, N]`
 * (B stored `[K, N]`, or `[N, K]` with `transB`), C is `[M, N]`. A and B may be any
 * {@link GemmInputDType}, independently ("bf16-rounded" inputs are bf16 tensors). A decoded input value
 * is `decode(code) · blockScaleInv · scaleInv`. The sum over K is at least as accurate as a float32
 * accumulation in some order (the conformance tolerance is the float32 worst case `γ_K`): backends may
 * block, reorder or use a wider accumulator, but not a narrower one (no TF32, no 14-bit FP8 tensor-core
 * accumulators without promotion). Bad dtypes, shapes or scales throw a TypeError or RangeError naming
 * the argument (`a`, `b`, `c`, `bias`, `aBlocks.scaleInv`, …).
 */
export interface GemmOps {
  gemm(
    a: DeviceTensor<GemmInputDType>,
    b: DeviceTensor<GemmInputDType>,
    c: DeviceTensor<GemmOutputDType>,
    options?: GemmOptions,
  ): void;
}
