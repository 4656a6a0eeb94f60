import { type DeviceTensor, formatAmaxArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { Usage } from '../gpu-flags.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { amaxWgsl, exactF32Wgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32', index: 'u32' });

/** Elements one workgroup of amax.wgsl reduces (WG · PER_THREAD of amax.wgsl). */
const PER_GROUP = 256 * 16;

/** `amax`: writes `max |src[i]|` (NaN if any element is NaN, 0 for an empty tensor) to `out[index]`. */
export function amax(ctx: GpuContext, src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index = 0): void {
  const { src: s, out: o } = formatAmaxArgs(asGpu, src, out, index);
  let source = s.buffer;
  if (s.storage === o.storage) {
    // `out` is (a view of) `src`: reduce a copy, so zeroing the slot does not change the input and
    // no buffer is bound twice with one binding writable.
    source = ctx.transientBuffer(new ArrayBuffer(s.size * 4), Usage.STORAGE | Usage.COPY_DST);
    ctx.encoder.copyBufferToBuffer(s.buffer, 0, source, 0, s.size * 4);
  }
  // Zero the slot first: the shader only raises it (an empty source leaves 0).
  ctx.encoder.clearBuffer(o.buffer, index * 4, 4);
  ctx.dispatch({
    key: 'amax',
    code: () => `${exactF32Wgsl}\n${amaxWgsl}`,
    uniforms: layout,
    values: { n: s.size, index },
    buffers: [...reads(source), ...writes(o)],
    workgroups: ctx.grid1d(s.size, PER_GROUP),
  });
}
