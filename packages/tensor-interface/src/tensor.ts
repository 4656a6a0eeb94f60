import { allocStorage, assertStorageFor, type CodeDType, type DType, type StorageArray } from './dtype.js';
import { assertShape, formatShape, numel, type Shape } from './shape.js';

/** A host tensor: a dtype, a shape and a contiguous row-major storage array. */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: Shape;
  readonly data: StorageArray<D>;
}

/**
 * A quantized tensor with its scaling metadata (MS-AMP's "scaled tensor").
 *
 * One convention everywhere: `q = cast(x * scale)`, `x ≈ decode(q) * scaleInv`, `scaleInv = 1 / scale`.
 * `amax` is `max |x|` of the values that were quantized (before scaling).
 * `T` is the storage of the codes: a host {@link Tensor} or a backend's device tensor.
 */
export interface ScaledTensor<T extends { readonly dtype: DType } = Tensor<CodeDType>> {
  readonly data: T;
  scale: number;
  scaleInv: number;
  amax: number;
}

/**
 * Makes a host tensor, checking the data against the dtype and shape.
 * Without `data`, the storage is zero-filled.
 * @example
 * const t = tensor('f32', [2, 2], new Float32Array([1, 2, 3, 4]));
 */
export function tensor<D extends DType>(dtype: D, shape: Shape, data?: StorageArray<D>): Tensor<D> {
  assertShape(shape);
  const n = numel(shape);
  if (data === undefined) return { dtype, shape: [...shape], data: allocStorage(dtype, n) };
  assertStorageFor(dtype, data, 'data');
  if (data.length !== n) {
    throw new RangeError(`data: shape ${formatShape(shape)} needs ${n} elements, found ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

/** Makes a scaled tensor from codes and a scale (scaleInv is derived as 1/scale). */
export function scaledTensor<T extends { readonly dtype: DType }>(
  data: T,
  scale: number,
  amax = Number.NaN,
): ScaledTensor<T> {
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`scale: expected a finite positive number, found ${scale}`);
  }
  return { data, scale, scaleInv: 1 / scale, amax };
}
