import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { type ConformanceCase, expectClose, expectThrows } from '../case.js';
import { lcg } from '../inputs.js';

// GPT layer ops (LayerOps), forward and backward. Every case computes its expected values here, in
// float64, independently of any backend, and compares with a tolerance per op and output:
//
//   |found_i - expected_i| ≤ rel · (|expected_i| + max_j |expected_j|)
//
// i.e. a relative error `rel` measured against the size of the output as a whole, so an element
// that is small because of cancellation is not held to a relative precision f32 cannot give it.
// The values of `rel` (TOL below) leave room for f32 arithmetic in any summation order (a GPU's
// tree reductions, a CPU's sequential sums, fast-math expf). conformance/test/layers-catch-faults
// runs an implementation that rounds every step to f32, sums in reverse order and uses expf up to
// 2 + 1.17·|x| ulp off: it passes with every tolerance divided by 30 (most by 100), except the loss
// for logits near 1000 computed llm.c-CUDA's way (`max + log(sum) - logit`, which rounds to the
// logits' ulp, 6e-5), which passes with the tolerance divided by 5. The faults a real kernel has
// (a missing mask, a wrong formula or scale, a dropped term, overwrite instead of accumulate, no
// max subtraction, the erf GELU, TF32/bf16 arithmetic) give errors of 1e-4 to 1 and fail.
//
// Gradient outputs start out holding random values, because backward ops accumulate (`+=`);
// forward outputs start out holding NaN, because forward ops overwrite every element.

/** Tolerances (`rel` above) per op output. */
const TOL = {
  /** One f32 add per element: correctly rounded on every backend. */
  add: 1e-6,
  embeddingBackward: 1e-5,
  layernorm: 1e-5,
  layernormBackward: 2e-5,
  gelu: 1e-5,
  attention: 2e-5,
  attentionBackward: 5e-5,
  crossEntropy: 1e-5,
  crossEntropyBackward: 1e-5,
  /** Sums over rows (bias gradient, loss sum). */
  sum: 1e-5,
} as const;

function expectNear(found: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel: number): void {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]));
  expectClose(found, expected, what, { rtol: rel, atol: rel * max });
}

/** Deterministic f32 values, uniform in [lo, hi). */
function uniform(seed: number, n: number, lo: number, hi: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

function ids(seed: number, n: number, count: number): Int32Array {
  const rand = lcg(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rand() * count));
}

/** Expected value of an accumulating output: what it held before plus the f64 gradient. */
function plus(before: Float32Array, grad: ArrayLike<number>): Float64Array {
  return Float64Array.from(before, (v, i) => v + grad[i]);
}

const nanFilled = (n: number) => new Float32Array(n).fill(Number.NaN);

/** Uploads, runs, and disposes everything it uploaded, also when the check throws. */
async function withTensors(backend: Backend, body: (up: Uploader) => Promise<void>): Promise<void> {
  const made: DeviceTensor[] = [];
  const up: Uploader = {
    f32: (shape, data) => {
      const t = backend.upload('f32', shape, data);
      made.push(t);
      return t;
    },
    i32: (shape, data) => {
      const t = backend.upload('i32', shape, data);
      made.push(t);
      return t;
    },
  };
  try {
    await body(up);
  } finally {
    for (const t of made) backend.dispose(t);
  }
}

interface Uploader {
  f32(shape: readonly number[], data: Float32Array): DeviceTensor<'f32'>;
  i32(shape: readonly number[], data: Int32Array): DeviceTensor<'i32'>;
}

// ---------------------------------------------------------------------------------------------
// float64 references (plain loops, written from the formulas, not from any kernel)

function refEmbedding(
  tokens: Int32Array,
  wte: Float32Array,
  wpe: Float32Array,
  B: number,
  T: number,
  C: number,
) {
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) out[(b * T + t) * C + c] = wte[tokens[b * T + t] * C + c] + wpe[t * C + c];
  return out;
}

function refEmbeddingBackward(
  dout: Float32Array,
  tokens: Int32Array,
  B: number,
  T: number,
  C: number,
  V: number,
  maxT: number,
) {
  const dwte = new Float64Array(V * C);
  const dwpe = new Float64Array(maxT * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) {
        dwte[tokens[b * T + t] * C + c] += dout[(b * T + t) * C + c];
        dwpe[t * C + c] += dout[(b * T + t) * C + c];
      }
  return { dwte, dwpe };
}

