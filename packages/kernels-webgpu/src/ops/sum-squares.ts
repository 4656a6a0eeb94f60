import { type DeviceTensor, optimizerSumSquaresArgs, type ScaleArg } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { exactF32Wgsl, sumSquaresWgsl } from '../wgsl.generated.js';
import { type DecodedDType, decoderFor, perWord } from './dequantize.js';

const layout = uniformLayout({ n: 'u32', words: 'u32', phase: 'u32', index: 'u32', partial_count: 'u32' });
const WG = 256;
/** Workgroups of the first phase at most: the second sums their partials in one workgroup. */
const MAX_PARTIALS = 1024;

/**
 * `sumSquares`: `out[index] = Σ (decode(x_i) · scaleInv)²` for any float or code dtype, accumulated
 * in f32 (compensated per thread, then trees); NaN and inf propagate.
 */
export function sumSquares(
  ctx: GpuContext,
  x: DeviceTensor,
  out: DeviceTensor<'f32'>,
  index = 0,
  options: { scaleInv?: ScaleArg } = {},
): void {
  const { x: t, out: o } = optimizerSumSquaresArgs(asGpu, x, out, index);
  const dtype = t.dtype as DecodedDType;
  const scalars = ctx.scalars([options.scaleInv], ['scaleInv']);
  const words = Math.ceil(t.size / perWord(dtype));
  const groups = Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(words / WG)));
  const partials = ctx.pool.acquire(Math.max(16, 4 * groups)).buffer; // spans both dispatches
  const key = `sum-squares/${dtype}`;
  const code = () =>
    [`const PER_WORD: u32 = ${perWord(dtype)}u;`, exactF32Wgsl, decoderFor(dtype), sumSquaresWgsl].join('\n');
  const values = { n: t.size, words, index, partial_count: groups };
  ctx.dispatch({
    key,
    code,
    uniforms: layout,
    values: { ...values, phase: 0 },
    // out is not written in this phase, and may be x itself: a stand-in.
    buffers: [...reads(t, scalars), ...writes(partials, ctx.standIn('read_write'))],
    workgroups: [groups],
  });
  ctx.dispatch({
    key,
    code,
    uniforms: layout,
    values: { ...values, phase: 1 },
    // Neither x nor the scale is read in this phase: a stand-in for x, and the same scalars (bound
    // as a slice, like every dispatch of this pipeline).
    buffers: [...reads(ctx.standIn('read'), scalars), ...writes(partials, o)],
    workgroups: [1],
  });
  ctx.pool.release(partials);
}
