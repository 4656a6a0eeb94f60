/** A tensor shape: non-negative integer extents, outermost first. */
export type Shape = readonly number[];

/** Checks that `shape` is an array of non-negative safe integers; `argument` names it in the error. */
export function assertShape(shape: unknown, argument = 'shape'): asserts shape is Shape {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(
      `${argument}: expected an array of non-negative integers, found ${JSON.stringify(shape)}`,
    );
  }
}

/** Number of elements of a tensor of this shape (1 for a scalar `[]`). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Flat offset of a multi-index under the given strides; throws a RangeError if out of bounds. */
export function offsetOf(
  shape: Shape,
  index: readonly number[],
  strides: readonly number[] = contiguousStrides(shape),
): number {
  if (index.length !== shape.length) {
    throw new RangeError(
      `index: expected ${shape.length} coordinates for shape ${formatShape(shape)}, found ${index.length}`,
    );
  }
  let off = 0;
  for (let i = 0; i < shape.length; i++) {
    const k = index[i];
    if (!Number.isInteger(k) || k < 0 || k >= shape[i]) {
      throw new RangeError(`index: coordinate ${i} is ${k}, outside 0..${shape[i] - 1}`);
    }
    off += k * strides[i];
  }
  return off;
}

/** True if both shapes have the same rank and extents. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `[2,3]` → `"[2, 3]"`, for error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
