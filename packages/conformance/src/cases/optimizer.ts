import { dequantize, E4M3, FORMATS, quantize } from '@fp8lm/fp8-format';
import type { AdamWHyper, AdamWTensors, Backend, CodeDType, DeviceTensor } from '@fp8lm/tensor-interface';
import { type ConformanceCase, ConformanceError, expectClose } from '../case.js';
import { lcg } from '../inputs.js';

type MasterD = 'f32' | 'f16' | 'bf16';
type GradD = 'f32' | 'f16' | 'bf16' | 'e4m3' | 'e5m2';
type MomentD = 'f32' | 'f16' | 'bf16' | 'e4m3';

interface Layout {
  name: string;
  master: MasterD;
  grad: GradD;
  m: MomentD;
  v: MomentD;
  grouped?: boolean;
}

const LAYOUTS: Layout[] = [
  { name: 'fp32', master: 'f32', grad: 'f32', m: 'f32', v: 'f32' },
  { name: 'O1', master: 'f16', grad: 'e4m3', m: 'f32', v: 'f32' },
  { name: 'O2', master: 'f16', grad: 'e4m3', m: 'e4m3', v: 'f16' },
  { name: 'O2+fp8v', master: 'f16', grad: 'e4m3', m: 'e4m3', v: 'e4m3', grouped: true },
  { name: 'bf16 master, e5m2 grad, f16 m', master: 'bf16', grad: 'e5m2', m: 'f16', v: 'bf16' },
];

const E4M3_RANGE = E4M3.maxFinite / E4M3.minNormal;
const GROUP = 16;

/** Host f64 copies of a state component: decoded values plus the codes and scale that hold them. */
function encodeHost(
  dtype: string,
  values: Float64Array,
  scale: number,
): Float32Array | Uint8Array | Uint16Array {
  const f = Float32Array.from(values);
  if (dtype === 'f32') return f.map((x) => Math.fround(x * scale));
  const codes = dtype === 'f16' || dtype === 'bf16' ? new Uint16Array(f.length) : new Uint8Array(f.length);
  quantize(dtype as CodeDType, f, codes, { scale });
  return codes;
}

function decodeHost(dtype: string, codes: ArrayLike<number>, scaleInv: number): Float64Array {
  if (dtype === 'f32')
    return Float64Array.from(codes as Float32Array, (x) => Math.fround(x * Math.fround(scaleInv)));
  const out = new Float32Array(codes.length);
  dequantize(dtype as CodeDType, codes as Uint8Array, out, { scaleInv });
  return Float64Array.from(out);
}

function amax(x: Float64Array): number {
  return x.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
}

/** Relative precision of a dtype: half a unit in the last place, as a fraction. */
function precision(dtype: string): number {
  return dtype === 'f32' ? 2 ** -22 : 2 ** -(FORMATS[dtype as CodeDType].mantissaBits + 1);
}

/** The spec of grouped v in plain f64: k maps the group's range onto E4M3's normal range, ≤ 16. */
function exponentFor(max: number, min: number): number {
  if (!(max > 0 && min > 0 && max > min)) return 1;
  return Math.fround(Math.min(16, Math.log(E4M3_RANGE) / Math.log(max / min)));
}

