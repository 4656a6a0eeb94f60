import { amax as amaxHost } from '@fp8lm/fp8-format';
import type { DeviceTensor } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';
import { checkIndex } from '../scale-arg.js';

/** Backend op: writes `max |src|` (NaN if any NaN, 0 if empty) to `out[index]`. */
export function amax(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index = 0): void {
  const s = asCpu(src, 'src', ['f32']);
  const o = asCpu(out, 'out', ['f32']);
  checkIndex(index, o.size, 'index');
  o.data[index] = amaxHost(s.data);
}