function refLayernorm(x: Float32Array, w: Float32Array, bias: Float32Array, C: number, eps: number) {
  const N = x.length / C;
  const out = new Float64Array(x.length);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const row = Array.from(x.subarray(n * C, (n + 1) * C));
    const m = row.reduce((a, v) => a + v, 0) / C;
    const variance = row.reduce((a, v) => a + (v - m) * (v - m), 0) / C;
    const s = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) out[n * C + c] = (row[c] - m) * s * w[c] + bias[c];
    mean[n] = m;
    rstd[n] = s;
  }
  return { out, mean, rstd };
}

/** Layernorm backward from first principles: the Jacobian of norm = (x - mean)·rstd applied row by row. */
function refLayernormBackward(dout: Float32Array, x: Float32Array, w: Float32Array, C: number, eps: number) {
  const N = x.length / C;
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  const { mean, rstd } = refLayernorm(x, w, new Float32Array(C), C, eps);
  for (let n = 0; n < N; n++) {
    const norm = Float64Array.from({ length: C }, (_, c) => (x[n * C + c] - mean[n]) * rstd[n]);
    const g = Float64Array.from({ length: C }, (_, c) => dout[n * C + c] * w[c]); // ∂L/∂norm
    // ∂norm_j/∂x_i = rstd·(δ_ij - 1/C - norm_i·norm_j/C)
    for (let i = 0; i < C; i++) {
      let s = 0;
      for (let j = 0; j < C; j++) s += g[j] * ((i === j ? 1 : 0) - 1 / C - (norm[i] * norm[j]) / C);
      dx[n * C + i] = rstd[n] * s;
      dw[i] += dout[n * C + i] * norm[i];
      db[i] += dout[n * C + i];
    }
  }
  return { dx, dw, db, mean, rstd };
}

const GELU_K = Math.sqrt(2 / Math.PI);
const refGelu = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x ** 3)));
function refGeluGrad(x: number): number {
  const u = GELU_K * (x + 0.044715 * x ** 3);
  const du = GELU_K * (1 + 3 * 0.044715 * x * x);
  const th = Math.tanh(u);
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du;
}

/** Causal attention per (b, h) as matrices: S = QKᵀ/√hs masked, P = softmax(S), O = PV. */
function refAttention(qkv: Float32Array, B: number, T: number, C: number, NH: number) {
  const hs = C / NH;
  const out = new Float64Array(B * T * C);
  const att = new Float64Array(B * NH * T * T);
  const at = (b: number, t: number, part: number, h: number, i: number) =>
    qkv[(b * T + t) * 3 * C + part * C + h * hs + i];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++)
      for (let t = 0; t < T; t++) {
        const s = new Float64Array(T).fill(Number.NEGATIVE_INFINITY);
        for (let u = 0; u <= t; u++) {
          let dot = 0;
          for (let i = 0; i < hs; i++) dot += at(b, t, 0, h, i) * at(b, u, 1, h, i);
          s[u] = dot / Math.sqrt(hs);
        }
        const max = Math.max(...s);
        const e = s.map((v) => Math.exp(v - max)); // exp(-inf) = 0: the mask
        const z = e.reduce((a, v) => a + v, 0);
        for (let u = 0; u < T; u++) att[((b * NH + h) * T + t) * T + u] = e[u] / z;
        for (let i = 0; i < hs; i++) {
          let o = 0;
          for (let u = 0; u <= t; u++) o += (e[u] / z) * at(b, u, 2, h, i);
          out[(b * T + t) * C + h * hs + i] = o;
        }
      }
  return { out, att };
}

