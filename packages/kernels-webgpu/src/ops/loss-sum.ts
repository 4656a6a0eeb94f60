import { type DeviceTensor, type LossSumOptions, lossSumArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { gpuLayer, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { layerReduceWgsl, lossSumWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32', index: 'u32' });

/**
 * `lossSum`: `out[index] = scale · Σ losses`, summed in f32 by one workgroup. Overwrites `out[index]`
 * only; `scale` may be a device tensor (read on the device, no sync).
 */
export function lossSum(
  ctx: GpuContext,
  losses: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  options: LossSumOptions = {},
): void {
  const { L, O, index } = lossSumArgs(gpuLayer, losses, out, options);
  noAlias(O, 'out', [[L, 'losses']]);
  const scalars = ctx.scalars([options.scale], ['scale']);
  ctx.dispatch({
    key: 'lossSum',
    code: () => `${layerReduceWgsl}\n${lossSumWgsl}`,
    uniforms: layout,
    values: { n: L.size, index },
    buffers: [...reads(L), ...writes(O), ...reads(scalars)],
    workgroups: [1],
  });
}
