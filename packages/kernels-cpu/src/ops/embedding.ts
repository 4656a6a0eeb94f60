import { type DeviceTensor, formatShape } from '@fp8lm/tensor-interface';
import { checkIds, dims, expectShape, f32, i32 } from '../layer-checks.js';

/**
 * Checks tokens `[B, T]`, a `[V, C]` table, a `[maxT ≥ T, C]` table and an activation `[B, T, C]`. C is
 * read from the table in the forward pass (`out` must fit the parameters) and from the activation in
 * the backward pass (the gradients must fit `dout`), so the error names the tensor that is off.
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
  const { tok, e, p, a: y, B, T, C } = check(tokens, wte, wpe, out, 'forward');
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
  const { tok, e: dE, p: dP, a: g, B, T, C } = check(tokens, dwte, dwpe, dout, 'backward');
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