async function checkLayout(backend: Backend, layout: Layout, hyper: AdamWHyper): Promise<void> {
  const n = 1000;
  const rand = lcg(layout.name.length * 31 + hyper.step);
  const gauss = () => (rand() + rand() + rand() - 1.5) * 2;
  // Reference state in f64, chosen so every format can hold it after scaling.
  const p0 = Float64Array.from({ length: n }, () => gauss() * 0.2);
  const g0 = Float64Array.from({ length: n }, () => gauss() * 1e-3);
  const m0 = Float64Array.from({ length: n }, () => gauss() * 5e-4);
  const v0 = Float64Array.from({ length: n }, () => (gauss() * 1e-3) ** 2 + 1e-9);
  const scaleFor = (d: string, x: Float64Array) =>
    d === 'f32' || d === 'bf16' ? 1 : Math.fround((FORMATS[d as CodeDType].maxFinite / amax(x)) * 0.5);
  const sP = scaleFor(layout.master, p0);
  const sG = scaleFor(layout.grad, g0);
  const sM = scaleFor(layout.m, m0);
  const sV = layout.grouped ? 1 : scaleFor(layout.v, v0);

  // Upload the state, then decode what was uploaded so the reference starts from identical values.
  const masterCodes = encodeHost(layout.master, p0, sP);
  const gradCodes = encodeHost(layout.grad, g0, sG);
  const mCodes = encodeHost(layout.m, m0, sM);
  let vCodes: Float32Array | Uint8Array | Uint16Array;
  const groups = Math.ceil(n / GROUP);
  const gMax = new Float32Array(groups);
  const gExp = new Float32Array(groups);
  let v: Float64Array;
  if (layout.grouped) {
    const y = new Float64Array(n);
    for (let g = 0; g < groups; g++) {
      const part = v0.subarray(g * GROUP, (g + 1) * GROUP);
      gMax[g] = Math.max(...part);
      gExp[g] = exponentFor(gMax[g], Math.min(...part.filter((x) => x > 0)));
      part.forEach((x, i) => {
        y[g * GROUP + i] = (x / gMax[g]) ** gExp[g] * E4M3.maxFinite;
      });
    }
    vCodes = encodeHost('e4m3', y, 1);
    const yq = decodeHost('e4m3', vCodes, 1);
    v = yq.map((q, i) => {
      const g = Math.floor(i / GROUP);
      return q === 0 ? 0 : gMax[g] * (q / E4M3.maxFinite) ** (1 / gExp[g]);
    });
  } else {
    vCodes = encodeHost(layout.v, v0, sV);
    v = decodeHost(layout.v, vCodes, 1 / sV);
  }
  const p = decodeHost(layout.master, masterCodes, 1 / sP);
  const g = decodeHost(layout.grad, gradCodes, 1 / sG);
  const m = decodeHost(layout.m, mCodes, 1 / sM);

  // The reference update, in f64.
  const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
  const decoupled = hyper.decoupled ?? true;
  const c1 = (hyper.biasCorrection ?? true) ? 1 - beta1 ** step : 1;
  const c2 = (hyper.biasCorrection ?? true) ? 1 - beta2 ** step : 1;
  const mul = hyper.gradMultiplier ?? 1;
  const pN = new Float64Array(n);
  const mN = new Float64Array(n);
  const vN = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let gi = g[i] * mul;
    if (!decoupled) gi += weightDecay * p[i];
    mN[i] = beta1 * m[i] + (1 - beta1) * gi;
    vN[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    pN[i] = p[i] - lr * (mN[i] / c1 / (Math.sqrt(vN[i] / c2) + eps) + (decoupled ? weightDecay * p[i] : 0));
  }

  const up = <D extends string>(d: D, data: Float32Array | Uint8Array | Uint16Array) =>
    backend.upload(d as never, [n], data as never) as DeviceTensor<never>;
  const tensors: AdamWTensors = {
    master: up(layout.master, masterCodes),
    masterScaleInv: 1 / sP,
    grad: up(layout.grad, gradCodes),
    gradScaleInv: 1 / sG,
    m: up(layout.m, mCodes),
    mScaleInv: 1 / sM,
    v: up(layout.grouped ? 'e4m3' : layout.v, vCodes),
    vScaleInv: 1 / sV,
    vGroups: layout.grouped
      ? {
          groupSize: GROUP,
          groupMax: backend.upload('f32', [groups], gMax),
          exponent: backend.upload('f32', [groups], gExp),
        }
      : undefined,
  };
  const stats = backend.alloc('f32', [3]);
  const groupStats = layout.grouped ? backend.alloc('f32', [2 * groups]) : undefined;
  backend.adamwStats(tensors, hyper, stats, groupStats);
  const found = await backend.read(stats);
  expectClose(found, [amax(pN), amax(mN), amax(vN)], 'stats (amax of new master, m, v)', {
    atol: 0,
    rtol: 1e-5,
  });

  // New scales from this step's amaxes, then the second stage.
  const nP = scaleFor(layout.master, pN);
  const nM = scaleFor(layout.m, mN);
  const nV = layout.grouped ? 1 : scaleFor(layout.v, vN);
  backend.adamwApply(tensors, hyper, { masterScale: nP, mScale: nM, vScale: nV, groupStats });
  const tol = (d: string, scale: number) => ({
    rtol: precision(d) * 1.01 + 1e-6,
    atol: d === 'f32' || d === 'bf16' ? 1e-12 : FORMATS[d as CodeDType].minSubnormal / scale,
  });
  const pF = decodeHost(layout.master, await backend.read(tensors.master), 1 / nP);
  expectClose(pF, pN, 'new master', tol(layout.master, nP));
  const mF = decodeHost(layout.m, await backend.read(tensors.m), 1 / nM);
  expectClose(mF, mN, 'new m', tol(layout.m, nM));
  if (layout.grouped && tensors.vGroups && groupStats) {
    const gs = await backend.read(groupStats);
    const maxF = await backend.read(tensors.vGroups.groupMax);
    const expF = await backend.read(tensors.vGroups.exponent);
    for (let k = 0; k < groups; k++) {
      const part = vN.subarray(k * GROUP, (k + 1) * GROUP);
      const mx = Math.max(...part);
      const mn = Math.min(...part.filter((x) => x > 0));
      expectClose([gs[2 * k], gs[2 * k + 1], maxF[k]], [mx, mn, mx], `group ${k} statistics`, {
        atol: 0,
        rtol: 1e-5,
      });
      expectClose([expF[k]], [exponentFor(mx, mn)], `group ${k} exponent`, { atol: 0, rtol: 1e-4 });
    }
    const yq = decodeHost('e4m3', await backend.read(tensors.v), 1);
    const vF = yq.map((q, i) =>
      q === 0 ? 0 : maxF[Math.floor(i / GROUP)] * (q / E4M3.maxFinite) ** (1 / expF[Math.floor(i / GROUP)]),
    );
    // One E4M3 step on y^k is a relative step of 2^-4 / k on v: k ≥ 1 here, so 2^-4 bounds it.
    expectClose(vF, vN, 'new v (grouped, range-expanded)', { atol: 0, rtol: 2 ** -4 });
  } else {
    const vF = decodeHost(layout.v, await backend.read(tensors.v), 1 / nV);
    expectClose(vF, vN, 'new v', tol(layout.v, nV));
  }
  for (const t of [tensors.master, tensors.grad, tensors.m, tensors.v, stats]) backend.dispose(t);
  if (tensors.vGroups) {
    backend.dispose(tensors.vGroups.groupMax);
    backend.dispose(tensors.vGroups.exponent);
  }
  if (groupStats) backend.dispose(groupStats);
}

