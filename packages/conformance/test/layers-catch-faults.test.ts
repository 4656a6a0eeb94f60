import { conformanceCases, runConformance } from '@fp8lm/conformance';
import { type CpuBackend, type CpuTensor, createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend, DeviceTensor, LayerOps } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

// The layer cases must pass any correct f32 implementation and fail real bugs. To show both, this
// file implements the layer ops a second time the way a GPU kernel would: every operation rounded to
// f32, sums in reverse order, fast-math expf, llm.c-CUDA's `max + log(sum) - logit` for the loss.
// That implementation must pass every layer case. Each fault below is one switch in it (a missing
// causal mask, the erf GELU, no max subtraction, overwrite instead of accumulate, ...) and must fail.

const fr = Math.fround;
/** expf as CUDA's fast-math `__expf` may give it: up to 2 + 1.173·|x| ulp off (here: always high). */
const expf = (x: number) => fr(Math.exp(x) * (1 + (2 + 1.173 * Math.abs(x)) * 2 ** -23));
/** f32 sum of `n` terms in reverse order. */
function sumf(n: number, term: (i: number) => number): number {
  let s = 0;
  for (let i = n - 1; i >= 0; i--) s = fr(s + fr(term(i)));
  return s;
}
/** erf to ~1e-7 (Abramowitz & Stegun 7.1.26), for the faulty GELU. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x < 0 ? -y : y;
}

interface Faults {
  notCausal?: boolean;
  noMaxSubtraction?: boolean;
  erfGelu?: boolean;
  geluBackwardWithoutCubicTerm?: boolean;
  epsOutsideSqrt?: boolean;
  layernormBackwardOverwrites?: boolean;
  softmaxBackwardWithoutRowSum?: boolean;
  attentionScaleOneOverHs?: boolean;
  embeddingDuplicatesRace?: boolean;
  ceIgnoredRowsGetGradient?: boolean;
  biasBackwardOverwrites?: boolean;
  lossSumIgnoresScale?: boolean;
}

const data = (t: DeviceTensor) => (t as CpuTensor<'f32'>).data as Float32Array;
const ints = (t: DeviceTensor) => (t as CpuTensor<'i32'>).data as Int32Array;
const scalar = (s: number | DeviceTensor<'f32'> | undefined, dflt: number) =>
  s === undefined ? dflt : typeof s === 'number' ? s : data(s)[0];

/** The layer ops in emulated f32, with optional faults. Shapes are trusted (the CPU backend checks them). */
function f32LayerOps(f: Faults, cpu: CpuBackend): Partial<LayerOps> {
  return {
    embeddingBackward(dout, tokens, dwte, dwpe) {
      const [B, T, C] = dout.shape;
      const [g, tok, dE, dP] = [data(dout), ints(tokens), data(dwte), data(dwpe)];
      const before = dE.slice();
      for (let n = B * T - 1; n >= 0; n--) {
        for (let i = 0; i < C; i++) {
          const ix = tok[n] * C + i;
          // The race: every occurrence of a token reads the row as it was and writes its own sum.
          dE[ix] = f.embeddingDuplicatesRace ? fr(before[ix] + g[n * C + i]) : fr(dE[ix] + g[n * C + i]);
          dP[(n % T) * C + i] = fr(dP[(n % T) * C + i] + g[n * C + i]);
        }
      }
    },
    layernormForward(x, weight, bias, out, mean, rstd, options = {}) {
      const C = x.shape[x.shape.length - 1];
      const eps = options.eps ?? 1e-5;
      const [xs, w, b, y, M, R] = [data(x), data(weight), data(bias), data(out), data(mean), data(rstd)];
      for (let r = 0; r < xs.length / C; r++) {
        const o = r * C;
        const m = fr(sumf(C, (i) => xs[o + i]) / C);
        const v = fr(sumf(C, (i) => fr(xs[o + i] - m) * fr(xs[o + i] - m)) / C);
        const s = f.epsOutsideSqrt ? fr(1 / fr(fr(Math.sqrt(v)) + eps)) : fr(1 / fr(Math.sqrt(fr(v + eps))));
        for (let i = 0; i < C; i++) y[o + i] = fr(fr(fr(fr(xs[o + i] - m) * s) * w[i]) + b[i]);
        M[r] = m;
        R[r] = s;
      }
    },
    layernormBackward(dout, x, weight, mean, rstd, dx, dweight, dbias) {
      const C = x.shape[x.shape.length - 1];
      const [g, xs, w, M, R, gx, gw, gb] = [dout, x, weight, mean, rstd, dx, dweight, dbias].map(data);
      for (let r = 0; r < xs.length / C; r++) {
        const o = r * C;
        const norm = (i: number) => fr(fr(xs[o + i] - M[r]) * R[r]);
        const wd = (i: number) => fr(w[i] * g[o + i]);
        const gMean = fr(sumf(C, wd) / C);
        const gNormMean = fr(sumf(C, (i) => fr(wd(i) * norm(i))) / C);
        for (let i = 0; i < C; i++) {
          const d = fr(R[r] * fr(fr(wd(i) - gMean) - fr(norm(i) * gNormMean)));
          gx[o + i] = f.layernormBackwardOverwrites ? d : fr(gx[o + i] + d);
          gw[i] = fr(gw[i] + fr(norm(i) * g[o + i]));
          gb[i] = fr(gb[i] + g[o + i]);
        }
      }
    },
    geluForward(x, out) {
      const k = fr(Math.sqrt(2 / Math.PI));
      const [xs, y] = [data(x), data(out)];
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i];
        const inner = f.erfGelu
          ? fr(erf(fr(v / fr(Math.SQRT2))))
          : fr(Math.tanh(fr(k * fr(v + fr(fr(fr(0.044715 * v) * v) * v)))));
        y[i] = fr(fr(0.5 * v) * fr(1 + inner));
      }
    },
    geluBackward(dout, x, dx) {
      const k = fr(Math.sqrt(2 / Math.PI));
      const [g, xs, gx] = [data(dout), data(x), data(dx)];
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i];
        const th = fr(Math.tanh(fr(k * fr(v + fr(fr(fr(0.044715 * v) * v) * v)))));
        const cubic = f.geluBackwardWithoutCubicTerm ? 1 : fr(1 + fr(fr(3 * 0.044715) * fr(v * v)));
        const local = fr(fr(0.5 * fr(1 + th)) + fr(fr(fr(fr(0.5 * v) * fr(1 - fr(th * th))) * k) * cubic));
        gx[i] = fr(gx[i] + fr(g[i] * local));
      }
    },
    attentionForward(qkv, out, att, NH) {
      const [B, T, C3] = qkv.shape;
      const C = C3 / 3;
      const hs = C / NH;
      const scale = f.attentionScaleOneOverHs ? fr(1 / hs) : fr(1 / Math.sqrt(hs));
      const [inp, y, a] = [data(qkv), data(out), data(att)];
      for (let b = 0; b < B; b++)
        for (let h = 0; h < NH; h++)
          for (let t = 0; t < T; t++) {
            const last = f.notCausal ? T - 1 : t;
            const q = (b * T + t) * C3 + h * hs;
            const s = Array.from({ length: last + 1 }, (_, u) =>
              fr(sumf(hs, (i) => fr(inp[q + i] * inp[(b * T + u) * C3 + C + h * hs + i])) * scale),
            );
            const m = f.noMaxSubtraction ? 0 : Math.max(...s);
            const e = s.map((v) => expf(fr(v - m)));
            const inv = fr(1 / sumf(e.length, (u) => e[u]));
            const row = ((b * NH + h) * T + t) * T;
            for (let u = 0; u < T; u++) a[row + u] = u <= last ? fr(e[u] * inv) : 0;
            for (let i = 0; i < hs; i++) {
              y[(b * T + t) * C + h * hs + i] = sumf(last + 1, (u) =>
                fr(a[row + u] * inp[(b * T + u) * C3 + 2 * C + h * hs + i]),
              );
            }
          }
    },
    attentionBackward(dout, qkv, att, dqkv, NH) {
      const [B, T, C3] = qkv.shape;
      const C = C3 / 3;
      const hs = C / NH;
      const scale = fr(1 / Math.sqrt(hs));
      const [g, inp, a, gi] = [data(dout), data(qkv), data(att), data(dqkv)];
      for (let b = 0; b < B; b++)
        for (let t = T - 1; t >= 0; t--)
          for (let h = 0; h < NH; h++) {
            const row = ((b * NH + h) * T + t) * T;
            const o = (b * T + t) * C + h * hs;
            const q = (b * T + t) * C3 + h * hs;
            const datt = Array.from({ length: t + 1 }, (_, u) =>
              sumf(hs, (i) => fr(inp[(b * T + u) * C3 + 2 * C + h * hs + i] * g[o + i])),
            );
            for (let u = 0; u <= t; u++) {
              const v = (b * T + u) * C3 + 2 * C + h * hs;
              for (let i = 0; i < hs; i++) gi[v + i] = fr(gi[v + i] + fr(a[row + u] * g[o + i]));
            }
            const rowSum = f.softmaxBackwardWithoutRowSum ? 0 : sumf(t + 1, (u) => fr(a[row + u] * datt[u]));
            for (let u = 0; u <= t; u++) {
              const dpre = fr(fr(a[row + u] * fr(datt[u] - rowSum)) * scale);
              const k = (b * T + u) * C3 + C + h * hs;
              for (let i = 0; i < hs; i++) {
                gi[q + i] = fr(gi[q + i] + fr(inp[k + i] * dpre));
                gi[k + i] = fr(gi[k + i] + fr(inp[q + i] * dpre));
              }
            }
          }
    },
    crossEntropyForward(logits, targets, losses, options = {}) {
      const V = logits.shape[2];
      const [l, y, out] = [data(logits), ints(targets), data(losses)];
      for (let r = 0; r < y.length; r++) {
        if (y[r] === options.ignoreIndex) {
          out[r] = 0;
          continue;
        }
        const m = f.noMaxSubtraction ? 0 : Math.max(...l.subarray(r * V, (r + 1) * V));
        const s = sumf(V, (v) => expf(fr(l[r * V + v] - m)));
        out[r] = fr(fr(m + fr(Math.log(s))) - l[r * V + y[r]]); // llm.c CUDA's order
      }
    },
    crossEntropyBackward(logits, targets, dlogits, options = {}) {
      const V = logits.shape[2];
      const scale = scalar(options.dlossScale, 1);
      const [l, y, d] = [data(logits), ints(targets), data(dlogits)];
      for (let r = 0; r < y.length; r++) {
        if (y[r] === options.ignoreIndex && !f.ceIgnoredRowsGetGradient) continue;
        const m = f.noMaxSubtraction ? 0 : Math.max(...l.subarray(r * V, (r + 1) * V));
        const inv = fr(1 / sumf(V, (v) => expf(fr(l[r * V + v] - m))));
        for (let v = 0; v < V; v++) {
          const p = fr(expf(fr(l[r * V + v] - m)) * inv);
          d[r * V + v] = fr(d[r * V + v] + fr(scale * fr(p - (v === y[r] ? 1 : 0))));
        }
      }
    },
    lossSum(losses, out, options = {}) {
      const l = data(losses);
      const s = sumf(l.length, (i) => l[i]);
      data(out)[options.index ?? 0] = f.lossSumIgnoresScale ? s : fr(s * scalar(options.scale, 1));
    },
    biasBackward(dout, dbias) {
      const C = dout.shape[dout.shape.length - 1];
      const [g, gb] = [data(dout), data(dbias)];
      for (let c = 0; c < C; c++) {
        const s = sumf(g.length / C, (n) => g[n * C + c]);
        gb[c] = f.biasBackwardOverwrites ? s : fr(gb[c] + s);
      }
    },
    // One f32 add per element: the CPU backend's results are already exactly what f32 gives.
    embeddingForward: (...args) => cpu.embeddingForward(...args),
  };
}

