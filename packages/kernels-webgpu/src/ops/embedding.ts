import { type DeviceTensor, embeddingArgs } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { gpuLayer, noAlias, scratch } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { embeddingBackwardWgsl, embeddingLinksWgsl, embeddingWgsl } from '../wgsl.generated.js';

const WORKGROUP = 256;
const forwardLayout = uniformLayout({ n: 'u32', cols: 'u32', seq: 'u32' });
const linksLayout = uniformLayout({ positions: 'u32' });
const backwardLayout = uniformLayout({ positions: 'u32', cols: 'u32', seq: 'u32' });

/** `embeddingForward`: `out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]`. Overwrites `out`. */
export function embeddingForward(
  ctx: GpuContext,
  tokens: DeviceTensor<'i32'>,
  wte: DeviceTensor<'f32'>,
  wpe: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const { tok, e, p, a, B, T, C } = embeddingArgs(gpuLayer, tokens, wte, wpe, out, 'forward');
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
    buffers: [...reads(tok, e, p), ...writes(a)],
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
  const { tok, e, p, a, B, T, C } = embeddingArgs(gpuLayer, tokens, dwte, dwpe, dout, 'backward');
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
    buffers: [...reads(tok), ...writes(links)],
    workgroups: ctx.grid1d(positions, WORKGROUP),
  });
  ctx.dispatch({
    key: 'embeddingBackward',
    code: () => embeddingBackwardWgsl,
    uniforms: backwardLayout,
    values: { positions, cols: C, seq: T },
    buffers: [...reads(a, tok, links), ...writes(e, p)],
    workgroups: ctx.grid1d(positions * C, WORKGROUP),
  });
  links.done();
}
