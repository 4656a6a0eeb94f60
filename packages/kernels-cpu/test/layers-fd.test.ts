import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { DeviceTensor } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';
import * as ref from './layers-f64.js';

// Every backward layer op against central finite differences of an independent float64 forward
// (layers-f64.ts), on small shapes. For an op y = f(x) and a random dout r, the scalar objective is
// L(x) = Σ r·f(x): its finite-difference gradient must match what the backward op computes from dout = r.
//
// Error budget: the finite differences are good to ~1e-10 (h = 1e-5, f64), the kernel's gradient is
// rounded to f32 (~6e-8) and uses f32 saved activations (mean, rstd, att): the errors seen are 2e-8 to
// 6e-8 of the gradient's size. TOL leaves a margin of ~15× over that and is orders of magnitude below a
// wrong formula (1e-4 to 1; see the last tests, which check that they fail by more than 10 × TOL).

const TOL = 1e-6;
const [B, T, C, NH, V, maxT] = [2, 3, 8, 2, 11, 4];
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

const cpu = createCpuBackend();
const up = (shape: number[], data: Float32Array) => cpu.upload('f32', shape, data);
const read = (t: DeviceTensor<'f32'>) => cpu.read(t);
const zeros = (...shape: number[]) => cpu.alloc('f32', shape);

function checkGradient(found: Float32Array, expected: Float64Array): number {
  const err = ref.relativeError(found, expected);
  expect(err).toBeLessThan(TOL);
  return err;
}

