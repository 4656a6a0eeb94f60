import { dequantize, E4M3, quantize } from '@fp8lm/fp8-format';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { Adam, AdamW, type AdamWOptions, warmupCosine } from '@fp8lm/optimizer';
import { computeScale } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { lcg } from './helpers/problems.js';

/** An independent AdamW/Adam in f64 (PyTorch's formulas), the reference for the fp32 layout. */
function referenceAdamW(
  params: Record<string, Float64Array>,
  gradsPerStep: Record<string, Float64Array>[],
  o: {
    lr: (t: number) => number;
    b1: number;
    b2: number;
    eps: number;
    wd: Record<string, number>;
    clip?: number;
    decoupled: boolean;
  },
): Record<string, Float64Array> {
  const m: Record<string, Float64Array> = {};
  const v: Record<string, Float64Array> = {};
  for (const k of Object.keys(params)) {
    m[k] = new Float64Array(params[k].length);
    v[k] = new Float64Array(params[k].length);
  }
  gradsPerStep.forEach((grads, i) => {
    const t = i + 1;
    let sq = 0;
    for (const g of Object.values(grads)) for (const x of g) sq += x * x;
    const norm = Math.sqrt(sq);
    const coef = o.clip !== undefined && norm > o.clip ? o.clip / (norm + 1e-6) : 1;
    for (const k of Object.keys(params)) {
      const p = params[k];
      for (let j = 0; j < p.length; j++) {
        let g = grads[k][j] * coef;
        if (!o.decoupled) g += o.wd[k] * p[j];
        m[k][j] = o.b1 * m[k][j] + (1 - o.b1) * g;
        v[k][j] = o.b2 * v[k][j] + (1 - o.b2) * g * g;
        const upd = m[k][j] / (1 - o.b1 ** t) / (Math.sqrt(v[k][j] / (1 - o.b2 ** t)) + o.eps);
        p[j] = p[j] - o.lr(t) * (upd + (o.decoupled ? o.wd[k] * p[j] : 0));
      }
    }
  });
  return params;
}

function randomArrays(
  seed: number,
  sizes: Record<string, number>,
  scale: number,
): Record<string, Float32Array> {
  const rand = lcg(seed);
  return Object.fromEntries(
    Object.entries(sizes).map(([k, n]) => [k, new Float32Array(n).map(() => (rand() - 0.5) * scale)]),
  );
}

describe('fp32 layout equals an independent f64 AdamW', () => {
  const sizes = { w: 300, b: 7 };
  const init = randomArrays(1, sizes, 1);
  const grads = Array.from({ length: 8 }, (_, i) => randomArrays(100 + i, sizes, 0.2));
  const lr = warmupCosine({ maxLr: 1e-2, minLr: 1e-3, warmup: 3, total: 8 });

  for (const [label, Ctor, decoupled, clip] of [
    ['AdamW with clipping', AdamW, true, 1.5],
    ['AdamW without clipping', AdamW, true, undefined],
    ['Adam (L2 decay)', Adam, false, undefined],
  ] as const) {
    it(label, async () => {
      const options: AdamWOptions = {
        preset: 'fp32',
        lr,
        weightDecay: 0.1,
        clipGradNorm: clip,
        groups: { noDecay: { weightDecay: 0 } },
      };
      const opt = new Ctor(createCpuBackend(), options);
      opt.addParam('w', init.w, { shape: [30, 10] });
      opt.addParam('b', init.b, { group: 'noDecay' });
      for (const g of grads) {
        await opt.writeGrad('w', g.w);
        await opt.writeGrad('b', g.b);
        const r = await opt.step();
        expect(r.skipped).toBe(false);
      }
      const ref = referenceAdamW(
        { w: Float64Array.from(init.w), b: Float64Array.from(init.b) },
        grads.map((g) => ({ w: Float64Array.from(g.w), b: Float64Array.from(g.b) })),
        { lr, b1: 0.9, b2: 0.999, eps: 1e-8, wd: { w: 0.1, b: 0 }, clip, decoupled },
      );
      for (const k of ['w', 'b']) {
        const found = await opt.readParam(k);
        for (let j = 0; j < found.length; j++) expect(found[j]).toBeCloseTo(ref[k][j], 5);
      }
      expect(opt.stepCount).toBe(8);
    });
  }

  it('reports the global gradient norm computed from the stored FP8 gradients', async () => {
    const opt = new AdamW(createCpuBackend(), { preset: 'O2', clipGradNorm: 0.5 });
    opt.addParam('w', init.w);
    opt.addParam('b', init.b);
    await opt.writeGrad('w', grads[0].w);
    await opt.writeGrad('b', grads[0].b);
    const r = await opt.step();
    let sq = 0;
    for (const g of [grads[0].w, grads[0].b]) for (const x of g) sq += x * x;
    // E4M3 keeps 3 mantissa bits: each element within 2^-4 relative, so the norm too.
    expect(Math.abs(r.gradNorm / Math.sqrt(sq) - 1)).toBeLessThan(2 ** -4);
    expect(r.clipCoefficient).toBeCloseTo(0.5 / r.gradNorm, 6);
  });
});