/** dP = dO·Vᵀ, dV = Pᵀ·dO, dS = P ⊙ (dP - rowsum(P ⊙ dP)), dQ = dS·K/√hs, dK = dSᵀ·Q/√hs. */
function refAttentionBackward(
  dout: Float32Array,
  qkv: Float32Array,
  B: number,
  T: number,
  C: number,
  NH: number,
) {
  const hs = C / NH;
  const { att } = refAttention(qkv, B, T, C, NH);
  const dqkv = new Float64Array(qkv.length);
  const ix = (b: number, t: number, part: number, h: number, i: number) =>
    (b * T + t) * 3 * C + part * C + h * hs + i;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++) {
      const P = (t: number, u: number) => att[((b * NH + h) * T + t) * T + u];
      const dO = (t: number, i: number) => dout[(b * T + t) * C + h * hs + i];
      const dS = new Float64Array(T * T);
      for (let t = 0; t < T; t++) {
        const dP = new Float64Array(T);
        for (let u = 0; u < T; u++) for (let i = 0; i < hs; i++) dP[u] += dO(t, i) * qkv[ix(b, u, 2, h, i)];
        let rowsum = 0;
        for (let u = 0; u < T; u++) rowsum += P(t, u) * dP[u];
        for (let u = 0; u < T; u++) dS[t * T + u] = (P(t, u) * (dP[u] - rowsum)) / Math.sqrt(hs);
      }
      for (let t = 0; t < T; t++)
        for (let i = 0; i < hs; i++) {
          let dq = 0;
          let dk = 0;
          let dv = 0;
          for (let u = 0; u < T; u++) {
            dq += dS[t * T + u] * qkv[ix(b, u, 1, h, i)];
            dk += dS[u * T + t] * qkv[ix(b, u, 0, h, i)];
            dv += P(u, t) * dO(u, i);
          }
          dqkv[ix(b, t, 0, h, i)] = dq;
          dqkv[ix(b, t, 1, h, i)] = dk;
          dqkv[ix(b, t, 2, h, i)] = dv;
        }
    }
  return dqkv;
}

function refSoftmaxRow(logits: Float32Array, off: number, V: number): Float64Array {
  const row = Float64Array.from(logits.subarray(off, off + V));
  const max = row.reduce((a, v) => Math.max(a, v), Number.NEGATIVE_INFINITY);
  const e = row.map((v) => Math.exp(v - max));
  const z = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / z);
}

function refCrossEntropy(logits: Float32Array, targets: Int32Array, V: number, ignore?: number) {
  return Float64Array.from(targets, (y, r) =>
    y === ignore ? 0 : -Math.log(refSoftmaxRow(logits, r * V, V)[y]),
  );
}

function refCrossEntropyBackward(
  logits: Float32Array,
  targets: Int32Array,
  V: number,
  scale: number,
  ignore?: number,
) {
  const d = new Float64Array(logits.length);
  targets.forEach((y, r) => {
    if (y === ignore) return;
    const p = refSoftmaxRow(logits, r * V, V);
    for (let v = 0; v < V; v++) d[r * V + v] = scale * (p[v] - (v === y ? 1 : 0));
  });
  return d;
}

// ---------------------------------------------------------------------------------------------
// Shapes: a small one, and one with extents that are not multiples of a GPU tile (T = 67) and a
// head size of 64, as GPT-2's.

interface Dims {
  label: string;
  B: number;
  T: number;
  C: number;
  NH: number;
  V: number;
  maxT: number;
}

const DIMS: Dims[] = [
  { label: 'B=2 T=5 C=16 NH=4 V=37', B: 2, T: 5, C: 16, NH: 4, V: 37, maxT: 8 },
  { label: 'B=2 T=67 C=128 NH=2 V=1031', B: 2, T: 67, C: 128, NH: 2, V: 1031, maxT: 80 },
];

function embeddingCases(d: Dims, seed: number): ConformanceCase[] {
  const { B, T, C, V, maxT } = d;
  // Tokens with repeats (the first four positions of each sequence share one id), so the
  // backward pass must add up several rows into one dwte row.
  const tokens = ids(seed, B * T, V);
  for (let b = 0; b < B; b++) for (let t = 0; t < Math.min(4, T); t++) tokens[b * T + t] = 3;
  const wte = uniform(seed + 1, V * C, -1, 1);
  const wpe = uniform(seed + 2, maxT * C, -0.5, 0.5);
  return [
    {
      op: 'embeddingForward',
      name: `embeddingForward ${d.label}`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const out = up.f32([B, T, C], nanFilled(B * T * C));
          backend.embeddingForward(up.i32([B, T], tokens), up.f32([V, C], wte), up.f32([maxT, C], wpe), out);
          expectNear(await backend.read(out), refEmbedding(tokens, wte, wpe, B, T, C), 'out', TOL.add);
        }),
    },
    {
      op: 'embeddingBackward',
      name: `embeddingBackward ${d.label} (repeated tokens, accumulates)`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const dout = uniform(seed + 3, B * T * C, -1, 1);
          const dwte0 = uniform(seed + 4, V * C, -1, 1);
          const dwpe0 = uniform(seed + 5, maxT * C, -1, 1);
          const dwte = up.f32([V, C], dwte0);
          const dwpe = up.f32([maxT, C], dwpe0);
          backend.embeddingBackward(up.f32([B, T, C], dout), up.i32([B, T], tokens), dwte, dwpe);
          const ref = refEmbeddingBackward(dout, tokens, B, T, C, V, maxT);
          expectNear(await backend.read(dwte), plus(dwte0, ref.dwte), 'dwte', TOL.embeddingBackward);
          expectNear(
            await backend.read(dwpe),
            plus(dwpe0, ref.dwpe),
            'dwpe (rows ≥ T unchanged)',
            TOL.embeddingBackward,
          );
        }),
    },
  ];
}

