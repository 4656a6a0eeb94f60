import { type DeviceTensor, geluBackwardArgs, geluForwardArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { aliasedBindings, gpuLayer, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { geluBackwardWgsl, geluForwardWgsl, geluWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32' });
const WORKGROUP = 256;

/**
 * `geluForward`: `out = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))`, GPT-2's tanh form.
 * Overwrites `out`, which may be `x` (in place).
 */
export function geluForward(ctx: GpuContext, x: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>): void {
  const { X, O } = geluForwardArgs(gpuLayer, x, out);
  const io = aliasedBindings(O, [['x', X]]);
  ctx.dispatch({
    key: `geluForward${io.key}`,
    code: () => `${geluWgsl}\n${io.wgsl}${geluForwardWgsl}`,
    uniforms: layout,
    values: { n: X.size },
    buffers: io.buffers,
    workgroups: ctx.grid1d(X.size, WORKGROUP),
  });
}

/** `geluBackward`: `dx += dout · gelu'(x)` for the tanh form. Accumulates into `dx`. */
export function geluBackward(
  ctx: GpuContext,
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
): void {
  const { D, X, DX } = geluBackwardArgs(gpuLayer, dout, x, dx);
  noAlias(DX, 'dx', [
    [D, 'dout'],
    [X, 'x'],
  ]);
  ctx.dispatch({
    key: 'geluBackward',
    code: () => `${geluWgsl}\n${geluBackwardWgsl}`,
    uniforms: layout,
    values: { n: X.size },
    buffers: [...reads(D, X), ...writes(DX)],
    workgroups: ctx.grid1d(X.size, WORKGROUP),
  });
}
