import {
  checkDType,
  type DeviceTensor,
  type DType,
  foreignTensorError,
  formatShape,
  numel,
  type Shape,
  type StorageArray,
} from '@fp8lm/tensor-interface';

/** The CPU backend's device tensor: a host typed array behind the opaque handle. */
export class CpuTensor<D extends DType = DType> implements DeviceTensor<D> {
  readonly backend = 'cpu';
  readonly size: number;
  #data: StorageArray<D> | null;

  constructor(
    readonly dtype: D,
    readonly shape: Shape,
    data: StorageArray<D>,
  ) {
    this.size = numel(shape);
    this.#data = data;
  }

  /** The storage; throws if the tensor was disposed. */
  get data(): StorageArray<D> {
    if (this.#data === null) throw new Error(`tensor ${this.dtype}${formatShape(this.shape)} was disposed`);
    return this.#data;
  }

  get disposed(): boolean {
    return this.#data === null;
  }

  release(): void {
    this.#data = null;
  }
}

/** Checks that `value` is a live CPU tensor of one of `dtypes`; `argument` names it in errors. */
export function asCpu<D extends DType>(
  value: DeviceTensor,
  argument: string,
  dtypes?: readonly D[],
): CpuTensor<D> {
  if (!(value instanceof CpuTensor)) throw foreignTensorError(value, argument, 'cpu');
  checkDType(value, argument, dtypes);
  if (value.disposed) throw new Error(`${argument}: tensor was disposed`);
  return value as CpuTensor<D>;
}

// Kept here for the modules that import it with asCpu; the check itself is the contract's.
export { assertSameSize } from '@fp8lm/tensor-interface';