function layernormCases(d: Dims, seed: number): ConformanceCase[] {
  const { B, T, C } = d;
  const N = B * T;
  const x = uniform(seed, N * C, -2, 2);
  for (let i = 0; i < C; i++) x[C + i] += 3; // a row whose mean is far from 0
  const w = uniform(seed + 1, C, 0.5, 1.5);
  const bias = uniform(seed + 2, C, -0.5, 0.5);
  const forward = (label: string, xs: Float32Array, eps: number | undefined): ConformanceCase => ({
    op: 'layernormForward',
    name: `layernormForward ${d.label}${label}`,
    run: (backend) =>
      withTensors(backend, async (up) => {
        const out = up.f32([B, T, C], nanFilled(N * C));
        const mean = up.f32([B, T], nanFilled(N));
        const rstd = up.f32([B, T], nanFilled(N));
        const args = [up.f32([B, T, C], xs), up.f32([C], w), up.f32([C], bias), out, mean, rstd] as const;
        if (eps === undefined) backend.layernormForward(...args);
        else backend.layernormForward(...args, { eps });
        const ref = refLayernorm(xs, w, bias, C, eps ?? 1e-5);
        expectNear(await backend.read(mean), ref.mean, 'mean', TOL.layernorm);
        expectNear(await backend.read(rstd), ref.rstd, 'rstd', TOL.layernorm);
        expectNear(await backend.read(out), ref.out, 'out', TOL.layernorm);
      }),
  });
  // Rows where eps decides the result: constant rows (variance 0; dyadic values, so every
  // summation order gives the mean exactly) and a row with variance 1e-6 < eps around 0.
  const degenerate = x.slice();
  degenerate.fill(0.75, 0, C);
  degenerate.fill(-3.5, C, 2 * C);
  for (let i = 0; i < C; i++) degenerate[2 * C + i] = (i % 2 === 0 ? 1e-3 : -1e-3) * (1 + (i % 3) / 8);
  return [
    forward('', x, undefined),
    forward(' eps=0.01', x, 0.01),
    forward(' with constant and near-constant rows (default eps 1e-5)', degenerate, undefined),
    {
      op: 'layernormBackward',
      name: `layernormBackward ${d.label} (accumulates into dx, dweight, dbias)`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const dout = uniform(seed + 3, N * C, -1, 1);
          const ref = refLayernormBackward(dout, x, w, C, 1e-5);
          const [dx0, dw0, db0] = [
            uniform(seed + 4, N * C, -1, 1),
            uniform(seed + 5, C, -1, 1),
            uniform(seed + 6, C, -1, 1),
          ];
          const [dx, dw, db] = [up.f32([B, T, C], dx0), up.f32([C], dw0), up.f32([C], db0)];
          backend.layernormBackward(
            up.f32([B, T, C], dout),
            up.f32([B, T, C], x),
            up.f32([C], w),
            up.f32([B, T], Float32Array.from(ref.mean)),
            up.f32([B, T], Float32Array.from(ref.rstd)),
            dx,
            dw,
            db,
          );
          expectNear(await backend.read(dx), plus(dx0, ref.dx), 'dx', TOL.layernormBackward);
          expectNear(await backend.read(dw), plus(dw0, ref.dw), 'dweight', TOL.layernormBackward);
          expectNear(await backend.read(db), plus(db0, ref.db), 'dbias', TOL.layernormBackward);
        }),
    },
  ];
}

