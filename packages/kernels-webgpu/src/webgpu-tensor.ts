import {
  checkDType,
  type DeviceTensor,
  type DType,
  dtypeByteSize,
  foreignTensorError,
  formatShape,
  numel,
  type Shape,
} from '@fp8lm/tensor-interface';

/**
 * The GPU buffer behind one or more tensors (a tensor and its views). Byte-sized codes are packed
 * four per 32-bit word and 16-bit values two per word, so `byteLength` is rounded up to whole words.
 */
export class Storage {
  #buffer: GPUBuffer | null;
  constructor(
    buffer: GPUBuffer,
    readonly byteLength: number,
  ) {
    this.#buffer = buffer;
  }
  get buffer(): GPUBuffer {
    if (this.#buffer === null) throw new Error('the storage was released');
    return this.#buffer;
  }
  get released(): boolean {
    return this.#buffer === null;
  }
  /** Hands the buffer back (to the pool) and marks every tensor on it as disposed. */
  release(): GPUBuffer {
    const b = this.buffer;
    this.#buffer = null;
    return b;
  }
}

/** Bytes a tensor of `dtype` with `size` elements occupies on the GPU: whole 32-bit words. */
export function storageBytes(dtype: DType, size: number): number {
  return Math.max(4, Math.ceil((size * dtypeByteSize(dtype)) / 4) * 4);
}

/** The WebGPU backend's device tensor: a GPU buffer behind the opaque handle. */
export class WebGpuTensor<D extends DType = DType> implements DeviceTensor<D> {
  readonly backend = 'webgpu';
  readonly size: number;
  constructor(
    readonly dtype: D,
    readonly shape: Shape,
    readonly storage: Storage,
    /** False for views: disposing a view releases nothing. */
    readonly owner: boolean,
  ) {
    this.size = numel(shape);
  }
  #disposed = false;
  get disposed(): boolean {
    return this.#disposed || this.storage.released;
  }
  markDisposed(): void {
    this.#disposed = true;
  }
  get buffer(): GPUBuffer {
    if (this.disposed) throw new Error(`tensor ${this.dtype}${formatShape(this.shape)} was disposed`);
    return this.storage.buffer;
  }
}

/** Checks that `value` is a live WebGPU tensor of one of `dtypes`; `argument` names it in errors. */
export function asGpu<D extends DType>(
  value: DeviceTensor,
  argument: string,
  dtypes?: readonly D[],
): WebGpuTensor<D> {
  if (!(value instanceof WebGpuTensor)) throw foreignTensorError(value, argument, 'webgpu');
  checkDType(value, argument, dtypes);
  if (value.disposed) throw new Error(`${argument}: tensor was disposed`);
  return value as WebGpuTensor<D>;
}

// Kept here for the modules that import it with asGpu; the check itself is the contract's.
export { assertSameSize } from '@fp8lm/tensor-interface';
