import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { DeviceTensor } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';
import * as ref from './layers-f64.js';

// Forward layer ops against the float64 references of layers-f64.ts. The CPU kernels compute in f64
// and round once when they store, so they agree to a few f32 ulps of the output's size (~1e-7).
const TOL = 1e-6;
const [B, T, C, NH, V, maxT] = [2, 3, 8, 2, 11, 4];

const cpu = createCpuBackend();
const up = (shape: number[], data: Float32Array) => cpu.upload('f32', shape, data);
const ids = (shape: number[], data: number[]) => cpu.upload('i32', shape, Int32Array.from(data));
const read = (t: DeviceTensor<'f32'>) => cpu.read(t);
const nan = (...shape: number[]) =>
  up(shape, new Float32Array(shape.reduce((a, v) => a * v, 1)).fill(Number.NaN));
const close = (found: Float32Array, expected: ArrayLike<number>) =>
  expect(ref.relativeError(found, expected)).toBeLessThan(TOL);

describe('layer forward ops match float64 references', () => {
  it('embeddingForward overwrites out with wte[token] + wpe[t]', async () => {
    const tokens = [3, 7, 3, 0, 10, 1];
    const [wte, wpe] = [ref.uniform(1, V * C), ref.uniform(2, maxT * C)];
    const out = nan(B, T, C);
    cpu.embeddingForward(ids([B, T], tokens), up([V, C], wte), up([maxT, C], wpe), out);
    close(await read(out), ref.embedding(tokens, wte, wpe, B, T, C));
  });

  it('layernormForward writes out, mean and rstd; eps is an option', async () => {
    const x = ref.uniform(3, B * T * C, -2, 2);
    const [w, b] = [ref.uniform(4, C, 0.5, 1.5), ref.uniform(5, C, -0.5, 0.5)];
    for (const eps of [undefined, 0.1]) {
      const [out, mean, rstd] = [nan(B, T, C), nan(B, T), nan(B, T)];
      cpu.layernormForward(up([B, T, C], x), up([C], w), up([C], b), out, mean, rstd, { eps });
      const r = ref.layernorm(x, w, b, C, eps);
      close(await read(out), r.out);
      close(await read(mean), r.mean);
      close(await read(rstd), r.rstd);
    }
  });

  it('layernormForward of a constant row gives rstd = 1/sqrt(eps) and out = bias', async () => {
    const x = new Float32Array(C).fill(2.5);
    const b = ref.uniform(6, C);
    const [out, mean, rstd] = [nan(1, C), nan(1), nan(1)];
    cpu.layernormForward(up([1, C], x), up([C], ref.uniform(7, C)), up([C], b), out, mean, rstd);
    expect(await read(mean)).toEqual(Float32Array.of(2.5));
    expect((await read(rstd))[0]).toBeCloseTo(1 / Math.sqrt(1e-5), 2);
    expect(await read(out)).toEqual(b);
  });

  it('geluForward is the tanh form (not erf), also in place', async () => {
    const x = Float32Array.of(...ref.uniform(8, 200, -6, 6), -40, 40, 0);
    const out = nan(x.length);
    cpu.geluForward(up([x.length], x), out);
    const found = await read(out);
    close(found, ref.gelu(x));
    expect(ref.relativeError(found, ref.geluErf(x))).toBeGreaterThan(1e-5);
    const t = up([x.length], x);
    cpu.geluForward(t, t);
    expect(await read(t)).toEqual(found);
  });

  it('attentionForward is causal: att rows sum to 1 and are exactly 0 above the diagonal', async () => {
    const qkv = ref.uniform(9, B * T * 3 * C, -2, 2);
    const [out, att] = [nan(B, T, C), nan(B, NH, T, T)];
    cpu.attentionForward(up([B, T, 3 * C], qkv), out, att, NH);
    const r = ref.attention(qkv, B, T, C, NH);
    const a = await read(att);
    close(a, r.att);
    close(await read(out), r.out);
    for (let row = 0; row < B * NH * T; row++) {
      const t = row % T;
      const p = a.subarray(row * T, (row + 1) * T);
      expect(p.subarray(t + 1).every((v) => v === 0)).toBe(true);
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    }
  });

  it('attentionForward stays finite for scores near 1e4', async () => {
    const qkv = ref.uniform(10, B * T * 3 * C, -2, 2).map((v, i) => (i % (3 * C) < 2 * C ? v * 60 : v));
    const [out, att] = [nan(B, T, C), nan(B, NH, T, T)];
    cpu.attentionForward(up([B, T, 3 * C], qkv), out, att, NH);
    const r = ref.attention(qkv, B, T, C, NH);
    close(await read(att), r.att);
    close(await read(out), r.out);
  });

  it('crossEntropyForward: loss per position, 0 where ignored, finite for logits near 1e4', async () => {
    const targets = [0, 10, -1, 4, 4, 7];
    for (const offset of [0, 1e4]) {
      const logits = ref.uniform(11, B * T * V, -4, 4).map((v) => v + offset);
      const losses = nan(B, T);
      cpu.crossEntropyForward(up([B, T, V], logits), ids([B, T], targets), losses, { ignoreIndex: -1 });
      const found = await read(losses);
      expect(found[2]).toBe(0);
      // f32 logits near 1e4 carry a rounding of 5e-4 each, and so does the reference: compare as usual.
      close(found, ref.crossEntropy(logits, targets, V, -1));
    }
  });

  it('crossEntropyBackward leaves ignored rows untouched and takes dlossScale on the device', async () => {
    const logits = up([1, 2, V], ref.uniform(12, 2 * V, -4, 4));
    const before = ref.uniform(13, 2 * V);
    const d = up([1, 2, V], before);
    cpu.crossEntropyBackward(logits, ids([1, 2], [-1, 3]), d, {
      ignoreIndex: -1,
      dlossScale: up([1], Float32Array.of(0.5)),
    });
    const found = await read(d);
    expect(found.subarray(0, V)).toEqual(before.subarray(0, V));
    // Each non-ignored row of (softmax - onehot) sums to 0, so the row sum is unchanged.
    const sum = (a: Float32Array) => a.subarray(V).reduce((s, v) => s + v, 0);
    expect(sum(found)).toBeCloseTo(sum(before), 5);
  });

  it('lossSum writes scale · Σ losses into the chosen slot only', async () => {
    const losses = ref.uniform(14, B * T, 0, 5);
    const out = up([3], Float32Array.of(7, 8, 9));
    cpu.lossSum(up([B, T], losses), out, { scale: 1 / (B * T), index: 1 });
    const mean = losses.reduce((s, v) => s + v, 0) / (B * T);
    close(await read(out), [7, mean, 9]);
  });

  it('residualForward and biasAdd (into out, in place, any leading shape)', async () => {
    const [a, b, bias] = [ref.uniform(15, B * T * C), ref.uniform(16, B * T * C), ref.uniform(17, C)];
    const out = nan(B, T, C);
    cpu.residualForward(up([B, T, C], a), up([B, T, C], b), out);
    close(
      await read(out),
      Float64Array.from(a, (v, i) => v + b[i]),
    );
    const x = up([B * T, C], a);
    cpu.biasAdd(x, up([C], bias));
    close(
      await read(x),
      Float64Array.from(a, (v, i) => v + bias[i % C]),
    );
  });
});