function geluCases(): ConformanceCase[] {
  // A grid over [-6, 6] (where tanh and erf forms differ by up to 5e-4), extremes, and zero.
  const grid = Float32Array.from({ length: 481 }, (_, i) => -6 + i / 40);
  const x = Float32Array.of(...grid, -30, -12, 12, 30, 0, -0, 1e-20, -1e-20);
  const n = x.length;
  return [
    {
      op: 'geluForward',
      name: 'geluForward tanh form on [-6, 6] and extremes',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const out = up.f32([n], nanFilled(n));
          backend.geluForward(up.f32([n], x), out);
          expectNear(await backend.read(out), Float64Array.from(x, refGelu), 'out', TOL.gelu);
        }),
    },
    {
      op: 'geluForward',
      name: 'geluForward in place (out is x), shape [3, 163]',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const xs = x.slice(0, 489);
          const t = up.f32([3, 163], xs);
          backend.geluForward(t, t);
          expectNear(
            await backend.read(t),
            Float64Array.from(xs, refGelu),
            'x after in-place gelu',
            TOL.gelu,
          );
        }),
    },
    {
      op: 'geluBackward',
      name: 'geluBackward tanh form (accumulates into dx)',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const dout = uniform(41, n, -1, 1);
          const dx0 = uniform(42, n, -1, 1);
          const dx = up.f32([n], dx0);
          backend.geluBackward(up.f32([n], dout), up.f32([n], x), dx);
          const grad = Float64Array.from(x, (v, i) => dout[i] * refGeluGrad(v));
          expectNear(await backend.read(dx), plus(dx0, grad), 'dx', TOL.gelu);
        }),
    },
  ];
}

function attentionCases(d: Dims, seed: number): ConformanceCase[] {
  const { B, T, C, NH } = d;
  const qkv = uniform(seed, B * T * 3 * C, -2, 2);
  return [
    {
      op: 'attentionForward',
      name: `attentionForward causal ${d.label}`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const out = up.f32([B, T, C], nanFilled(B * T * C));
          const att = up.f32([B, NH, T, T], nanFilled(B * NH * T * T));
          backend.attentionForward(up.f32([B, T, 3 * C], qkv), out, att, NH);
          const ref = refAttention(qkv, B, T, C, NH);
          expectNear(await backend.read(att), ref.att, 'att (0 above the diagonal)', TOL.attention);
          expectNear(await backend.read(out), ref.out, 'out', TOL.attention);
        }),
    },
    {
      op: 'attentionBackward',
      name: `attentionBackward ${d.label} (accumulates into dqkv)`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const dout = uniform(seed + 1, B * T * C, -1, 1);
          const dqkv0 = uniform(seed + 2, qkv.length, -1, 1);
          const dqkv = up.f32([B, T, 3 * C], dqkv0);
          const { att } = refAttention(qkv, B, T, C, NH);
          backend.attentionBackward(
            up.f32([B, T, C], dout),
            up.f32([B, T, 3 * C], qkv),
            up.f32([B, NH, T, T], Float32Array.from(att)),
            dqkv,
            NH,
          );
          const ref = refAttentionBackward(dout, qkv, B, T, C, NH);
          expectNear(await backend.read(dqkv), plus(dqkv0, ref), 'dqkv', TOL.attentionBackward);
        }),
    },
  ];
}

/**
 * Scores near 1000 (exp overflows f32 above 88.7 and f64 above 709): only a softmax that subtracts the
 * row max stays finite. q and k are multiples of 1/16 so every q·k is exact in f32 in any order,
 * and the tolerance stays the usual one.
 */
