import type { CodeDType, DType, StorageArray } from './dtype.js';
import type { Shape } from './shape.js';

/**
 * An opaque buffer owned by a backend. Only the backend that made it can use it; the host
 * sees its contents through {@link Backend.read}.
 */
export interface DeviceTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: Shape;
  /** Number of elements. */
  readonly size: number;
  /** Name of the backend that owns it. */
  readonly backend: string;
}

/** A scale or scaleInv: a host number, or a one-element f32 device tensor (so delayed scaling never syncs). */
export type ScaleArg = number | DeviceTensor<'f32'>;

/** Rounding mode for quantization. */
export type Rounding = 'nearest-even' | 'stochastic';

/** Options of {@link Backend.quantize}. */
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

/** Options of {@link Backend.dequantize}. */
export interface DequantizeOptions {
  /** Multiplier applied after decoding: `x = fround(decode(q) * scaleInv)`. Default 1. */
  scaleInv?: ScaleArg;
}

/**
 * The contract every compute backend implements (kernels-cpu, kernels-webgpu, kernels-cuda).
 *
 * Kernel calls are synchronous and only enqueue work: the CPU backend runs them at once, a GPU
 * backend records them. `read` is the only asynchronous call; results the host needs (amax,
 * loss) come back through it, so the host never stalls the device by accident.
 * Later issues extend this interface with GEMM, GPT layer and optimizer ops.
 */
export interface Backend {
  /** Short name, e.g. `"cpu"`. */
  readonly name: string;

  /** A new zero-filled device tensor. */
  alloc<D extends DType>(dtype: D, shape: Shape): DeviceTensor<D>;
  /** A new device tensor holding a copy of `data` (which must be `dtype`'s storage class and match the shape). */
  upload<D extends DType>(dtype: D, shape: Shape, data: StorageArray<D>): DeviceTensor<D>;
  /** Copies a device tensor's contents back to the host once all enqueued work that writes it is done. */
  read<D extends DType>(tensor: DeviceTensor<D>): Promise<StorageArray<D>>;
  /** Releases a device tensor; using it afterwards is an error. */
  dispose(tensor: DeviceTensor): void;

  /** `dst[i] = encode(fround(src[i] * scale))`, with the source's amax fused in (see {@link QuantizeOptions}). */
  quantize(src: DeviceTensor<'f32'>, dst: DeviceTensor<CodeDType>, options?: QuantizeOptions): void;
  /** `dst[i] = fround(decode(src[i]) * scaleInv)`. */
  dequantize(src: DeviceTensor<CodeDType>, dst: DeviceTensor<'f32'>, options?: DequantizeOptions): void;
  /** Writes `max |src[i]|` (NaN if any element is NaN, 0 for an empty tensor) to `out[index]`. */
  amax(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index?: number): void;

  /** Resolves once all enqueued work is complete. */
  synchronize(): Promise<void>;
  /** Frees everything the backend holds. */
  destroy(): void;
}

/** How a backend factory reports that it cannot run here (no adapter, no driver, …). */
export interface BackendUnavailable {
  readonly unavailable: string;
}

/** True if a factory result says the backend is unavailable. */
export function isUnavailable(value: Backend | BackendUnavailable): value is BackendUnavailable {
  return typeof (value as BackendUnavailable).unavailable === 'string';
}
