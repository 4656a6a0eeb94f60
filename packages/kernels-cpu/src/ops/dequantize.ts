import { dequantize as dequantizeHost } from '@fp8lm/fp8-format';
import {
  type CodeDType,
  type DequantizeOptions,
  type DeviceTensor,
  formatDequantizeArgs,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';

/** Backend op: `dst = fround(decode(src) * scaleInv)`. */
export function dequantize(
  src: DeviceTensor<CodeDType>,
  dst: DeviceTensor<'f32'>,
  options: DequantizeOptions = {},
): void {
  const { src: s, srcDtype, dst: d } = formatDequantizeArgs(asCpu, src, dst);
  const codes = s.data as CpuTensor<CodeDType>['data'];
  dequantizeHost(srcDtype, codes, d.data as Float32Array, {
    scaleInv: scaleValue(options.scaleInv, 'scaleInv'),
  });
}
