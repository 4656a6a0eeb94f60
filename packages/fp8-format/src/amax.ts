import { assertFloat32Array } from './validate.js';

/**
 * `max |x[i]|`: NaN if any element is NaN, 0 for an empty array. The same value `quantize` fuses in.
 * @example amax(new Float32Array([1, -3, 2])) // → 3
 */
export function amax(x: Float32Array): number {
  assertFloat32Array(x, 'x');
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}
