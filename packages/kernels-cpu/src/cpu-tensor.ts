import {
  type DeviceTensor,
  type DType,
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
  if (!(value instanceof CpuTensor)) {
    const owner =
      typeof value === 'object' && value !== null ? (value as DeviceTensor).backend : typeof value;
    throw new TypeError(`${argument}: expected a tensor of the cpu backend, found ${String(owner)}`);
  }
  if (dtypes !== undefined && !dtypes.includes(value.dtype as D)) {
    throw new TypeError(`${argument}: expected dtype ${dtypes.join(' or ')}, found ${value.dtype}`);
  }
  if (value.disposed) throw new Error(`${argument}: tensor was disposed`);
  return value as CpuTensor<D>;
}

/** Throws a RangeError unless both tensors hold the same number of elements. */
export function assertSameSize(a: DeviceTensor, b: DeviceTensor, names: string): void {
  if (a.size !== b.size) {
    throw new RangeError(
      `${names}: sizes differ, ${formatShape(a.shape)} (${a.size}) vs ${formatShape(b.shape)} (${b.size})`,
    );
  }
}