describe('layer ops check their arguments (CPU backend)', () => {
  const f = (...shape: number[]) => cpu.alloc('f32', shape);

  it('names the argument and the expected and found shapes', () => {
    const qkv = f(B, T, 3 * C);
    expect(() => cpu.attentionForward(qkv, f(B, T, C), f(B, NH, T, T + 1), NH)).toThrow(
      new RangeError('att: expected shape [B, NH, T, T] = [2, 2, 3, 3], found [2, 2, 3, 4]'),
    );
    expect(() => cpu.attentionForward(f(B * T, 3 * C), f(B, T, C), f(B, NH, T, T), NH)).toThrow(
      new RangeError('qkv: expected shape [B, T, 3C], found [6, 24]'),
    );
    expect(() => cpu.layernormForward(f(B, T, C), f(C), f(C), f(B, T, C), f(B * T), f(B, T))).toThrow(
      new RangeError('mean: expected shape x without its last dimension = [2, 3], found [6]'),
    );
    expect(() => cpu.embeddingForward(ids([B, T], [0, 1, 2, 0, 1, 2]), f(V, C), f(2, C), f(B, T, C))).toThrow(
      /wpe: expected at least T = 3 rows of C = 8, found \[2, 8\]/,
    );
    expect(() => cpu.attentionBackward(f(B, T, C), qkv, f(B, NH, T, T), f(B, T, 3 * C), 3)).toThrow(
      new RangeError('numHeads: expected a positive integer that divides C = 8, found 3'),
    );
  });

  it('rejects wrong dtypes and tensors of another backend with a TypeError', () => {
    const x = f(B, T, C);
    expect(() => cpu.geluForward(cpu.alloc('bf16', [B, T, C]) as never, x)).toThrow(
      new TypeError('x: expected dtype f32, found bf16'),
    );
    expect(() => cpu.crossEntropyForward(f(B, T, V), f(B, T) as never, f(B, T))).toThrow(
      new TypeError('targets: expected dtype i32, found f32'),
    );
    const foreign = { dtype: 'f32', shape: [C], size: C, backend: 'webgpu' } as DeviceTensor<'f32'>;
    expect(() => cpu.biasBackward(x, foreign)).toThrow(
      new TypeError('dbias: expected a tensor of the cpu backend, found webgpu'),
    );
  });

  it('checks token ids and targets on the CPU (undefined behaviour on a device)', () => {
    expect(() => cpu.embeddingForward(ids([1, 2], [0, 11]), f(V, C), f(maxT, C), f(1, 2, C))).toThrow(
      new RangeError('tokens: expected ids in 0..10, found 11 at index 1'),
    );
    expect(() =>
      cpu.crossEntropyForward(f(1, 2, V), ids([1, 2], [-1, -2]), f(1, 2), { ignoreIndex: -1 }),
    ).toThrow(new RangeError('targets: expected ids in 0..10 or -1 (ignoreIndex), found -2 at index 1'));
    expect(() => cpu.crossEntropyBackward(f(1, 2, V), ids([1, 2], [-1, 0]), f(1, 2, V))).toThrow(/targets/);
  });

  it('rejects bad scalars: eps, dlossScale, loss index, a disposed tensor', () => {
    const x = f(1, C);
    expect(() => cpu.layernormForward(x, f(C), f(C), f(1, C), f(1), f(1), { eps: -1 })).toThrow(
      new RangeError('eps: expected a finite number ≥ 0, found -1'),
    );
    expect(() =>
      cpu.crossEntropyBackward(f(1, 1, V), ids([1, 1], [0]), f(1, 1, V), { dlossScale: Number.NaN }),
    ).toThrow(/dlossScale/);
    expect(() => cpu.lossSum(f(4), f(2), { index: 2 })).toThrow(
      /index: expected an integer in 0..1, found 2/,
    );
    const gone = f(1, C);
    cpu.dispose(gone);
    expect(() => cpu.residualBackward(x, gone, f(1, C))).toThrow(/da: tensor was disposed/);
  });
});
