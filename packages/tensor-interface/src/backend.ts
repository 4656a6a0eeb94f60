import type { DType, StorageArray } from './dtype.js';
import type { CommOps } from './ops/comm-ops.js';
import type { FormatOps } from './ops/format-ops.js';
import type { GemmOps } from './ops/gemm-ops.js';
import type { LayerOps } from './ops/layer-ops.js';
import type { OptimizerOps } from './ops/optimizer-ops.js';
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

/**
 * The contract every compute backend implements (kernels-cpu, kernels-webgpu, kernels-cuda).
 *
 * Kernel calls are synchronous and only enqueue work: the CPU backend runs them at once, a GPU
 * backend records them. `read` is the only asynchronous call; results the host needs (amax,
 * loss) come back through it, so the host never stalls the device by accident.
 * The ops come in groups, one interface per group under `ops/` (format ops now; GEMM, GPT layer and
 * optimizer ops and the collectives' comm ops joined as the issues that need them landed), so each group can grow on its own.
 */
export interface Backend extends FormatOps, GemmOps, LayerOps, OptimizerOps, CommOps {
  /** Short name, e.g. `"cpu"`. */
  readonly name: string;

  /** A new zero-filled device tensor. */
  alloc<D extends DType>(dtype: D, shape: Shape): DeviceTensor<D>;
  /** A new device tensor holding a copy of `data` (which must be `dtype`'s storage class and match the shape). */
  upload<D extends DType>(dtype: D, shape: Shape, data: StorageArray<D>): DeviceTensor<D>;
  /** Copies a device tensor's contents back to the host once all enqueued work that writes it is done. */
  read<D extends DType>(tensor: DeviceTensor<D>): Promise<StorageArray<D>>;
  /**
   * The same storage seen with another shape of the same element count (e.g. `[B, T, C]` as
   * `[B·T, C]` for a GEMM). Writes through either are visible in both. Disposing a view releases only
   * the view; the storage lives until the tensor it came from is disposed.
   */
  view<D extends DType>(tensor: DeviceTensor<D>, shape: Shape): DeviceTensor<D>;
  /** Sets every element of a float tensor to `value` (e.g. zeroing gradients before a backward pass). */
  fill(tensor: DeviceTensor<'f32'>, value: number): void;
  /** Enqueues a copy of `src` into `dst` (same dtype and element count; shapes may differ). */
  copy<D extends DType>(src: DeviceTensor<D>, dst: DeviceTensor<D>): void;
  /** Releases a device tensor; using it afterwards is an error. */
  dispose(tensor: DeviceTensor): void;

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