/** The CPU backend with the layer ops replaced by the emulated f32 ones (with `faults`). */
function f32Backend(faults: Faults = {}): Backend {
  const cpu = createCpuBackend();
  const overrides = f32LayerOps(faults, cpu);
  return new Proxy(cpu, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof LayerOps];
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Backend;
}

const LAYER_OPS = [
  'embeddingForward',
  'embeddingBackward',
  'layernormForward',
  'layernormBackward',
  'geluForward',
  'geluBackward',
  'attentionForward',
  'attentionBackward',
  'crossEntropyForward',
  'crossEntropyBackward',
  'lossSum',
  'residualForward',
  'residualBackward',
  'biasAdd',
  'biasBackward',
];

async function failures(backend: Backend, op: string): Promise<string[]> {
  const results = await runConformance(backend, (c) => c.op === op);
  expect(results.length).toBeGreaterThan(0);
  return results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
}

describe('the layer cases', () => {
  it('cover every layer op, and argument checking', () => {
    const ops = new Set(conformanceCases.map((c) => c.op));
    for (const op of [...LAYER_OPS, 'layerArguments']) expect(ops).toContain(op);
  });

  it('pass an f32 implementation with another summation order (the tolerances are not too tight)', async () => {
    const results = await runConformance(f32Backend(), (c) => LAYER_OPS.includes(c.op));
    expect(results.length).toBeGreaterThan(30);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
});

describe('the layer cases catch faulty kernels', () => {
  it('attention without the causal mask', async () => {
    const failed = await failures(f32Backend({ notCausal: true }), 'attentionForward');
    expect(failed.length).toBe(4);
    expect(failed.join('\n')).toMatch(/att \(0 above the diagonal\): index 0: expected 1, found 0\.0/);
  });

  it('attention scaled by 1/hs instead of 1/sqrt(hs)', async () => {
    expect(await failures(f32Backend({ attentionScaleOneOverHs: true }), 'attentionForward')).toHaveLength(4);
  });

  it('softmax without max subtraction overflows on large scores and logits', async () => {
    const attention = await failures(f32Backend({ noMaxSubtraction: true }), 'attentionForward');
    expect(attention).toHaveLength(1);
    expect(attention[0]).toMatch(/scores near 1000.*found NaN/);
    const loss = await failures(f32Backend({ noMaxSubtraction: true }), 'crossEntropyForward');
    expect(loss).toHaveLength(1);
    expect(loss[0]).toMatch(/logits near 1000.*found (NaN|Infinity)/);
  });

  it('GELU in the erf form instead of the tanh form', async () => {
    const failed = await failures(f32Backend({ erfGelu: true }), 'geluForward');
    expect(failed).toHaveLength(2);
  });

  it('a GELU derivative without the 3·0.044715·x² term', async () => {
    expect(await failures(f32Backend({ geluBackwardWithoutCubicTerm: true }), 'geluBackward')).toHaveLength(
      1,
    );
  });

  it('layernorm with eps outside the square root', async () => {
    const failed = await failures(f32Backend({ epsOutsideSqrt: true }), 'layernormForward');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.join('\n')).toMatch(/constant and near-constant rows.*: rstd: index 0: expected 316\.2/);
  });

  it('a layernorm backward that overwrites dx instead of accumulating', async () => {
    const failed = await failures(f32Backend({ layernormBackwardOverwrites: true }), 'layernormBackward');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/dx: index 0/);
  });

  it('an attention backward without the softmax row sum', async () => {
    expect(
      await failures(f32Backend({ softmaxBackwardWithoutRowSum: true }), 'attentionBackward'),
    ).toHaveLength(3);
  });

  it('an embedding backward that loses repeated tokens (non-atomic adds)', async () => {
    const failed = await failures(f32Backend({ embeddingDuplicatesRace: true }), 'embeddingBackward');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/dwte: index 48/); // row 3 (the repeated token) of dwte [37, 16]
  });

  it('a cross-entropy backward that does not skip ignored targets', async () => {
    expect(
      await failures(f32Backend({ ceIgnoredRowsGetGradient: true }), 'crossEntropyBackward'),
    ).toHaveLength(2);
  });

  it('a bias backward that overwrites, and a loss sum that drops the scale', async () => {
    expect(await failures(f32Backend({ biasBackwardOverwrites: true }), 'biasBackward')).toHaveLength(1);
    expect(await failures(f32Backend({ lossSumIgnoresScale: true }), 'lossSum')).toHaveLength(1);
  });
});
