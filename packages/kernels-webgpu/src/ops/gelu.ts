import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { expectShape, f32, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { geluBackwardWgsl, geluForwardInplaceWgsl, geluForwardWgsl, geluWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32' });
const WORKGROUP = 256;

/**
 * `geluForward`: `out = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))`, GPT-2's tanh form.
 * Overwrites `out`, which may be `x` (in place).
 */
export function geluForward(ctx: GpuContext, x: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>): void {
  const X = f32(x, 'x');
  const O = f32(out, 'out');
  expectShape(O, 'out', X.shape, 'the shape of x');
  const inPlace = X.storage === O.storage;
  ctx.dispatch({
    key: inPlace ? 'geluForward:inplace' : 'geluForward',
    code: () => `${geluWgsl}\n${inPlace ? geluForwardInplaceWgsl : geluForwardWgsl}`,
    uniforms: layout,
    values: { n: X.size },
    buffers: inPlace
      ? [{ buffer: O.buffer, access: 'read_write' }]
      : [
          { buffer: X.buffer, access: 'read' },
          { buffer: O.buffer, access: 'read_write' },
        ],
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
  const D = f32(dout, 'dout');
  const X = f32(x, 'x');
  const DX = f32(dx, 'dx');
  expectShape(D, 'dout', X.shape, 'the shape of x');
  expectShape(DX, 'dx', X.shape, 'the shape of x');
  noAlias(DX, 'dx', [
    [D, 'dout'],
    [X, 'x'],
  ]);
  ctx.dispatch({
    key: 'geluBackward',
    code: () => `${geluWgsl}\n${geluBackwardWgsl}`,
    uniforms: layout,
    values: { n: X.size },
    buffers: [
      { buffer: D.buffer, access: 'read' },
      { buffer: X.buffer, access: 'read' },
      { buffer: DX.buffer, access: 'read_write' },
    ],
    workgroups: ctx.grid1d(X.size, WORKGROUP),
  });
}
