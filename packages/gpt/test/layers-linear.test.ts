import { E4M3, E5M2 } from '@fp8lm/fp8-format';
import { Linear, type LinearRecipe } from '@fp8lm/gpt';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { computeScale } from '@fp8lm/scaling';
import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
function gaussian(seed: number): () => number {
  const r = lcg(seed);
  return () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}
const randn = (n: number, seed: number, std = 1) => {
  const g = gaussian(seed);
  return new Float32Array(n).map(() => g() * std);
};

interface Run {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  dbias: Float32Array;
}

/** One forward and backward through a Linear with the given recipe; the weight gradient decoded to f32. */
async function runLayer(
  backend: Backend,
  layer: Linear,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  n: number,
): Promise<Run> {
  const { inFeatures: k, outFeatures: m } = layer;
  const xt = backend.upload('f32', [n, k], x);
  const wt = backend.upload('f32', [m, k], w);
  const bt = backend.upload('f32', [m], bias);
  const yt = backend.alloc('f32', [n, m]);
  const dyt = backend.upload('f32', [n, m], dy);
  const dxt = backend.alloc('f32', [n, k]);
  const dbt = backend.alloc('f32', [m]);
  layer.forward(xt, { tensor: wt, scaleInv: 1 }, bt, yt);
  layer.backward(dyt, dxt, dbt);
  const g = await layer.weightGrad();
  const dw32 = backend.alloc('f32', [m, k]);
  if (g.tensor.dtype === 'f32') backend.copy(g.tensor as DeviceTensor<'f32'>, dw32);
  else backend.dequantize(g.tensor as DeviceTensor<'e4m3'>, dw32, { scaleInv: g.scaleInv });
  await layer.endStep();
  const run = {
    y: await backend.read(yt),
    dx: await backend.read(dxt),
    dw: await backend.read(dw32),
    dbias: await backend.read(dbt),
  };
  for (const t of [xt, wt, bt, yt, dyt, dxt, dbt, dw32]) backend.dispose(t);
  return run;
}

