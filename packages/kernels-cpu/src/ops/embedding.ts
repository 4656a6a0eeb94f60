import { type DeviceTensor, formatShape } from '@fp8lm/tensor-interface';
import { checkIds, dims, expectShape, f32, i32 } from '../layer-checks.js';

/** Checks tokens `[B, T]`, the `[V, C]` and `[maxT ≥ T, C]` tables, and `act` `[B, T, C]` (out or dout). */
function check(
  tokens: DeviceTensor<'i32'>,
  table: DeviceTensor<'f32'>,
  positions: DeviceTensor<'f32'>,
  act: DeviceTensor<'f32'>,
  names: readonly [string, string, string],
) {
  const tok = i32(tokens, 'tokens');
  const [e, p, a] = [f32(table, names[0]), f32(positions, names[1]), f32(act, names[2])];
  const [B, T] = dims(tok, 'tokens', ['B', 'T']);
  // C comes from the parameter table in the forward pass and from dout in the backward pass.
  const [V, C] =
    names[2] === 'out' ? dims(e, names[0], ['V', 'C']) : [e.shape[0], dims(a, 'dout', ['B', 'T', 'C'])[2]];
  expectShape(e, names[0], [V, C], '[V, C]');
  const [maxT] = dims(p, names[1], ['maxT', 'C']);
  if (maxT < T) {
    throw new RangeError(
      `${names[1]}: expected at least T = ${T} rows of C = ${C}, found ${formatShape(p.shape)}`,
    );
  }
  expectShape(p, names[1], [maxT, C], '[maxT, C]');
  expectShape(a, names[2], [B, T, C], '[B, T, C]');
  checkIds(tok.data, V, 'tokens');
  return { tok: tok.data, e: e.data, p: p.data, a: a.data, B, T, C };
}

/** Backend op: `out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]`. Overwrites `out`. */
export function embeddingForward(
  tokens: DeviceTensor<'i32'>,
  wte: DeviceTensor<'f32'>,
  wpe: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const { tok, e, p, a: y, B, T, C } = check(tokens, wte, wpe, out, ['wte', 'wpe', 'out']);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * C;
      const ix = tok[b * T + t] * C;
      for (let i = 0; i < C; i++) y[row + i] = e[ix + i] + p[t * C + i];
    }
  }
}

/** Backend op: `dwte[tokens[b,t],:] += dout[b,t,:]`, `dwpe[t,:] += dout[b,t,:]`. Accumulates. */
export function embeddingBackward(
  dout: DeviceTensor<'f32'>,
  tokens: DeviceTensor<'i32'>,
  dwte: DeviceTensor<'f32'>,
  dwpe: DeviceTensor<'f32'>,
): void {
  const { tok, e: dE, p: dP, a: g, B, T, C } = check(tokens, dwte, dwpe, dout, ['dwte', 'dwpe', 'dout']);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * C;
      const ix = tok[b * T + t] * C;
      for (let i = 0; i < C; i++) {
        dE[ix + i] += g[row + i];
        dP[t * C + i] += g[row + i];
      }
    }
  }
}