const largeScoreAttention: ConformanceCase = {
  op: 'attentionForward',
  name: 'attentionForward with scores near 1000 (softmax subtracts the row max)',
  run: (backend) =>
    withTensors(backend, async (up) => {
      const [B, T, C, NH] = [1, 9, 128, 2];
      const rand = lcg(77);
      const sixteenth = () => Math.round((rand() - 0.5) * 16) / 16; // in [-0.5, 0.5]
      const qkv = new Float32Array(B * T * 3 * C);
      for (let t = 0; t < T; t++)
        for (let c = 0; c < C; c++) {
          const sign = c % 3 === 0 ? -1 : 1;
          qkv[t * 3 * C + c] = sign * 12 + sixteenth(); // q
          qkv[t * 3 * C + C + c] = sign * 10 + sixteenth(); // k: q·k/8 ≈ 960 ± a few
          qkv[t * 3 * C + 2 * C + c] = rand() * 2 - 1; // v
        }
      const out = up.f32([B, T, C], nanFilled(B * T * C));
      const att = up.f32([B, NH, T, T], nanFilled(B * NH * T * T));
      backend.attentionForward(up.f32([B, T, 3 * C], qkv), out, att, NH);
      const ref = refAttention(qkv, B, T, C, NH);
      expectNear(await backend.read(att), ref.att, 'att', TOL.attention);
      expectNear(await backend.read(out), ref.out, 'out', TOL.attention);
    }),
};

function crossEntropyCases(d: Dims, seed: number): ConformanceCase[] {
  const { B, T, V } = d;
  const logits = uniform(seed, B * T * V, -4, 4);
  const targets = ids(seed + 1, B * T, V);
  targets[1] = -1; // ignored
  targets[B * T - 1] = -1;
  targets[2] = V - 1;
  targets[3] = 0;
  const scale = 1 / (B * T - 2);
  return [
    {
      op: 'crossEntropyForward',
      name: `crossEntropyForward ${d.label} ignoreIndex=-1`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const losses = up.f32([B, T], nanFilled(B * T));
          backend.crossEntropyForward(up.f32([B, T, V], logits), up.i32([B, T], targets), losses, {
            ignoreIndex: -1,
          });
          expectNear(
            await backend.read(losses),
            refCrossEntropy(logits, targets, V, -1),
            'losses',
            TOL.crossEntropy,
          );
        }),
    },
    {
      op: 'crossEntropyBackward',
      name: `crossEntropyBackward ${d.label} ignoreIndex=-1 dlossScale=1/count (accumulates)`,
      run: (backend) =>
        withTensors(backend, async (up) => {
          const d0 = uniform(seed + 2, logits.length, -0.01, 0.01);
          const dlogits = up.f32([B, T, V], d0);
          backend.crossEntropyBackward(up.f32([B, T, V], logits), up.i32([B, T], targets), dlogits, {
            ignoreIndex: -1,
            dlossScale: scale,
          });
          const ref = refCrossEntropyBackward(logits, targets, V, scale, -1);
          expectNear(await backend.read(dlogits), plus(d0, ref), 'dlogits', TOL.crossEntropyBackward);
        }),
    },
  ];
}

const crossEntropyExtraCases: ConformanceCase[] = [
  {
    op: 'crossEntropyForward',
    name: 'crossEntropyForward with logits near 1000 (logsumexp subtracts the row max)',
    run: (backend) =>
      withTensors(backend, async (up) => {
        const [B, T, V] = [2, 3, 50];
        // 1000 + multiples of 1/64 in [-8, 8]: exact in f32, finite only with the max subtracted.
        const rand = lcg(5);
        const logits = Float32Array.from(
          { length: B * T * V },
          () => 1000 + Math.round((rand() - 0.5) * 1024) / 64,
        );
        const targets = Int32Array.of(0, 7, 49, 12, 3, 30);
        const losses = up.f32([B, T], nanFilled(B * T));
        backend.crossEntropyForward(up.f32([B, T, V], logits), up.i32([B, T], targets), losses);
        expectNear(
          await backend.read(losses),
          refCrossEntropy(logits, targets, V),
          'losses',
          TOL.crossEntropy,
        );
        const dlogits = up.f32([B, T, V], new Float32Array(B * T * V));
        backend.crossEntropyBackward(up.f32([B, T, V], logits), up.i32([B, T], targets), dlogits, {
          dlossScale: 0.5,
        });
        const ref = refCrossEntropyBackward(logits, targets, V, 0.5);
        expectNear(await backend.read(dlogits), ref, 'dlogits', TOL.crossEntropyBackward);
      }),
  },
  {
    op: 'crossEntropyBackward',
    name: 'crossEntropyBackward with dlossScale on the device',
    run: (backend) =>
      withTensors(backend, async (up) => {
        const [B, T, V] = [1, 4, 9];
        const logits = uniform(8, B * T * V, -3, 3);
        const targets = Int32Array.of(8, 0, 4, 4);
        const dlogits = up.f32([B, T, V], new Float32Array(B * T * V));
        const dlossScale = up.f32([1], Float32Array.of(0.125));
        backend.crossEntropyBackward(up.f32([B, T, V], logits), up.i32([B, T], targets), dlogits, {
          dlossScale,
        });
        const ref = refCrossEntropyBackward(logits, targets, V, 0.125);
        expectNear(await backend.read(dlogits), ref, 'dlogits', TOL.crossEntropyBackward);
      }),
  },
  {
    op: 'lossSum',
    name: 'lossSum writes scale · Σ losses into one slot (number and device scale)',
    run: (backend) =>
      withTensors(backend, async (up) => {
        const losses = uniform(9, 2 * 67, 0, 8);
        const sum = losses.reduce((a, v) => a + v, 0);
        const out = up.f32([4], Float32Array.of(-1, -2, -3, -4));
        const l = up.f32([2, 67], losses);
        backend.lossSum(l, out, { scale: 1 / 134, index: 2 });
        backend.lossSum(l, out, { scale: up.f32([1], Float32Array.of(0.5)) });
        backend.lossSum(l, out, { index: 3 });
        expectNear(await backend.read(out), [sum * 0.5, -2, sum / 134, sum], 'out', TOL.sum);
      }),
  },
];

