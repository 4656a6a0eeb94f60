import { type DeviceTensor, formatShape } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { dims, expectShape, f32, i32, noAlias, scratch } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { embeddingBackwardWgsl, embeddingLinksWgsl, embeddingWgsl } from '../wgsl.generated.js';

const WORKGROUP = 256;
const forwardLayout = uniformLayout({ n: 'u32', cols: 'u32', seq: 'u32' });
const linksLayout = uniformLayout({ positions: 'u32' });
const backwardLayout = uniformLayout({ positions: 'u32', cols: 'u32', seq: 'u32' });

/**
 * Checks tokens `[B, T]`, a `[V, C]` table, a `[maxT ≥ T, C]` table and an activation `[B, T, C]`. C is
 * read from the table in the forward pass (`out` must fit the parameters) and from the activation in
 * the backward pass (the gradients must fit `dout`), so the error names the tensor that is off.
 * Token values are device data and are not checked (the contract leaves bad ids undefined).
 */
function check(
  tokens: DeviceTensor<'i32'>,
  table: DeviceTensor<'f32'>,
  positions: DeviceTensor<'f32'>,
  act: DeviceTensor<'f32'>,
  pass: 'forward' | 'backward',
) {
  const [eName, pName, aName] = pass === 'forward' ? ['wte', 'wpe', 'out'] : ['dwte', 'dwpe', 'dout'];
  const tok = i32(tokens, 'tokens');
  const [e, p, a] = [f32(table, eName), f32(positions, pName), f32(act, aName)];
  const [B, T] = dims(tok, 'tokens', ['B', 'T']);
  const V = dims(e, eName, ['V', 'C'])[0];
  const C = pass === 'forward' ? e.shape[1] : dims(a, aName, ['B', 'T', 'C'])[2];
  expectShape(e, eName, [V, C], '[V, C]');
  const [maxT] = dims(p, pName, ['maxT', 'C']);
  if (maxT < T) {
    throw new RangeError(
      `${pName}: expected at least T = ${T} rows of C = ${C}, found ${formatShape(p.shape)}`,
    );
  }
  expectShape(p, pName, [maxT, C], '[maxT, C]');
  expectShape(a, aName, [B, T, C], '[B, T, C]');
  return { tok, e, p, a, B, T, C };
}

/** `embeddingForward`: `out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]`. Overwrites `out`. */
export function embeddingForward(
  ctx: GpuContext,
  tokens: DeviceTensor<'i32'>,
  wte: DeviceTensor<'f32'>,
  wpe: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const { tok, e, p, a, B, T, C } = check(tokens, wte, wpe, out, 'forward');
  noAlias(a, 'out', [
    [tok, 'tokens'],
    [e, 'wte'],
    [p, 'wpe'],
  ]);
  const n = B * T * C;
  ctx.dispatch({
    key: 'embeddingForward',
    code: () => embeddingWgsl,
    uniforms: forwardLayout,
    values: { n, cols: C, seq: T },
    buffers: [
      { buffer: tok.buffer, access: 'read' },
      { buffer: e.buffer, access: 'read' },
      { buffer: p.buffer, access: 'read' },
      { buffer: a.buffer, access: 'read_write' },
    ],
    workgroups: ctx.grid1d(n, WORKGROUP),
  });
}

/**
 * `embeddingBackward`: `dwte[tokens[b,t],:] += dout[b,t,:]` and `dwpe[t,:] += dout[b,t,:]`. Accumulates.
 * Race-free without float atomics: a first pass links the positions of each token (into a pooled
 * scratch buffer of 2·B·T words), then one thread per (first position of a token, channel) adds the
 * whole chain to its dwte element, and one per (t, channel) the B rows of its dwpe element.
 */
export function embeddingBackward(
  ctx: GpuContext,
  dout: DeviceTensor<'f32'>,
  tokens: DeviceTensor<'i32'>,
  dwte: DeviceTensor<'f32'>,
  dwpe: DeviceTensor<'f32'>,
): void {
  const { tok, e, p, a, B, T, C } = check(tokens, dwte, dwpe, dout, 'backward');
  const inputs = [
    [a, 'dout'],
    [tok, 'tokens'],
  ] as const;
  noAlias(e, 'dwte', inputs);
  noAlias(p, 'dwpe', [...inputs, [e, 'dwte']]);
  const positions = B * T;
  if (positions === 0 || C === 0) return;
  const links = scratch(ctx, 2 * positions * 4);
  ctx.dispatch({
    key: 'embeddingBackward:links',
    code: () => embeddingLinksWgsl,
    uniforms: linksLayout,
    values: { positions },
    buffers: [
      { buffer: tok.buffer, access: 'read' },
      { buffer: links.buffer, access: 'read_write' },
    ],
    workgroups: ctx.grid1d(positions, WORKGROUP),
  });
  ctx.dispatch({
    key: 'embeddingBackward',
    code: () => embeddingBackwardWgsl,
    uniforms: backwardLayout,
    values: { positions, cols: C, seq: T },
    buffers: [
      { buffer: a.buffer, access: 'read' },
      { buffer: tok.buffer, access: 'read' },
      { buffer: links.buffer, access: 'read' },
      { buffer: e.buffer, access: 'read_write' },
      { buffer: p.buffer, access: 'read_write' },
    ],
    workgroups: ctx.grid1d(positions * C, WORKGROUP),
  });
  links.done();
}
