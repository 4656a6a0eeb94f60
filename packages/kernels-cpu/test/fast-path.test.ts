import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

// The fast path's LayerNorm and attention against the reference at a GPT-like size (the conformance
// suite covers the small shapes and the argument errors on both paths).
const status = fastPathStatus();

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** max |a - b| / max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return err / mag;
}

async function layerOps(backend: Backend): Promise<Float32Array[]> {
  const [B, T, C, NH] = [2, 64, 96, 4];
  const owned: DeviceTensor[] = [];
  const up = (shape: number[], seed: number) => {
    const t = backend.upload(
      'f32',
      shape,
      random(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
    );
    owned.push(t);
    return t;
  };
  const zeros = (shape: number[]) => {
    const t = backend.alloc('f32', shape);
    owned.push(t);
    return t;
  };
  const qkv = up([B, T, 3 * C], 1);
  const out = zeros([B, T, C]);
  const att = zeros([B, NH, T, T]);
  const dout = up([B, T, C], 2);
  const dqkv = up([B, T, 3 * C], 3); // backward ops accumulate: start from non-zero gradients
  backend.attentionForward(qkv, out, att, NH);
  backend.attentionBackward(dout, qkv, att, dqkv, NH);
  const x = up([B, T, C], 4);
  const w = up([C], 5);
  const b = up([C], 6);
  const y = zeros([B, T, C]);
  const mean = zeros([B, T]);
  const rstd = zeros([B, T]);
  const dx = up([B, T, C], 7);
  const dw = up([C], 8);
  const db = up([C], 9);
  backend.layernormForward(x, w, b, y, mean, rstd, { eps: 1e-5 });
  backend.layernormBackward(dout, x, w, mean, rstd, dx, dw, db);
  const results = await Promise.all([out, att, dqkv, y, mean, rstd, dx, dw, db].map((t) => backend.read(t)));
  for (const t of owned) backend.dispose(t);
  return results as Float32Array[];
}

describe('fast path: LayerNorm and attention agree with the reference', () => {
  it('forward and backward, B=2 T=64 C=96 NH=4', async (ctx) => {
    if (!status.available) ctx.skip();
    const ref = await layerOps(createCpuBackend({ fast: false }));
    const fast = await layerOps(createCpuBackend({ fast: true }));
    const names = ['out', 'att', 'dqkv', 'layernorm out', 'mean', 'rstd', 'dx', 'dweight', 'dbias'];
    for (const [i, name] of names.entries()) {
      expect(relErr(fast[i], ref[i]), name).toBeLessThan(1e-5);
    }
  });

  it('rejects bad arguments with the reference errors', (ctx) => {
    if (!status.available) ctx.skip();
    for (const backend of [createCpuBackend({ fast: false }), createCpuBackend({ fast: true })]) {
      const qkv = backend.alloc('f32', [1, 4, 12]);
      const out = backend.alloc('f32', [1, 4, 4]);
      const att = backend.alloc('f32', [1, 2, 4, 5]);
      expect(() => backend.attentionForward(qkv, out, att, 2)).toThrow(/att: expected shape \[B, NH, T, T\]/);
      expect(() => backend.attentionForward(qkv, out, att, 3)).toThrow(/numHeads/);
      const w = backend.alloc('f32', [3]);
      const m = backend.alloc('f32', [1, 4]);
      expect(() => backend.layernormForward(out, w, w, out, m, m)).toThrow(/weight: expected shape \[C\]/);
      for (const t of [qkv, out, att, w, m]) backend.dispose(t);
    }
  });
});