describe('layer backward ops match finite differences (f64, B=2 T=3 C=8 NH=2 V=11)', () => {
  it('embeddingBackward: dwte (with a repeated token) and dwpe', async () => {
    const tokens = Int32Array.of(3, 7, 3, 0, 3, 10);
    const wte = ref.uniform(1, V * C);
    const wpe = ref.uniform(2, maxT * C);
    const r = ref.uniform(3, B * T * C);
    const [dwte, dwpe] = [zeros(V, C), zeros(maxT, C)];
    cpu.embeddingBackward(up([B, T, C], r), cpu.upload('i32', [B, T], tokens), dwte, dwpe);
    const L = (e: ArrayLike<number>, p: ArrayLike<number>) =>
      ref.dot(r, ref.embedding(tokens, e, p, B, T, C));
    checkGradient(
      await read(dwte),
      ref.finiteDifferences((e) => L(e, wpe), f64(wte)),
    );
    checkGradient(
      await read(dwpe),
      ref.finiteDifferences((p) => L(wte, p), f64(wpe)),
    );
  });

  it('layernormBackward: dx, dweight, dbias', async () => {
    const x = ref.uniform(4, B * T * C, -2, 2);
    const w = ref.uniform(5, C, 0.5, 1.5);
    const b = ref.uniform(6, C, -0.5, 0.5);
    const r = ref.uniform(7, B * T * C);
    const [out, mean, rstd] = [zeros(B, T, C), zeros(B, T), zeros(B, T)];
    const [tx, tw] = [up([B, T, C], x), up([C], w)];
    cpu.layernormForward(tx, tw, up([C], b), out, mean, rstd);
    const [dx, dw, db] = [zeros(B, T, C), zeros(C), zeros(C)];
    cpu.layernormBackward(up([B, T, C], r), tx, tw, mean, rstd, dx, dw, db);
    const L = (xs: ArrayLike<number>, ws: ArrayLike<number>, bs: ArrayLike<number>) =>
      ref.dot(r, ref.layernorm(xs, ws, bs, C).out);
    checkGradient(
      await read(dx),
      ref.finiteDifferences((v) => L(v, w, b), f64(x)),
    );
    checkGradient(
      await read(dw),
      ref.finiteDifferences((v) => L(x, v, b), f64(w)),
    );
    checkGradient(
      await read(db),
      ref.finiteDifferences((v) => L(x, w, v), f64(b)),
    );
  });

  it('geluBackward over [-5, 5]', async () => {
    const x = ref.uniform(8, 64, -5, 5);
    const r = ref.uniform(9, 64);
    const dx = zeros(64);
    cpu.geluBackward(up([64], r), up([64], x), dx);
    checkGradient(
      await read(dx),
      ref.finiteDifferences((v) => ref.dot(r, ref.gelu(v)), f64(x)),
    );
  });

  it('attentionBackward: dq, dk, dv through the causal softmax', async () => {
    const qkv = ref.uniform(10, B * T * 3 * C, -2, 2);
    const r = ref.uniform(11, B * T * C);
    const [out, att, dqkv] = [zeros(B, T, C), zeros(B, NH, T, T), zeros(B, T, 3 * C)];
    const tqkv = up([B, T, 3 * C], qkv);
    cpu.attentionForward(tqkv, out, att, NH);
    cpu.attentionBackward(up([B, T, C], r), tqkv, att, dqkv, NH);
    const fd = ref.finiteDifferences((v) => ref.dot(r, ref.attention(v, B, T, C, NH).out), f64(qkv));
    const found = await read(dqkv);
    checkGradient(found, fd);
    // Position 0 attends only to itself (a softmax over one score), so its query gets no gradient.
    for (const b of [0, 1]) {
      const q0 = b * T * 3 * C;
      expect(Math.max(...fd.subarray(q0, q0 + C).map(Math.abs))).toBeLessThan(1e-9);
      expect(found.subarray(q0, q0 + C).every((v) => v === 0)).toBe(true);
    }
  });

  it('crossEntropyBackward: dlogits with dlossScale 1/count and an ignored position', async () => {
    const logits = ref.uniform(12, B * T * V, -4, 4);
    const targets = Int32Array.of(0, 10, -1, 4, 4, 7);
    const scale = 1 / 5;
    const dlogits = zeros(B, T, V);
    const tl = up([B, T, V], logits);
    const tt = cpu.upload('i32', [B, T], targets);
    cpu.crossEntropyBackward(tl, tt, dlogits, { dlossScale: scale, ignoreIndex: -1 });
    const L = (l: ArrayLike<number>) =>
      scale * ref.crossEntropy(l, targets, V, -1).reduce((a, v) => a + v, 0);
    const found = await read(dlogits);
    checkGradient(found, ref.finiteDifferences(L, f64(logits)));
    expect(found.subarray(2 * V, 3 * V).every((v) => v === 0)).toBe(true);
  });

  it('residualBackward and biasBackward', async () => {
    const a = ref.uniform(13, B * T * C);
    const b = ref.uniform(14, B * T * C);
    const bias = ref.uniform(15, C);
    const r = ref.uniform(16, B * T * C);
    const [da, db, dbias] = [zeros(B, T, C), zeros(B, T, C), zeros(C)];
    cpu.residualBackward(up([B, T, C], r), da, db);
    cpu.biasBackward(up([B, T, C], r), dbias);
    const add = (x: ArrayLike<number>, y: ArrayLike<number>) =>
      Float64Array.from(x, (v, i) => v + y[i % y.length]);
    checkGradient(
      await read(da),
      ref.finiteDifferences((v) => ref.dot(r, add(v, b)), f64(a)),
    );
    checkGradient(
      await read(db),
      ref.finiteDifferences((v) => ref.dot(r, add(a, v)), f64(b)),
    );
    checkGradient(
      await read(dbias),
      ref.finiteDifferences((v) => ref.dot(r, add(a, v)), f64(bias)),
    );
  });

  it('a block of GPT-2 (ln → attention → residual → ln → gelu → residual) chains correctly', async () => {
    // The ops composed as the trainer will call them (without the GEMMs: qkv = ln1 output tiled 3×,
    // the MLP = bias + GELU), checked end to end: accumulate semantics make the residual branches add up.
    const x = ref.uniform(17, B * T * C, -2, 2);
    const w1 = ref.uniform(18, C, 0.5, 1.5);
    const b1 = ref.uniform(19, C, -0.5, 0.5);
    const fcb = ref.uniform(20, C, -0.5, 0.5);
    const r = ref.uniform(21, B * T * C);
    const blockF64 = (xs: ArrayLike<number>) => {
      const ln = ref.layernorm(xs, w1, b1, C).out;
      const qkv = new Float64Array(B * T * 3 * C);
      for (let n = 0; n < B * T; n++)
        for (let j = 0; j < 3 * C; j++) qkv[n * 3 * C + j] = ln[n * C + (j % C)];
      const h = Float64Array.from(ref.attention(qkv, B, T, C, NH).out, (v, i) => v + xs[i]);
      const ln2 = ref.layernorm(h, w1, b1, C).out;
      const g = ref.gelu(ln2.map((v, i) => v + fcb[i % C]));
      return Float64Array.from(g, (v, i) => v + h[i]);
    };
    // Forward with the kernels.
    const tx = up([B, T, C], x);
    const [tw, tb, tfcb] = [up([C], w1), up([C], b1), up([C], fcb)];
    const [ln1, m1, s1] = [zeros(B, T, C), zeros(B, T), zeros(B, T)];
    cpu.layernormForward(tx, tw, tb, ln1, m1, s1);
    const ln1h = await read(ln1);
    const qkvHost = new Float32Array(B * T * 3 * C);
    for (let n = 0; n < B * T; n++)
      for (let j = 0; j < 3 * C; j++) qkvHost[n * 3 * C + j] = ln1h[n * C + (j % C)];
    const [tqkv, attOut, att] = [up([B, T, 3 * C], qkvHost), zeros(B, T, C), zeros(B, NH, T, T)];
    cpu.attentionForward(tqkv, attOut, att, NH);
    const h = zeros(B, T, C);
    cpu.residualForward(tx, attOut, h);
    const [ln2, m2, s2] = [zeros(B, T, C), zeros(B, T), zeros(B, T)];
    cpu.layernormForward(h, tw, tb, ln2, m2, s2);
    const pre = zeros(B, T, C);
    cpu.biasAdd(ln2, tfcb, pre);
    const g = zeros(B, T, C);
    cpu.geluForward(pre, g);
    const y = zeros(B, T, C);
    cpu.residualForward(g, h, y);
    expect(ref.relativeError(await read(y), blockF64(x))).toBeLessThan(1e-6);
    // Backward, in reverse order; every gradient buffer starts at zero and accumulates.
    const dy = up([B, T, C], r);
    const [dg, dh] = [zeros(B, T, C), zeros(B, T, C)];
    cpu.residualBackward(dy, dg, dh);
    const dpre = zeros(B, T, C);
    cpu.geluBackward(dg, pre, dpre);
    const [dln2, dfcb] = [zeros(B, T, C), zeros(C)];
    cpu.biasBackward(dpre, dfcb);
    cpu.residualForward(dpre, dln2, dln2); // biasAdd's input gradient is dout itself
    const [dw, db] = [zeros(C), zeros(C)];
    cpu.layernormBackward(dln2, h, tw, m2, s2, dh, dw, db); // adds to dh (the residual branch)
    const [dx, dattOut] = [zeros(B, T, C), zeros(B, T, C)];
    cpu.residualBackward(dh, dx, dattOut);
    const dqkv = zeros(B, T, 3 * C);
    cpu.attentionBackward(dattOut, tqkv, att, dqkv, NH);
    const dqkvHost = await read(dqkv);
    const dln1Host = new Float32Array(B * T * C);
    for (let n = 0; n < B * T; n++)
      for (let j = 0; j < 3 * C; j++) dln1Host[n * C + (j % C)] += dqkvHost[n * 3 * C + j];
    cpu.layernormBackward(up([B, T, C], dln1Host), tx, tw, m1, s1, dx, dw, db);
    checkGradient(
      await read(dx),
      ref.finiteDifferences((v) => ref.dot(r, blockF64(v)), f64(x)),
    );
  });

  it('the tolerance fails a gradient off by 1e-4 of its size in one element', async () => {
    const x = ref.uniform(8, 64, -5, 5);
    const r = ref.uniform(9, 64);
    const dx = zeros(64);
    cpu.geluBackward(up([64], r), up([64], x), dx);
    const found = await read(dx);
    const fd = ref.finiteDifferences((v) => ref.dot(r, ref.gelu(v)), f64(x));
    const good = ref.relativeError(found, fd);
    found[17] += 1e-4 * Math.max(...fd.map(Math.abs));
    const bad = ref.relativeError(found, fd);
    expect(good).toBeLessThan(TOL);
    expect(bad).toBeGreaterThan(10 * TOL);
  });

  it('the tolerance fails wrong formulas: erf-GELU derivative, layernorm without its last term, softmax backward without Σ att·datt', async () => {
    // GELU: the exact (erf) form's derivative is not the tanh form's.
    const x = ref.uniform(8, 64, -5, 5);
    const r = ref.uniform(9, 64);
    const fdTanh = ref.finiteDifferences((v) => ref.dot(r, ref.gelu(v)), f64(x));
    const fdErf = ref.finiteDifferences((v) => ref.dot(r, ref.geluErf(v)), f64(x));
    expect(ref.relativeError(fdErf, fdTanh)).toBeGreaterThan(10 * TOL);

    // Layernorm: dx = rstd·(g - mean(g)) misses the -norm·mean(g·norm) term.
    const xs = ref.uniform(4, B * T * C, -2, 2);
    const w = ref.uniform(5, C, 0.5, 1.5);
    const dout = ref.uniform(7, B * T * C);
    const { rstd } = ref.layernorm(xs, w, new Float64Array(C), C);
    const wrong = new Float64Array(xs.length);
    for (let n = 0; n < B * T; n++) {
      let gm = 0;
      for (let c = 0; c < C; c++) gm += (w[c] * dout[n * C + c]) / C;
      for (let c = 0; c < C; c++) wrong[n * C + c] = rstd[n] * (w[c] * dout[n * C + c] - gm);
    }
    const fdLn = ref.finiteDifferences(
      (v) => ref.dot(dout, ref.layernorm(v, w, new Float64Array(C), C).out),
      f64(xs),
    );
    expect(ref.relativeError(wrong, fdLn)).toBeGreaterThan(10 * TOL);

    // Attention: the kernel's causal gradient against the gradient of attention without the mask.
    const qkv = ref.uniform(10, B * T * 3 * C, -2, 2);
    const ro = ref.uniform(11, B * T * C);
    const [out, att, dqkv] = [zeros(B, T, C), zeros(B, NH, T, T), zeros(B, T, 3 * C)];
    const tqkv = up([B, T, 3 * C], qkv);
    cpu.attentionForward(tqkv, out, att, NH);
    cpu.attentionBackward(up([B, T, C], ro), tqkv, att, dqkv, NH);
    const L = (causal: boolean) => (v: Float64Array) =>
      ref.dot(ro, ref.attention(v, B, T, C, NH, causal).out);
    const found = await read(dqkv);
    expect(ref.relativeError(found, ref.finiteDifferences(L(true), f64(qkv)))).toBeLessThan(TOL);
    expect(ref.relativeError(found, ref.finiteDifferences(L(false), f64(qkv)))).toBeGreaterThan(10 * TOL);
  });
});