function relError(found: Float32Array, expected: Float32Array | Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < found.length; i++) {
    num += (found[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('Linear in fp32: gradients vs finite differences in f64', () => {
  it('dx, dW and dbias of L = Σ y·R match central differences', async () => {
    const backend = createCpuBackend();
    const [n, k, m] = [5, 7, 6];
    const x = randn(n * k, 1);
    const w = randn(m * k, 2, 0.3);
    const bias = randn(m, 3, 0.1);
    const R = randn(n * m, 4); // dL/dy
    const layer = new Linear(backend, {
      name: 'fc',
      inFeatures: k,
      outFeatures: m,
      recipe: { precision: 'fp32' },
    });
    const run = await runLayer(backend, layer, x, w, bias, R, n);
    // The loss in f64, independent of the kernels.
    const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array) => {
      let s = 0;
      for (let i = 0; i < n; i++)
        for (let o = 0; o < m; o++) {
          let y = bb[o];
          for (let j = 0; j < k; j++) y += xx[i * k + j] * ww[o * k + j];
          s += y * R[i * m + o];
        }
      return s;
    };
    const X = Float64Array.from(x);
    const W = Float64Array.from(w);
    const B = Float64Array.from(bias);
    const h = 1e-6;
    const fd = (arr: Float64Array, i: number) => {
      const keep = arr[i];
      arr[i] = keep + h;
      const up = loss(X, W, B);
      arr[i] = keep - h;
      const down = loss(X, W, B);
      arr[i] = keep;
      return (up - down) / (2 * h);
    };
    for (let i = 0; i < X.length; i++) expect(run.dx[i]).toBeCloseTo(fd(X, i), 4);
    for (let i = 0; i < W.length; i++) expect(run.dw[i]).toBeCloseTo(fd(W, i), 4);
    for (let i = 0; i < B.length; i++) expect(run.dbias[i]).toBeCloseTo(fd(B, i), 4);
    // And the check can fail: a gradient off by 1% at one element is caught.
    const wrong = run.dw.slice();
    wrong[3] *= 1.01;
    expect(() => expect(wrong[3]).toBeCloseTo(fd(W, 3), 4)).toThrow();
    layer.dispose();
  });
});

describe('Linear in FP8 vs the same layer in f32, on realistic activations', () => {
  // Transformer-like activations (unit scale with outliers), small weights, small output gradients.
  const [n, k, m] = [64, 128, 96];
  const x = randn(n * k, 10);
  for (let i = 0; i < 20; i++) x[Math.floor(lcg(99 + i)() * x.length)] *= 12;
  const w = randn(m * k, 11, 0.02);
  const bias = randn(m, 12, 0.01);
  const dy = randn(n * m, 13, 1e-3);

  const cases: [string, LinearRecipe, { y: number; dx: number; dw: number }][] = [
    // Tolerances: relative Frobenius error vs f32. Rounding to E4M3 (3 mantissa bits) costs about 2.5% RMS
    // per operand, E5M2 (2 bits) about 5%, BF16 (7 bits) about 0.2%; a product of two rounded operands
    // about √2 times that, and dW is rounded once more when stored in E4M3. Measured here: HYBRID
    // y 3.8%, dx 6.0%, dW 6.6%; E4M3 everywhere 3.8%, 3.7%, 4.5%; BF16 0.24%.
    [
      'E4M3 forward, E5M2 backward (HYBRID)',
      { precision: 'fp8', gradFormat: 'e5m2', scaling: 'current' },
      { y: 0.05, dx: 0.08, dw: 0.08 },
    ],
    [
      'E4M3 everywhere',
      { precision: 'fp8', gradFormat: 'e4m3', scaling: 'current' },
      { y: 0.05, dx: 0.05, dw: 0.06 },
    ],
    ['bf16', { precision: 'bf16' }, { y: 0.005, dx: 0.005, dw: 0.005 }],
    // Block scaling adapts the scale to each block; measured here: MX y 4.2%, dx 6.4%, dW 6.8%;
    // DeepSeek tiles (E4M3 dy) 3.7%, 3.6%, 4.3%.
    ['MX blocks (1×32, E8M0)', { precision: 'fp8', granularity: 'mx' }, { y: 0.06, dx: 0.08, dw: 0.08 }],
    [
      'DeepSeek-V3 tiles (1×128, 128×128)',
      { precision: 'fp8', granularity: 'deepseek', gradFormat: 'e4m3' },
      { y: 0.05, dx: 0.05, dw: 0.06 },
    ],
  ];
  for (const [label, recipe, tol] of cases) {
    it(`${label}: y, dx, dW within ${tol.y}/${tol.dx}/${tol.dw} relative error`, async () => {
      const backend = createCpuBackend();
      const ref = await runLayer(
        backend,
        new Linear(backend, { name: 'f32', inFeatures: k, outFeatures: m, recipe: { precision: 'fp32' } }),
        x,
        w,
        bias,
        dy,
        n,
      );
      const layer = new Linear(backend, { name: 'fp8', inFeatures: k, outFeatures: m, recipe });
      const run = await runLayer(backend, layer, x, w, bias, dy, n);
      const errors = {
        y: relError(run.y, ref.y),
        dx: relError(run.dx, ref.dx),
        dw: relError(run.dw, ref.dw),
      };
      expect(errors.y).toBeLessThan(tol.y);
      expect(errors.dx).toBeLessThan(tol.dx);
      expect(errors.dw).toBeLessThan(tol.dw);
      // Not trivially zero: FP8 does change the result.
      if (recipe.precision === 'fp8') expect(errors.y).toBeGreaterThan(1e-3);
      expect(relError(run.dbias, ref.dbias)).toBeLessThan(1e-6); // the bias gradient stays f32
    });
  }

  it('without scaling the small gradients would underflow: the scaled E5M2 dy does not', async () => {
    const backend = createCpuBackend();
    const layer = new Linear(backend, {
      name: 'fp8',
      inFeatures: k,
      outFeatures: m,
      recipe: { precision: 'fp8' },
      diagnostics: true,
    });
    await runLayer(backend, layer, x, w, bias, dy, n);
    const d = layer.diagnostics();
    expect(d.dy.underflow).toBeLessThan(0.01);
    // Unscaled, |dy| ~ 1e-3 against E5M2's smallest subnormal 2^-16 ≈ 1.5e-5 would mostly survive, but
    // E4M3's 2^-9 ≈ 2e-3 would flush most of them: the scale is what keeps them.
    expect(d.dy.scale).toBeGreaterThan(1e6);
    expect(d.x.saturation).toBeGreaterThan(0); // the amax element lands on ±max by construction
  });
});

describe('amax and scale updates follow the delayed recipe exactly', () => {
  it('history, just-in-time warm-up, then scale = fpMax / max(history)', async () => {
    const backend = createCpuBackend();
    const [n, k, m] = [8, 16, 12];
    const historyLength = 4;
    const layer = new Linear(backend, {
      name: 'fc',
      inFeatures: k,
      outFeatures: m,
      recipe: { precision: 'fp8', scaling: 'delayed', historyLength },
    });
    const w = randn(m * k, 21, 0.1);
    const xAmaxes: number[] = [];
    const dyAmaxes: number[] = [];
    for (let step = 0; step < 10; step++) {
      // Amaxes that rise and fall, so max-of-window differs from the most recent one.
      const xs = randn(n * k, 100 + step, 1 + 3 * Math.sin(step));
      const dys = randn(n * m, 200 + step, 1e-3 * (1 + step));
      const amaxOf = (a: Float32Array) => a.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      xAmaxes.push(amaxOf(xs));
      dyAmaxes.push(amaxOf(dys));
      await runLayer(backend, layer, xs, w, new Float32Array(m), dys, n);
      const d = layer.diagnostics();
      for (const [kind, amaxes, fmt] of [
        ['x', xAmaxes, E4M3],
        ['dy', dyAmaxes, E5M2],
      ] as const) {
        // The scale used at this step: from this step's own amax during warm-up (the history is not
        // full yet), from the max over the previous `historyLength` steps afterwards.
        const window = step < historyLength ? [amaxes[step]] : amaxes.slice(step - historyLength, step);
        const expected = computeScale(fmt.maxFinite, Math.max(...window.map(Math.fround)));
        expect(d[kind].scale, `${kind} scale at step ${step}`).toBe(expected);
        expect(d[kind].amax).toBe(Math.fround(amaxes[step]));
        expect(layer.metas[kind].amaxHistory[step % historyLength]).toBe(Math.fround(amaxes[step]));
      }
    }
    layer.dispose();
  });

  it('state() and restore() carry the scaling metadata', async () => {
    const backend = createCpuBackend();
    const a = new Linear(backend, {
      name: 'a',
      inFeatures: 4,
      outFeatures: 3,
      recipe: { precision: 'fp8', historyLength: 2 },
    });
    await runLayer(backend, a, randn(8, 1), randn(12, 2), new Float32Array(3), randn(6, 3), 2);
    const b = new Linear(backend, {
      name: 'b',
      inFeatures: 4,
      outFeatures: 3,
      recipe: { precision: 'fp8', historyLength: 2 },
    });
    b.restore(JSON.parse(JSON.stringify(a.state())));
    expect(b.state()).toEqual(a.state());
    expect(() => b.restore({ x: a.state().x })).toThrow(/state.w: missing/);
  });
});

describe('bad input', () => {
  it('names the layer and the argument', () => {
    const backend = createCpuBackend();
    expect(
      () => new Linear(backend, { name: 'q', inFeatures: 0, outFeatures: 2, recipe: { precision: 'fp8' } }),
    ).toThrow(/inFeatures: expected a positive integer for q/);
    expect(
      () =>
        new Linear(backend, {
          name: 'q',
          inFeatures: 2,
          outFeatures: 2,
          recipe: { precision: 'fp4' as never },
        }),
    ).toThrow(/recipe.precision/);
    const layer = new Linear(backend, {
      name: 'q',
      inFeatures: 2,
      outFeatures: 3,
      recipe: { precision: 'fp8' },
    });
    const x = backend.alloc('f32', [4, 5]);
    const w = backend.alloc('f32', [3, 2]);
    const y = backend.alloc('f32', [4, 3]);
    expect(() => layer.forward(x, { tensor: w, scaleInv: 1 }, undefined, y)).toThrow(
      /x: q expects a 2-D \[N, 2\] tensor, found \[4, 5\]/,
    );
    expect(() => layer.backward(y, undefined, undefined)).toThrow(/backward called before forward/);
  });
});
