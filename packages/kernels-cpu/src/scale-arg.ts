import type { ScaleArg } from '@fp8lm/tensor-interface';
import { asCpu } from './cpu-tensor.js';

/** The host value of a scale argument: the number itself, or element 0 of a one-element f32 tensor. */
export function scaleValue(arg: ScaleArg | undefined, argument: string): number | undefined {
  if (arg === undefined || typeof arg === 'number') return arg;
  const t = asCpu(arg, argument, ['f32']);
  if (t.size !== 1) throw new RangeError(`${argument}: a scale tensor has one element, found ${t.size}`);
  return t.data[0];
}

/** Checks an element index into a tensor of `size` elements. */
export function checkIndex(index: number, size: number, argument: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${argument}: expected an integer in 0..${size - 1}, found ${index}`);
  }
}
