import type { DeviceTensor, ScaleArg } from '../backend.js';
import type { CodeDType } from '../dtype.js';

/** Rounding mode for quantization. */
export type Rounding = 'nearest-even' | 'stochastic';

/** Options of {@link FormatOps.quantize}. */
export interface QuantizeOptions {
  /** Multiplier applied before the cast: `q = cast(fround(x * scale))`. Default 1. */
  scale?: ScaleArg;
  /** Clamp finite overflow and ±inf to ±max (default true), or follow the format's no-saturation rule. */
  saturate?: boolean;
  /** Default 'nearest-even'. 'stochastic' draws from a counter-based RNG keyed by `seed` and the element index. */
  rounding?: Rounding;
  /** Seed for stochastic rounding (default 0). */
  seed?: number;
  /** If given, `max |x|` of the source (NaN if any NaN) is written to `amaxOut[amaxIndex]`. */
  amaxOut?: DeviceTensor<'f32'>;
  /** Element of `amaxOut` that receives the amax (default 0), e.g. a slot of an amax history. */
  amaxIndex?: number;
}

/** Options of {@link FormatOps.dequantize}. */
export interface DequantizeOptions {
  /** Multiplier applied after decoding: `x = fround(decode(q) * scaleInv)`. Default 1. */
  scaleInv?: ScaleArg;
}

/** Options of {@link FormatOps.computeScale}. */
export interface ComputeScaleOptions {
  /** Largest finite value of the target format (448 for E4M3). */
  fpMax: number;
  /** `scale = fpMax / amax / 2^margin` (default 0). */
  margin?: number;
  /** Element of the amax tensor to read (default 0). */
  amaxIndex?: number;
}

/** Options of {@link FormatOps.quantizeBlocks}. */
export interface QuantizeBlocksOptions {
  /** Rows of a block (1 for 1×32 / 1×128 row blocks, 32 or 128 for column blocks and tiles). */
  blockRows: number;
  /** Columns of a block. */
  blockCols: number;
  /** For f32 scales: any float32 (`'f32'`, DeepSeek-V3, default) or a power of two (`'pow2'`). Ignored for E8M0. */
  scaleType?: 'f32' | 'pow2';
}

/** Format ops: quantize with fused amax, dequantize, amax, code counts, current scaling on the device. Bit-exact with @fp8lm/fp8-format on every backend. */
export interface FormatOps {
  /** `dst[i] = encode(fround(src[i] * scale))`, with the source's amax fused in (see {@link QuantizeOptions}). */
  quantize(src: DeviceTensor<'f32'>, dst: DeviceTensor<CodeDType>, options?: QuantizeOptions): void;
  /** `dst[i] = fround(decode(src[i]) * scaleInv)`. */
  dequantize(src: DeviceTensor<CodeDType>, dst: DeviceTensor<'f32'>, options?: DequantizeOptions): void;
  /** Writes `max |src[i]|` (NaN if any element is NaN, 0 for an empty tensor) to `out[index]`. */
  amax(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index?: number): void;
  /**
   * The FP8 diagnostics' counts without reading the codes back: writes to `out[index]` how many codes
   * of `src` decode to ±0 (underflow), and to `out[index + 1]` how many sit at ±maxFinite or ±infinity
   * (saturation). NaN codes count in neither. A trainer reads a few integers per step, not the tensor.
   */
  countCodes(src: DeviceTensor<CodeDType>, out: DeviceTensor<'i32'>, index?: number): void;
  /**
   * Current per-tensor scaling without a host round trip: `scale[0] = fround(fround(fpMax·2^-margin) /
   * amax[amaxIndex])` clamped to [2^-127, FLT_MAX], and `scaleInv[0] = fround(1 / scale[0])`. A zero or
   * non-finite amax leaves both as they were (the previous scale), as @fp8lm/scaling's `computeScale`.
   */
  computeScale(
    amax: DeviceTensor<'f32'>,
    scale: DeviceTensor<'f32'>,
    scaleInv: DeviceTensor<'f32'>,
    options: ComputeScaleOptions,
  ): void;
  /**
   * Block quantization of a 2-D f32 tensor `[R, C]` into codes of the same shape, one scale per block of
   * `blockRows × blockCols` (edge blocks may be partial), written as the `scaleInv` grid
   * `[ceil(R / blockRows), ceil(C / blockCols)]` that GEMM's `aBlocks`/`bBlocks` take.
   * - `scaleInv` f32: `scale = fpMax / blockAmax` as `computeScale` (power of two for `scaleType: 'pow2'`;
   *   1 for an all-zero or non-finite block), `scaleInv = fround(1 / scale)` (as @fp8lm/scaling's `quantizeBlocks`).
   * - `scaleInv` E8M0 (OCP MX): `X = 2^(floor(log2 blockAmax) - emax)` clamped to 2^±127 (2^-127 for an
   *   all-zero block, NaN 0xFF and zero codes for a block with NaN/Inf), codes `encode(fround(x / X))`,
   *   as fp8-format's `quantizeMX` with the 'floor' rule.
   * Codes saturate and round to nearest even.
   */
  quantizeBlocks(
    src: DeviceTensor<'f32'>,
    dst: DeviceTensor<'e4m3' | 'e5m2'>,
    scaleInv: DeviceTensor<'f32'> | DeviceTensor<'e8m0'>,
    options: QuantizeBlocksOptions,
  ): void;
}
