import { quantize as quantizeHost } from '@fp8lm/fp8-format';
import {
  CODE_DTYPES,
  type CodeDType,
  type DeviceTensor,
  type QuantizeOptions,
} from '@fp8lm/tensor-interface';
import { asCpu, assertSameSize } from '../cpu-tensor.js';
import { checkIndex, scaleValue } from '../scale-arg.js';

/** Backend op: `dst = encode(fround(src * scale))` with the source's amax fused in (fp8-format semantics). */
export function quantize(
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<CodeDType>,
  options: QuantizeOptions = {},
): void {
  const s = asCpu(src, 'src', ['f32']);
  const d = asCpu(dst, 'dst', CODE_DTYPES);
  assertSameSize(s, d, 'src, dst');
  let amaxOut: Float32Array | undefined;
  const amaxIndex = options.amaxIndex ?? 0;
  if (options.amaxOut !== undefined) {
    amaxOut = asCpu(options.amaxOut, 'amaxOut', ['f32']).data;
    checkIndex(amaxIndex, amaxOut.length, 'amaxIndex');
  }
  const { amax } = quantizeHost(d.dtype, s.data, d.data, {
    scale: scaleValue(options.scale, 'scale'),
    saturate: options.saturate,
    rounding: options.rounding,
    seed: options.seed,
  });
  if (amaxOut !== undefined) amaxOut[amaxIndex] = amax;
}