function elementwiseCases(): ConformanceCase[] {
  const [N, C] = [37, 24];
  const a = uniform(11, N * C, -3, 3);
  const b = uniform(12, N * C, -3, 3);
  const bias = uniform(13, C, -1, 1);
  const addRef = Float64Array.from(a, (v, i) => v + b[i]);
  const biasRef = Float64Array.from(a, (v, i) => v + bias[i % C]);
  return [
    {
      op: 'residualForward',
      name: 'residualForward, and in place into a',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const [ta, tb, out] = [up.f32([N, C], a), up.f32([N, C], b), up.f32([N, C], nanFilled(N * C))];
          backend.residualForward(ta, tb, out);
          expectNear(await backend.read(out), addRef, 'out', TOL.add);
          backend.residualForward(ta, tb, ta);
          expectNear(await backend.read(ta), addRef, 'a after in-place add', TOL.add);
        }),
    },
    {
      op: 'residualBackward',
      name: 'residualBackward accumulates into da and db',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const dout = uniform(14, N * C, -1, 1);
          const [da, db] = [up.f32([N, C], a), up.f32([N, C], b)];
          backend.residualBackward(up.f32([N, C], dout), da, db);
          expectNear(await backend.read(da), plus(a, dout), 'da', TOL.add);
          expectNear(await backend.read(db), plus(b, dout), 'db', TOL.add);
        }),
    },
    {
      op: 'biasAdd',
      name: 'biasAdd into out, and in place',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const [x, tb, out] = [up.f32([N, C], a), up.f32([C], bias), up.f32([N, C], nanFilled(N * C))];
          backend.biasAdd(x, tb, out);
          expectNear(await backend.read(out), biasRef, 'out', TOL.add);
          expectNear(await backend.read(x), a, 'x unchanged when out is given', 0);
          const x3 = up.f32([1, N, C], a);
          backend.biasAdd(x3, tb);
          expectNear(await backend.read(x3), biasRef, 'x after in-place biasAdd', TOL.add);
        }),
    },
    {
      op: 'biasBackward',
      name: 'biasBackward sums dout over rows (accumulates)',
      run: (backend) =>
        withTensors(backend, async (up) => {
          const db0 = uniform(15, C, -1, 1);
          const dbias = up.f32([C], db0);
          backend.biasBackward(up.f32([1, N, C], a), dbias);
          const sums = new Float64Array(C);
          a.forEach((v, i) => {
            sums[i % C] += v;
          });
          expectNear(await backend.read(dbias), plus(db0, sums), 'dbias', TOL.sum);
        }),
    },
  ];
}

