import {
  allocStorage,
  assertShape,
  assertStorageFor,
  type Backend,
  type DeviceTensor,
  type DType,
  dtypeInfo,
  formatShape,
  numel,
  type Shape,
  type StorageArray,
} from '@fp8lm/tensor-interface';
import { asCpu, CpuTensor } from './cpu-tensor.js';
import { amax } from './ops/amax.js';
import { dequantize } from './ops/dequantize.js';
import { quantize } from './ops/quantize.js';

/**
 * The reference backend: every op runs at once on the calling thread, in plain TypeScript.
 * It is the oracle the conformance suite holds the other backends to.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly quantize = quantize;
  readonly dequantize = dequantize;
  readonly amax = amax;
  #live = new Set<CpuTensor>();

  alloc<D extends DType>(dtype: D, shape: Shape): DeviceTensor<D> {
    dtypeInfo(dtype);
    assertShape(shape);
    return this.#track(new CpuTensor(dtype, [...shape], allocStorage(dtype, numel(shape))));
  }

  upload<D extends DType>(dtype: D, shape: Shape, data: StorageArray<D>): DeviceTensor<D> {
    dtypeInfo(dtype);
    assertShape(shape);
    assertStorageFor(dtype, data, 'data');
    if (data.length !== numel(shape)) {
      throw new RangeError(
        `data: shape ${formatShape(shape)} needs ${numel(shape)} elements, found ${data.length}`,
      );
    }
    return this.#track(new CpuTensor(dtype, [...shape], data.slice() as StorageArray<D>));
  }

  async read<D extends DType>(tensor: DeviceTensor<D>): Promise<StorageArray<D>> {
    return asCpu<D>(tensor, 'tensor').data.slice() as StorageArray<D>;
  }

  dispose(tensor: DeviceTensor): void {
    const t = asCpu(tensor, 'tensor');
    t.release();
    this.#live.delete(t);
  }

  async synchronize(): Promise<void> {}

  destroy(): void {
    for (const t of this.#live) t.release();
    this.#live.clear();
  }

  /** Number of tensors allocated and not yet disposed (for leak checks). */
  get liveTensors(): number {
    return this.#live.size;
  }

  #track<D extends DType>(t: CpuTensor<D>): CpuTensor<D> {
    this.#live.add(t as CpuTensor);
    return t;
  }
}

/**
 * Creates the CPU reference backend.
 * @example
 * const cpu = createCpuBackend();
 * const x = cpu.upload('f32', [3], new Float32Array([1, -2, 500]));
 */
export function createCpuBackend(): CpuBackend {
  return new CpuBackend();
}
