import type { DeviceTensor, ScaleArg } from '../backend.js';
import type { DType } from '../dtype.js';
import { formatShape } from '../shape.js';

// Checks of single tensor arguments, shared by every backend and by the per-op checks in this folder.

/**
 * A backend's tensor check (kernels-cpu's `asCpu`, kernels-webgpu's `asGpu`): throws unless `value`
 * is a live tensor of that backend with one of `dtypes`, and returns it as the backend's own class.
 * The shared op checks take it as a parameter so that every tensor is checked where it always was,
 * ownership first, and the backend gets its own tensors back.
 */
export type OwnTensor<T extends DeviceTensor> = (
  value: DeviceTensor,
  argument: string,
  dtypes?: readonly DType[],
) => T;

/** The TypeError for a value that is not a tensor of `backend` (what it is instead, named). */
export function foreignTensorError(value: unknown, argument: string, backend: string): TypeError {
  const owner = typeof value === 'object' && value !== null ? (value as DeviceTensor).backend : typeof value;
  return new TypeError(`${argument}: expected a tensor of the ${backend} backend, found ${String(owner)}`);
}

/** Throws a TypeError unless `value` has one of `dtypes` (any dtype when `dtypes` is undefined). */
export function checkDType(value: DeviceTensor, argument: string, dtypes?: readonly DType[]): void {
  if (dtypes !== undefined && !dtypes.includes(value.dtype)) {
    throw new TypeError(`${argument}: expected dtype ${dtypes.join(' or ')}, found ${value.dtype}`);
  }
}

/** Throws a RangeError unless both tensors hold the same number of elements. */
export function assertSameSize(a: DeviceTensor, b: DeviceTensor, names: string): void {
  if (a.size !== b.size) {
    throw new RangeError(
      `${names}: sizes differ, ${formatShape(a.shape)} (${a.size}) vs ${formatShape(b.shape)} (${b.size})`,
    );
  }
}

/** Throws a RangeError unless `index` is an integer element index into a tensor of `size` elements. */
export function checkIndex(index: number, size: number, argument: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${argument}: expected an integer in 0..${size - 1}, found ${index}`);
  }
}

/**
 * Checks the tensor form of a {@link ScaleArg}: a one-element f32 tensor of the backend (`own`).
 * Its value is not checked: on a GPU it is only known on the device.
 */
export function checkScaleTensor<T extends DeviceTensor>(
  arg: Exclude<ScaleArg, number>,
  argument: string,
  own: OwnTensor<T>,
): T {
  const t = own(arg, argument, ['f32']);
  if (t.size !== 1) throw new RangeError(`${argument}: a scale tensor has one element, found ${t.size}`);
  return t;
}
