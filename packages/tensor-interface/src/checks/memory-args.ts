import type { DeviceTensor } from '../backend.js';
import { assertStorageFor, type DType, dtypeInfo, type StorageArray } from '../dtype.js';
import { assertShape, formatShape, numel, type Shape } from '../shape.js';

// Checks of the memory ops (alloc, upload, view, fill), shared by every backend.

/** `alloc`: a known dtype and a valid shape. */
export function allocArgs(dtype: DType, shape: Shape): void {
  dtypeInfo(dtype);
  assertShape(shape);
}

/** `upload`: `data` is `dtype`'s storage class and holds exactly the shape's element count. */
export function uploadArgs<D extends DType>(dtype: D, shape: Shape, data: StorageArray<D>): void {
  allocArgs(dtype, shape);
  assertStorageFor(dtype, data, 'data');
  if (data.length !== numel(shape)) {
    throw new RangeError(
      `data: shape ${formatShape(shape)} needs ${numel(shape)} elements, found ${data.length}`,
    );
  }
}

/** `view`: a valid shape with the tensor's element count. */
export function viewArgs(tensor: DeviceTensor, shape: Shape): void {
  assertShape(shape);
  if (numel(shape) !== tensor.size) {
    throw new RangeError(
      `shape: ${formatShape(shape)} has ${numel(shape)} elements, the tensor ${formatShape(tensor.shape)} has ${tensor.size}`,
    );
  }
}

/** `fill`: the value is a number. */
export function fillArgs(value: unknown): void {
  if (typeof value !== 'number') throw new TypeError(`value: expected a number, found ${typeof value}`);
}
