import { amax as amaxHost } from '@fp8lm/fp8-format';
import { type DeviceTensor, formatAmaxArgs } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';

/** Backend op: writes `max |src|` (NaN if any NaN, 0 if empty) to `out[index]`. */
export function amax(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index = 0): void {
  const { src: s, out: o } = formatAmaxArgs(asCpu, src, out, index);
  o.data[index] = amaxHost(s.data as Float32Array);
}
