import { type DeviceTensor, fillArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, writes } from '../context.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { fillWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32', value: 'f32' });

/** `fill`: sets every element of an f32 tensor to `value`. */
export function fill(ctx: GpuContext, tensor: DeviceTensor<'f32'>, value: number): void {
  fillArgs(value);
  const t = asGpu(tensor, 'tensor', ['f32']);
  ctx.dispatch({
    key: 'fill',
    code: () => fillWgsl,
    uniforms: layout,
    values: { n: t.size, value },
    buffers: writes(t),
    workgroups: ctx.grid1d(t.size, 256),
  });
}
