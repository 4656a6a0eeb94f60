import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { AdamW, type AdamWOptions } from '@fp8lm/optimizer';

/** A small training problem: initial parameters and a loss with its gradient, in f64 on the host. */
export interface Problem {
  init: Record<string, Float32Array>;
  lossAndGrads(params: Record<string, Float32Array>): { loss: number; grads: Record<string, Float32Array> };
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Least squares: minimize mean((A w - b)²)/2 for a 128×32 A with a known noise floor.
 * `featureRange` > 1 scales column j of A by featureRange^(-j/(cols-1)): rare, tiny features whose
 * gradients (and second moments) span a range wider than E4M3's, like rarely seen tokens.
 */
export function leastSquares(seed = 1, featureRange = 1): Problem {
  const g = gaussian(lcg(seed));
  const rows = 128;
  const cols = 32;
  const A = Float64Array.from(
    { length: rows * cols },
    (_, i) => g() * featureRange ** (-(i % cols) / (cols - 1)),
  );
  const wTrue = Float64Array.from({ length: cols }, () => g() * 0.5);
  const b = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += A[r * cols + c] * wTrue[c];
    b[r] = s + 0.05 * g();
  }
  return {
    init: { w: new Float32Array(cols).map(() => g() * 0.1) },
    lossAndGrads(params) {
      const w = params.w;
      const grad = new Float64Array(cols);
      let loss = 0;
      for (let r = 0; r < rows; r++) {
        let s = -b[r];
        for (let c = 0; c < cols; c++) s += A[r * cols + c] * w[c];
        loss += (s * s) / 2;
        for (let c = 0; c < cols; c++) grad[c] += s * A[r * cols + c];
      }
      return { loss: loss / rows, grads: { w: Float32Array.from(grad, (x) => x / rows) } };
    },
  };
}

/** A two-layer tanh MLP (16 → 16 → 1) regressing a fixed teacher network's output plus label noise (a loss floor, as real data has). */
export function twoLayerMlp(seed = 2, shape = { n: 1024, d: 16, h: 16 }): Problem {
  const g = gaussian(lcg(seed));
  // More samples than parameters, so the noise cannot be memorized.
  const { n, d, h } = shape;
  const X = Float64Array.from({ length: n * d }, () => g());
  const teacher = {
    W1: Float64Array.from({ length: d * h }, () => g() * 0.4),
    W2: Float64Array.from({ length: h }, () => g() * 0.4),
  };
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let y = 0;
    for (let j = 0; j < h; j++) {
      let a = 0;
      for (let k = 0; k < d; k++) a += X[i * d + k] * teacher.W1[k * h + j];
      y += Math.tanh(a) * teacher.W2[j];
    }
    Y[i] = y + 0.1 * g();
  }
  return {
    init: {
      W1: new Float32Array(d * h).map(() => g() * 0.25),
      b1: new Float32Array(h),
      W2: new Float32Array(h).map(() => g() * 0.25),
      b2: new Float32Array(1),
    },
    lossAndGrads({ W1, b1, W2, b2 }) {
      const gW1 = new Float64Array(d * h);
      const gb1 = new Float64Array(h);
      const gW2 = new Float64Array(h);
      let gb2 = 0;
      let loss = 0;
      const act = new Float64Array(h);
      for (let i = 0; i < n; i++) {
        let y = b2[0];
        for (let j = 0; j < h; j++) {
          let a = b1[j];
          for (let k = 0; k < d; k++) a += X[i * d + k] * W1[k * h + j];
          act[j] = Math.tanh(a);
          y += act[j] * W2[j];
        }
        const e = y - Y[i];
        loss += (e * e) / 2;
        gb2 += e;
        for (let j = 0; j < h; j++) {
          gW2[j] += e * act[j];
          const da = e * W2[j] * (1 - act[j] * act[j]);
          gb1[j] += da;
          for (let k = 0; k < d; k++) gW1[k * h + j] += da * X[i * d + k];
        }
      }
      const f = (x: Float64Array) => Float32Array.from(x, (v) => v / n);
      return {
        loss: loss / n,
        grads: { W1: f(gW1), b1: f(gb1), W2: f(gW2), b2: new Float32Array([gb2 / n]) },
      };
    },
  };
}

/** Trains a problem with an optimizer configuration; returns the loss before each step and at the end. */
export async function train(problem: Problem, options: AdamWOptions, steps: number): Promise<number[]> {
  const opt = new AdamW(createCpuBackend(), options);
  for (const [name, values] of Object.entries(problem.init)) opt.addParam(name, values);
  const losses: number[] = [];
  const params: Record<string, Float32Array> = {};
  for (let s = 0; s <= steps; s++) {
    for (const name of opt.paramNames) params[name] = await opt.readParam(name);
    const { loss, grads } = problem.lossAndGrads(params);
    losses.push(loss);
    if (s === steps) break;
    for (const name of opt.paramNames) await opt.writeGrad(name, grads[name]);
    await opt.step();
  }
  opt.dispose();
  return losses;
}