describe('non-finite gradients skip the step', () => {
  for (const preset of ['fp32', 'O2', 'O2+fp8v'] as const) {
    it(`${preset}: weights and state untouched, reported, counted`, async () => {
      const opt = new AdamW(createCpuBackend(), { preset, lr: 1e-2 });
      const init = randomArrays(5, { w: 200 }, 1);
      opt.addParam('w', init.w);
      await opt.writeGrad('w', randomArrays(6, { w: 200 }, 0.1).w);
      await opt.step();
      const before = await opt.stateDict();
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const g = randomArrays(7, { w: 200 }, 0.1).w;
        g[17] = bad;
        await opt.writeGrad('w', g);
        const r = await opt.step();
        expect(r.skipped).toBe(true);
        expect(r.reason).toMatch(/non-finite gradient in "w"/);
      }
      expect(opt.skippedSteps).toBe(2);
      expect(opt.stepCount).toBe(1);
      const after = await opt.stateDict();
      expect(after.tensors).toEqual(before.tensors);
      expect(after.metadata.params).toEqual(before.metadata.params);
      await opt.writeGrad('w', randomArrays(8, { w: 200 }, 0.1).w);
      expect((await opt.step()).skipped).toBe(false);
      expect(opt.stepCount).toBe(2);
    });
  }
});

describe('state save/load', () => {
  for (const preset of ['fp32', 'O1', 'O2', 'O2+fp8v'] as const) {
    it(`${preset}: round-trips bit-exactly and resumes identically`, async () => {
      const sizes = { w: 500, b: 9 };
      const make = () => {
        const opt = new AdamW(createCpuBackend(), { preset, lr: 1e-2, weightDecay: 0.05, vGroupSize: 64 });
        const init = randomArrays(11, sizes, 1);
        opt.addParam('w', init.w, { shape: [50, 10] });
        opt.addParam('b', init.b);
        return opt;
      };
      const run = async (opt: AdamW, from: number, to: number) => {
        for (let s = from; s < to; s++) {
          const g = randomArrays(200 + s, sizes, 0.3);
          await opt.writeGrad('w', g.w);
          await opt.writeGrad('b', g.b);
          await opt.step();
        }
      };
      const a = make();
      await run(a, 0, 4);
      const saved = await a.stateDict();
      // Through JSON for the metadata, as a checkpoint stores it.
      const restored = { metadata: JSON.parse(JSON.stringify(saved.metadata)), tensors: saved.tensors };
      const b = make();
      b.loadStateDict(restored);
      expect(await b.stateDict()).toEqual(saved);
      await run(a, 4, 8);
      await run(b, 4, 8);
      expect(await b.stateDict()).toEqual(await a.stateDict());
      expect(b.stepCount).toBe(8);
    });
  }

  it('rejects a mismatched state and leaves the optimizer intact', async () => {
    const a = new AdamW(createCpuBackend(), { preset: 'O2' });
    a.addParam('w', new Float32Array(10).fill(0.5));
    const saved = await a.stateDict();
    const b = new AdamW(createCpuBackend(), { preset: 'fp32' });
    b.addParam('w', new Float32Array(10).fill(0.25));
    expect(() => b.loadStateDict(saved)).toThrow(/layout.master: the optimizer uses f32, the state has f16/);
    const c = new AdamW(createCpuBackend(), { preset: 'O2' });
    c.addParam('w', new Float32Array(12).fill(0.25));
    expect(() => c.loadStateDict(saved)).toThrow(/"w" has shape \[10\], the optimizer has \[12\]/);
    const d = new AdamW(createCpuBackend(), { preset: 'O2' });
    d.addParam('w', new Float32Array(10).fill(0.25));
    const broken = {
      ...saved,
      tensors: { ...saved.tensors, 'w.m': { ...saved.tensors['w.m'], data: new Uint8Array(3) } },
    };
    expect(() => d.loadStateDict(broken)).toThrow(/w\.m.*expected e4m3 × 10, found e4m3 × 3/);
    expect(await d.readParam('w')).toEqual(new Float32Array(10).fill(0.25));
  });
});

