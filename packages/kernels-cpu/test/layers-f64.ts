// Float64 forward references for the layer-op tests, written from the formulas (GPT-2 / llm.c) and
// independent of src/ops. Inputs and outputs are flat row-major arrays of numbers.

type Arr = ArrayLike<number>;

/** `out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]`. */
export function embedding(tokens: Arr, wte: Arr, wpe: Arr, B: number, T: number, C: number): Float64Array {
  const out = new Float64Array(B * T * C);
  for (let n = 0; n < B * T; n++) {
    const t = n % T;
    for (let c = 0; c < C; c++) out[n * C + c] = wte[tokens[n] * C + c] + wpe[t * C + c];
  }
  return out;
}

/** LayerNorm over rows of C (biased variance). */
export function layernorm(x: Arr, w: Arr, b: Arr, C: number, eps = 1e-5) {
  const N = x.length / C;
  const out = new Float64Array(x.length);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[n * C + c] / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[n * C + c] - m) ** 2 / C;
    mean[n] = m;
    rstd[n] = (v + eps) ** -0.5;
    for (let c = 0; c < C; c++) out[n * C + c] = w[c] * ((x[n * C + c] - m) * rstd[n]) + b[c];
  }
  return { out, mean, rstd };
}

/** GELU, tanh form. */
export function gelu(x: Arr): Float64Array {
  const k = Math.sqrt(2 / Math.PI);
  return Float64Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v))));
}

/** GELU, exact erf form (for the tests that show the tanh form is what is checked). */
export function geluErf(x: Arr): Float64Array {
  return Float64Array.from(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
}

/** erf to ~1e-15 by its Taylor series (|x| < 3) or the continued fraction of erfc (|x| ≥ 3). */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

/**
 * Causal self-attention, qkv [B, T, 3C] → out [B, T, C] and att [B, NH, T, T] (0 above the diagonal).
 * `causal: false` attends to every position (only to show that the tests tell the two apart).
 */
export function attention(qkv: Arr, B: number, T: number, C: number, NH: number, causal = true) {
  const hs = C / NH;
  const q = (b: number, t: number, h: number, i: number) => qkv[(b * T + t) * 3 * C + h * hs + i];
  const k = (b: number, t: number, h: number, i: number) => qkv[(b * T + t) * 3 * C + C + h * hs + i];
  const v = (b: number, t: number, h: number, i: number) => qkv[(b * T + t) * 3 * C + 2 * C + h * hs + i];
  const out = new Float64Array(B * T * C);
  const att = new Float64Array(B * NH * T * T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++)
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        const last = causal ? t : T - 1;
        for (let u = 0; u <= last; u++) {
          let s = 0;
          for (let i = 0; i < hs; i++) s += q(b, t, h, i) * k(b, u, h, i);
          scores.push(s / Math.sqrt(hs));
        }
        const m = Math.max(...scores);
        const z = scores.reduce((acc, s) => acc + Math.exp(s - m), 0);
        scores.forEach((s, u) => {
          att[((b * NH + h) * T + t) * T + u] = Math.exp(s - m) / z;
        });
        for (let i = 0; i < hs; i++) {
          let o = 0;
          for (let u = 0; u <= last; u++) o += att[((b * NH + h) * T + t) * T + u] * v(b, u, h, i);
          out[(b * T + t) * C + h * hs + i] = o;
        }
      }
  return { out, att };
}

/** Per-position softmax cross-entropy; positions whose target is `ignore` give 0. */
export function crossEntropy(logits: Arr, targets: Arr, V: number, ignore?: number): Float64Array {
  const N = targets.length;
  const losses = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    if (targets[n] === ignore) continue;
    let m = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[n * V + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[n * V + v] - m);
    losses[n] = m + Math.log(z) - logits[n * V + targets[n]];
  }
  return losses;
}

/** Σ r_i · y_i: the scalar objective whose gradient the backward ops compute for dout = r. */
export function dot(r: Arr, y: Arr): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += r[i] * y[i];
  return s;
}

/** Central differences of `f` at `x` (restored afterwards), one coordinate at a time. */
export function finiteDifferences(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const up = f(x);
    x[i] = x0 - h;
    const down = f(x);
    x[i] = x0;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** max |found - expected| / max |expected|: the gradient error relative to the gradient's size. */
export function relativeError(found: Arr, expected: Arr): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(found[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? err : err / scale;
}

/** Deterministic uniform values in [lo, hi) (a 32-bit LCG), rounded to f32. */
export function uniform(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}
