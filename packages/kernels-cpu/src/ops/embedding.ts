import { type DeviceTensor, embeddingArgs } from '@fp8lm/tensor-interface';
import { checkIds, cpuLayer } from '../layer-checks.js';

/** The shared checks, then the token ids, which are host data here. */
function check(
  tokens: DeviceTensor<'i32'>,
  table: DeviceTensor<'f32'>,
  positions: DeviceTensor<'f32'>,
  act: DeviceTensor<'f32'>,
  pass: 'forward' | 'backward',
) {
  const { tok, e, p, a, B, T, C, V } = embeddingArgs(cpuLayer, tokens, table, positions, act, pass);
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
