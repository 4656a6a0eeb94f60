import { type CodeDType, type DeviceTensor, formatCountCodesArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { countCodesWgsl, exactF32Wgsl } from '../wgsl.generated.js';
import { decoderFor, perWord } from './dequantize.js';

const layout = uniformLayout({ n: 'u32', index: 'u32' });

/** Codes one workgroup of count-codes.wgsl classifies (WG · PER_THREAD there). */
const PER_GROUP = 256 * 16;

/**
 * `countCodes`: `out[index]` = codes of `src` that decode to ±0, `out[index + 1]` = codes at ±maxFinite
 * or ±infinity (NaN codes in neither), as i32.
 */
export function countCodes(
  ctx: GpuContext,
  src: DeviceTensor<CodeDType>,
  out: DeviceTensor<'i32'>,
  index = 0,
): void {
  const { src: s, srcDtype, out: o } = formatCountCodesArgs(asGpu, src, out, index);
  // Zero both slots first: the shader only adds (an empty source leaves 0).
  ctx.encoder.clearBuffer(o.buffer, index * 4, 8);
  if (s.size === 0) return;
  ctx.dispatch({
    key: `count-codes/${srcDtype}`,
    code: () =>
      [
        `const PER_WORD: u32 = ${perWord(srcDtype)}u;`,
        exactF32Wgsl,
        decoderFor(srcDtype),
        countCodesWgsl,
      ].join('\n'),
    uniforms: layout,
    values: { n: s.size, index },
    buffers: [...reads(s), ...writes(o)],
    workgroups: ctx.grid1d(s.size, PER_GROUP),
  });
}
