import { type ComputeScaleOptions, type DeviceTensor, formatComputeScaleArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { computeScaleWgsl, exactF32Wgsl } from '../wgsl.generated.js';
import { f32Bits } from './format-args.js';

// fpMax·2^-margin travels as bits: the shader divides it exactly, subnormal or not.
const layout = uniformLayout({ fpmax_bits: 'u32', index: 'u32' });

/**
 * `computeScale`: current per-tensor scaling on the device, `scale = fround(fround(fpMax·2^-margin) /
 * amax[amaxIndex])` clamped to [2^-127, FLT_MAX] and `scaleInv = fround(1 / scale)`; a zero or
 * non-finite amax keeps the previous scale (as kernels-cpu and @fp8lm/scaling).
 */
export function computeScale(
  ctx: GpuContext,
  amax: DeviceTensor<'f32'>,
  scale: DeviceTensor<'f32'>,
  scaleInv: DeviceTensor<'f32'>,
  options: ComputeScaleOptions,
): void {
  const {
    amax: a,
    scale: s,
    scaleInv: si,
    fpMax,
    margin,
    amaxIndex,
  } = formatComputeScaleArgs(asGpu, amax, scale, scaleInv, options);
  ctx.dispatch({
    key: 'computeScale',
    code: () => `${exactF32Wgsl}\n${computeScaleWgsl}`,
    uniforms: layout,
    values: { fpmax_bits: f32Bits(fpMax * 2 ** -margin), index: amaxIndex },
    buffers: [...reads(a), ...writes(s, si)],
    workgroups: [1],
  });
}
