import { FORMATS } from '@fp8lm/fp8-format';
import {
  type CodeDType,
  type DequantizeOptions,
  type DeviceTensor,
  type DType,
  formatDequantizeArgs,
  type ScaleArg,
} from '@fp8lm/tensor-interface';
import { codecFor, type GpuContext, reads, writes } from '../context.js';
import { formatConstants } from '../format-constants.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu, type WebGpuTensor } from '../webgpu-tensor.js';
import { dequantizeWgsl, exactF32Wgsl } from '../wgsl.generated.js';
import { checkScaleArg } from './format-args.js';

const layout = uniformLayout({ n: 'u32' });

/** A dtype whose elements a shader decodes to f32 (every one but i32). */
export type DecodedDType = Exclude<DType, 'i32'>;

/** The element decoder of a shader: the format's codec, or the identity on f32 bits. */
export function decoderFor(dtype: DecodedDType): string {
  if (dtype === 'f32') return 'fn decode_code_bits(code: u32) -> u32 {\n  return code;\n}\n';
  return codecFor(formatConstants(dtype));
}

/** Elements per u32 word of a tensor of `dtype` (f32: 1, f16/bf16: 2, byte codes: 4). */
export function perWord(dtype: DecodedDType): number {
  if (dtype === 'f32') return 1;
  return FORMATS[dtype].bits > 8 ? 2 : 4;
}

/**
 * Records dequantize.wgsl over checked tensors: `dst[i] = fround(decode(src[i]) · scaleInv)`, or with
 * `accumulate` `dst[i] = fround(dst[i] + fround(decode(src[i]) · scaleInv))` (accumulateChunk).
 */
export function recordDecode(
  ctx: GpuContext,
  src: WebGpuTensor,
  dst: WebGpuTensor,
  scaleInv: ScaleArg | undefined,
  accumulate: boolean,
): void {
  const dtype = src.dtype as DecodedDType;
  const scalars = ctx.scalars([scaleInv], ['scaleInv']);
  ctx.dispatch({
    key: `${accumulate ? 'accumulate-chunk' : 'dequantize'}/${dtype}`,
    code: () =>
      [
        `const PER_WORD: u32 = ${perWord(dtype)}u;`,
        `const ACCUMULATE: bool = ${accumulate};`,
        exactF32Wgsl,
        decoderFor(dtype),
        dequantizeWgsl,
      ].join('\n'),
    uniforms: layout,
    values: { n: src.size },
    buffers: [...reads(src), ...writes(dst), ...reads(scalars)],
    workgroups: ctx.grid1d(src.size, 256),
  });
}

/** `dequantize`: `dst[i] = fround(decode(src[i]) · scaleInv)` for every code format, bit-exact. */
export function dequantize(
  ctx: GpuContext,
  src: DeviceTensor<CodeDType>,
  dst: DeviceTensor<'f32'>,
  options: DequantizeOptions = {},
): void {
  const { src: s, dst: d } = formatDequantizeArgs(asGpu, src, dst);
  checkScaleArg(options.scaleInv, 'scaleInv');
  recordDecode(ctx, s, d, options.scaleInv, false);
}