const errorCases: ConformanceCase[] = [
  {
    op: 'layerArguments',
    name: 'layer ops reject bad dtypes and shapes with the argument named',
    run: (backend) =>
      withTensors(backend, async (up) => {
        const f = (...shape: number[]) => up.f32(shape, new Float32Array(shape.reduce((a, v) => a * v, 1)));
        const tok = up.i32([2, 3], new Int32Array(6));
        const [wte, wpe, out] = [f(11, 8), f(4, 8), f(2, 3, 8)];
        const check = (
          fn: () => unknown,
          kind: typeof TypeError | typeof RangeError,
          arg: string,
          what: string,
        ) => expectThrows(fn, kind, arg, what);
        check(
          () => backend.embeddingForward(f(2, 3) as never, wte, wpe, out),
          TypeError,
          'tokens',
          'f32 tokens',
        );
        check(() => backend.embeddingForward(tok, wte, wpe, f(2, 3, 7)), RangeError, 'out', 'out [2,3,7]');
        check(
          () => backend.embeddingForward(tok, wte, f(2, 8), out),
          RangeError,
          'wpe',
          'wpe shorter than T',
        );
        check(() => backend.embeddingBackward(out, tok, f(11, 7), wpe), RangeError, 'dwte', 'dwte [11,7]');
        const [x, w, m] = [f(2, 3, 8), f(8), f(2, 3)];
        check(
          () => backend.layernormForward(x, f(7), w, f(2, 3, 8), m, f(2, 3)),
          RangeError,
          'weight',
          'weight [7]',
        );
        check(
          () => backend.layernormForward(x, w, w, f(2, 3, 8), f(6), f(2, 3)),
          RangeError,
          'mean',
          'mean [6]',
        );
        check(
          () => backend.layernormBackward(x, x, w, m, m, f(2, 3, 8), w, f(9)),
          RangeError,
          'dbias',
          'dbias [9]',
        );
        check(() => backend.geluForward(x, f(2, 4, 8)), RangeError, 'out', 'gelu out shape');
        check(() => backend.geluBackward(x, x, tok as never), TypeError, 'dx', 'i32 dx');
        const qkv = f(2, 3, 24);
        check(
          () => backend.attentionForward(qkv, out, f(2, 2, 3, 3), 3),
          RangeError,
          'numHeads',
          'NH=3, C=8',
        );
        check(() => backend.attentionForward(qkv, out, f(2, 2, 3, 4), 2), RangeError, 'att', 'att [2,2,3,4]');
        check(
          () => backend.attentionBackward(out, qkv, f(2, 2, 3, 3), f(2, 3, 8), 2),
          RangeError,
          'dqkv',
          'dqkv',
        );
        const logits = f(2, 3, 11);
        check(
          () => backend.crossEntropyForward(logits, up.i32([6], new Int32Array(6)), m),
          RangeError,
          'targets',
          '[6]',
        );
        check(() => backend.crossEntropyForward(logits, tok, f(3, 2)), RangeError, 'losses', 'losses [3,2]');
        check(() => backend.crossEntropyBackward(logits, tok, f(2, 3, 10)), RangeError, 'dlogits', 'dlogits');
        check(() => backend.lossSum(m, f(2), { index: 2 }), RangeError, 'index', 'index outside out');
        check(() => backend.residualForward(x, f(2, 3, 7), x), RangeError, 'b', 'b shape');
        check(() => backend.residualBackward(x, x, f(8)), RangeError, 'db', 'db shape');
        check(() => backend.biasAdd(x, f(7)), RangeError, 'bias', 'bias [7]');
        check(() => backend.biasBackward(x, f(3)), RangeError, 'dbias', 'dbias [3]');
      }),
  },
];

/**
 * GPT layer ops: embedding, layernorm, GELU, causal attention, cross-entropy (+ loss sum), residual
 * and bias ops, forward and backward, against float64 references with per-op tolerances.
 */
export const layerCases: ConformanceCase[] = [
  ...DIMS.flatMap((d, i) => [
    ...embeddingCases(d, 100 + i * 10),
    ...layernormCases(d, 200 + i * 10),
    ...attentionCases(d, 300 + i * 10),
    ...crossEntropyCases(d, 400 + i * 10),
  ]),
  // Heads of 32 over 70 positions: GPU kernels that size their workgroups by the head (32 threads)
  // then walk the positions in more than two chunks.
  ...attentionCases(
    { label: 'B=2 T=70 C=64 NH=2 (head 32)', B: 2, T: 70, C: 64, NH: 2, V: 0, maxT: 70 },
    330,
  ),
  largeScoreAttention,
  ...crossEntropyExtraCases,
  ...geluCases(),
  ...elementwiseCases(),
  ...errorCases,
];
