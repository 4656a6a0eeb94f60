import { dequantize as dequantizeHost } from '@fp8lm/fp8-format';
import {
  CODE_DTYPES,
  type CodeDType,
  type DequantizeOptions,
  type DeviceTensor,
} from '@fp8lm/tensor-interface';
import { asCpu, assertSameSize } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';

/** Backend op: `dst = fround(decode(src) * scaleInv)`. */
export function dequantize(
  src: DeviceTensor<CodeDType>,
  dst: DeviceTensor<'f32'>,
  options: DequantizeOptions = {},
): void {
  const s = asCpu(src, 'src', CODE_DTYPES);
  const d = asCpu(dst, 'dst', ['f32']);
  assertSameSize(s, d, 'src, dst');
  dequantizeHost(s.dtype, s.data, d.data, { scaleInv: scaleValue(options.scaleInv, 'scaleInv') });
}