describe('backward ops accumulate', () => {
  it('calling each backward op twice doubles its gradients, and prefilled values are kept', async () => {
    const x = ref.uniform(30, B * T * C, -2, 2);
    const r = ref.uniform(31, B * T * C);
    const w = ref.uniform(32, C, 0.5, 1.5);
    const qkv = ref.uniform(33, B * T * 3 * C);
    const logits = ref.uniform(34, B * T * V, -3, 3);
    const tokens = cpu.upload('i32', [B, T], Int32Array.of(1, 2, 1, 4, 5, 6));
    const [tx, tr, tw] = [up([B, T, C], x), up([B, T, C], r), up([C], w)];
    const [out, mean, rstd] = [zeros(B, T, C), zeros(B, T), zeros(B, T)];
    cpu.layernormForward(tx, tw, up([C], w), out, mean, rstd);
    const tqkv = up([B, T, 3 * C], qkv);
    const att = zeros(B, NH, T, T);
    cpu.attentionForward(tqkv, zeros(B, T, C), att, NH);
    const tl = up([B, T, V], logits);

    // Each entry: the gradient buffers of one op and a call that accumulates into them.
    const ops: [string, DeviceTensor<'f32'>[], () => void][] = [];
    const grads = (...shapes: number[][]) => shapes.map((s) => zeros(...s));
    const add = (name: string, g: DeviceTensor<'f32'>[], call: (g: DeviceTensor<'f32'>[]) => void) =>
      ops.push([name, g, () => call(g)]);
    add('embedding', grads([V, C], [maxT, C]), ([a, b]) => cpu.embeddingBackward(tr, tokens, a, b));
    add('layernorm', grads([B, T, C], [C], [C]), ([a, b, c]) =>
      cpu.layernormBackward(tr, tx, tw, mean, rstd, a, b, c),
    );
    add('gelu', grads([B, T, C]), ([a]) => cpu.geluBackward(tr, tx, a));
    add('attention', grads([B, T, 3 * C]), ([a]) => cpu.attentionBackward(tr, tqkv, att, a, NH));
    add('crossEntropy', grads([B, T, V]), ([a]) =>
      cpu.crossEntropyBackward(tl, tokens, a, { dlossScale: 0.25 }),
    );
    add('residual', grads([B, T, C], [B, T, C]), ([a, b]) => cpu.residualBackward(tr, a, b));
    add('bias', grads([C]), ([a]) => cpu.biasBackward(tr, a));

    for (const [name, g, call] of ops) {
      call();
      const once = await Promise.all(g.map(read));
      call();
      const twice = await Promise.all(g.map(read));
      for (const [i, t] of twice.entries()) {
        expect(
          once[i].some((v) => v !== 0),
          `${name} grad ${i} is non-zero`,
        ).toBe(true);
        expect(
          ref.relativeError(
            t,
            once[i].map((v) => 2 * v),
          ),
          `${name} grad ${i}`,
        ).toBeLessThan(1e-6);
      }
    }
  });
});
