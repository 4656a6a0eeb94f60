import { quantize as quantizeHost } from '@fp8lm/fp8-format';
import {
  type CodeDType,
  type DeviceTensor,
  formatQuantizeArgs,
  type QuantizeOptions,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';

/** Backend op: `dst = encode(fround(src * scale))` with the source's amax fused in (fp8-format semantics). */
export function quantize(
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<CodeDType>,
  options: QuantizeOptions = {},
): void {
  const { src: s, dst: d, dstDtype, amaxOut, amaxIndex } = formatQuantizeArgs(asCpu, src, dst, options);
  // The scale and the rounding options are checked by fp8-format's quantize, as the host codec does.
  const { amax } = quantizeHost(dstDtype, s.data as Float32Array, d.data as CpuTensor<CodeDType>['data'], {
    scale: scaleValue(options.scale, 'scale'),
    saturate: options.saturate,
    rounding: options.rounding,
    seed: options.seed,
  });
  if (amaxOut !== undefined) amaxOut.data[amaxIndex] = amax;
}
