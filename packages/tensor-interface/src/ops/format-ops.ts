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

/** Format ops: quantize with fused amax, dequantize, amax. Bit-exact with @fp8lm/fp8-format on every backend. */
export interface FormatOps {
  /** `dst[i] = encode(fround(src[i] * scale))`, with the source's amax fused in (see {@link QuantizeOptions}). */
  quantize(src: DeviceTensor<'f32'>, dst: DeviceTensor<CodeDType>, options?: QuantizeOptions): void;
  /** `dst[i] = fround(decode(src[i]) * scaleInv)`. */
  dequantize(src: DeviceTensor<CodeDType>, dst: DeviceTensor<'f32'>, options?: DequantizeOptions): void;
  /** Writes `max |src[i]|` (NaN if any element is NaN, 0 for an empty tensor) to `out[index]`. */
  amax(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index?: number): void;
}