describe('memory report', () => {
  it('bytes per parameter by preset, from the tensors held', () => {
    const expected = { fp32: 16, O1: 11, O2: 6, 'O2+fp8v': 5 };
    for (const [preset, state] of Object.entries(expected)) {
      const opt = new AdamW(createCpuBackend(), { preset: preset as keyof typeof expected });
      opt.addParam('w', new Float32Array(128 * 64));
      opt.addParam('b', new Float32Array(128));
      const r = opt.memoryReport();
      expect(r.params).toBe(128 * 65);
      expect(r.bytesPerParam.state).toBe(state);
      // Scaling metadata: 4 bytes per per-tensor scale, plus 8 bytes per group of 128 for grouped v.
      expect(r.bytesPerParam.total - state).toBeLessThan(preset === 'O2+fp8v' ? 0.07 : 0.01);
    }
  });
});

describe('bad input', () => {
  it('names the problem', async () => {
    const cpu = createCpuBackend();
    expect(() => new AdamW(cpu, { preset: 'O4' as never })).toThrow(
      /preset: expected one of fp32, O1, O2, O2\+fp8v, found "O4"/,
    );
    expect(
      () => new AdamW(cpu, { preset: { master: 'f8', grad: 'f32', m: 'f32', v: 'f32' } as never }),
    ).toThrow(/layout.master/);
    expect(() => new AdamW(cpu, { betas: [0.9, 1] })).toThrow(/betas\[1\]/);
    expect(() => new AdamW(cpu, { vGroupSize: 0 })).toThrow(/vGroupSize/);
    const opt = new AdamW(cpu, {});
    opt.addParam('w', new Float32Array(4));
    expect(() => opt.addParam('w', new Float32Array(4))).toThrow(/already added/);
    expect(() => opt.addParam('x', new Float32Array(4), { shape: [3] })).toThrow(/needs 3 elements, found 4/);
    expect(() => opt.addParam('y', new Float32Array(4), { group: 'nope' })).toThrow(/group: "nope"/);
    expect(() => opt.addParam('z', new Float32Array([1, Number.NaN]))).toThrow(
      /values\[1\] of "z" is not finite/,
    );
    await expect(opt.writeGrad('w', new Float32Array(5))).rejects.toThrow(/"w" has 4 elements, found 5/);
    await expect(opt.writeGrad('q', new Float32Array(4))).rejects.toThrow(/no parameter "q"/);
  });
});

describe('writeGrad does not wait for the device', () => {
  it('computes the gradient scale on the device, the same as @fp8lm/scaling on the host, read once per step', async () => {
    const backend = createCpuBackend();
    let reads = 0;
    const counting = new Proxy(backend, {
      get(target, key) {
        if (key === 'read') {
          return (t: Parameters<typeof backend.read>[0]) => {
            reads++;
            return target.read(t);
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const opt = new AdamW(counting, { preset: 'O2', lr: 1e-2 });
    const grads = randomArrays(5, { a: 64, b: 9, z: 5 }, 3e-3);
    grads.z.fill(0); // a zero amax keeps the previous scale (1)
    for (const [name, g] of Object.entries(grads)) opt.addParam(name, new Float32Array(g.length).fill(0.5));
    for (const [name, g] of Object.entries(grads)) await opt.writeGrad(name, g);
    expect(reads).toBe(0);
    const report = await opt.step();
    expect(report.skipped).toBe(false);
    const state = await opt.stateDict();
    for (const p of state.metadata.params) {
      const amax = grads[p.name].reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(p.gradScale, p.name).toBe(computeScale(448, amax, { previous: 1 }));
    }
    // The stored E4M3 gradients are the host's quantization with those scales: same global norm.
    let sq = 0;
    for (const p of state.metadata.params) {
      const g = grads[p.name];
      const codes = new Uint8Array(g.length);
      quantize(E4M3, g, codes, { scale: p.gradScale });
      const back = new Float32Array(g.length);
      dequantize(E4M3, codes, back, { scaleInv: 1 / p.gradScale });
      for (const x of back) sq += x * x;
    }
    expect(report.gradNorm / Math.sqrt(sq)).toBeCloseTo(1, 6);
    opt.dispose();
  });

  it('a non-finite gradient still skips the step', async () => {
    const opt = new AdamW(createCpuBackend(), { preset: 'O2', lr: 1e-2 });
    opt.addParam('w', new Float32Array([1, 2, 3]));
    await opt.writeGrad('w', new Float32Array([0.1, Number.POSITIVE_INFINITY, 0.2]));
    const report = await opt.step();
    expect(report.skipped).toBe(true);
    expect(report.reason).toMatch(/non-finite gradient in "w" \(amax Infinity\)/);
    opt.dispose();
  });
});