const HYPER: AdamWHyper = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 3 };

const adamwCases: ConformanceCase[] = [
  ...LAYOUTS.map(
    (layout): ConformanceCase => ({
      op: 'adamw',
      name: `adamw two-stage step, ${layout.name} layout`,
      run: (backend) => checkLayout(backend, layout, HYPER),
    }),
  ),
  {
    op: 'adamw',
    name: 'adam with L2 decay, no bias correction, gradient multiplier (O2 layout)',
    run: (backend) =>
      checkLayout(backend, LAYOUTS[2], {
        ...HYPER,
        decoupled: false,
        biasCorrection: false,
        gradMultiplier: 0.25,
        step: 1,
      }),
  },
  {
    op: 'adamw',
    name: 'adamw rejects mismatched sizes and bad hyperparameters',
    async run(backend) {
      const a = backend.alloc('f32', [4]);
      const b = backend.alloc('f32', [5]);
      const stats = backend.alloc('f32', [3]);
      const base = { master: a, grad: a, m: a, v: a };
      const expect = (fn: () => void, pattern: RegExp, what: string) => {
        try {
          fn();
        } catch (e) {
          if (e instanceof Error && pattern.test(e.message)) return;
          throw new ConformanceError(`${what}: expected an error matching ${pattern}, got ${String(e)}`);
        }
        throw new ConformanceError(`${what}: nothing was thrown`);
      };
      expect(() => backend.adamwStats({ ...base, grad: b }, HYPER, stats), /grad/, 'grad size');
      expect(() => backend.adamwStats(base, { ...HYPER, beta1: 1 }, stats), /beta1/, 'beta1 = 1');
      expect(() => backend.adamwStats(base, { ...HYPER, step: 0 }, stats), /step/, 'step 0');
      expect(() => backend.adamwStats(base, { ...HYPER, lr: Number.NaN }, stats), /lr/, 'NaN lr');
      for (const t of [a, b, stats]) backend.dispose(t);
    },
  },
];

const sumSquaresCases: ConformanceCase[] = (['f32', 'e4m3', 'e5m2', 'f16', 'bf16'] as const).map((dtype) => ({
  op: 'sumSquares',
  name: `sumSquares of ${dtype} with scaleInv`,
  async run(backend) {
    const rand = lcg(99);
    const n = 70_001;
    const x = Float64Array.from({ length: n }, () => (rand() - 0.5) * 100);
    const codes = encodeHost(dtype, x, 1);
    const decoded = decodeHost(dtype, codes, 0.125);
    const t = backend.upload(dtype as never, [n], codes as never) as DeviceTensor;
    const out = backend.alloc('f32', [2]);
    backend.sumSquares(t, out, 1, { scaleInv: 0.125 });
    const expected = decoded.reduce((s, v) => s + v * v, 0);
    expectClose(await backend.read(out), [0, expected], 'sum of squares', { atol: 0, rtol: 1e-5 });
    backend.dispose(t);
    backend.dispose(out);
  },
}));

/** Optimizer ops: the two-stage fused AdamW for every state layout, and sumSquares. */
export const optimizerCases: ConformanceCase[] = [...adamwCases, ...sumSquaresCases];
