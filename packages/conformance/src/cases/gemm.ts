import { decode, dequantize as dequantizeRef, FORMATS, quantize as quantizeRef } from '@fp8lm/fp8-format';
import {
  allocStorage,
  type Backend,
  type BlockScales,
  type DeviceTensor,
  type GemmInputDType,
  type GemmOptions,
  type GemmOutputDType,
  type StorageArray,
} from '@fp8lm/tensor-interface';
import { type ConformanceCase, ConformanceError, expectThrows } from '../case.js';
import { lcg } from '../inputs.js';

// GEMM: C = alpha · op(A) · op(B) + beta · C + bias. Every case computes its expected values here,
// in float64, from the codes it uploads (decoded with fp8-format's reference decoder), independently
// of any backend. The tolerance of each output element is the float32 worst-case bound of a sum of K
// products in any order (Higham's γ_K), measured against the sum of the magnitudes of the terms:
//
//   |found - expected| ≤ 2 (K + 4) u · |alpha| Σ_p |a_ip b_pj| + 4 u (|beta c_ij| + |bias_j|),  u = 2^-24
//
// That admits every f32 accumulation order (sequential, blocked over K, a GPU's split-K or tree) and
// a wider accumulator, yet rejects what real GEMM bugs do: a dropped or doubled K term (an error of
// ~1/K of the row's magnitude, far above 2Ku for K ≤ 4096), a scale or block scale ignored or taken
// from the neighbouring block (factors of 2 and more), a transpose ignored, a bf16 or TF32
// accumulator (relative errors 2^-8 / 2^-11), a 14-bit FP8 tensor-core accumulator without promotion.
// An FP8 output passes if its code lies between the codes of expected ∓ tolerance (times outScale), so
// backends may differ by one rounding step exactly where the f32 result sits on a rounding boundary.

const U = 2 ** -24;

type Codes = Float32Array | Uint16Array | Uint8Array;

interface Input {
  readonly dtype: GemmInputDType;
  readonly shape: [number, number];
  readonly data: Codes;
  /** decode(code) for every element, in f64. */
  readonly values: Float64Array;
  /** Per-tensor scaleInv from the quantization (1 for f32). */
  readonly scaleInv: number;
}

const decodeTables = new Map<string, Float64Array>();

function decodeAll(dtype: GemmInputDType, data: Codes): Float64Array {
  if (dtype === 'f32') return new Float64Array(data);
  let table = decodeTables.get(dtype);
  if (table === undefined) {
    // Every code's value from fp8-format's codec (exact in f32, so exact in f64).
    const size = 2 ** FORMATS[dtype].bits;
    const codes = dtype === 'f16' || dtype === 'bf16' ? new Uint16Array(size) : new Uint8Array(size);
    for (let c = 0; c < size; c++) codes[c] = c;
    const f32 = new Float32Array(size);
    dequantizeRef(dtype, codes, f32);
    table = Float64Array.from(f32);
    decodeTables.set(dtype, table);
  }
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]];
  return out;
}

/** Deterministic values of mixed sign and magnitude (a spread of about 2^±4 around `magnitude`). */
function values(seed: number, n: number, magnitude: number): Float32Array {
  const rand = lcg(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const mag = magnitude * 2 ** (8 * rand() - 4);
    out[i] = rand() < 0.5 ? -mag : mag;
  }
  return out;
}

/** An input of `dtype`: f32 values as they are; other dtypes quantized (FP8 with a per-tensor scale). */
function makeInput(dtype: GemmInputDType, shape: [number, number], seed: number, magnitude = 1): Input {
  const x = values(seed, shape[0] * shape[1], magnitude);
  if (dtype === 'f32') return { dtype, shape, data: x, values: new Float64Array(x), scaleInv: 1 };
  const data = allocStorage(dtype, x.length) as Uint8Array | Uint16Array;
  let scale = 1;
  if (dtype === 'e4m3' || dtype === 'e5m2') {
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    if (amax > 0) scale = Math.fround(FORMATS[dtype].maxFinite / amax / 2);
  }
  quantizeRef(dtype, x, data, { scale });
  return { dtype, shape, data, values: decodeAll(dtype, data), scaleInv: 1 / scale };
}

interface Blocks {
  readonly blockRows: number;
  readonly blockCols: number;
  readonly dtype: 'f32' | 'e8m0';
  readonly grid: [number, number];
  readonly data: Float32Array | Uint8Array;
  readonly values: Float64Array;
}

/** Block scales over a stored `[rows, cols]` layout: powers of two 2^-6..2^6 (E8M0) or f32 values. */
function makeBlocks(
  rows: number,
  cols: number,
  blockRows: number,
  blockCols: number,
  dtype: 'f32' | 'e8m0',
  seed: number,
): Blocks {
  const grid: [number, number] = [Math.ceil(rows / blockRows), Math.ceil(cols / blockCols)];
  const n = grid[0] * grid[1];
  const rand = lcg(seed);
  if (dtype === 'e8m0') {
    const data = Uint8Array.from({ length: n }, () => 127 - 6 + Math.floor(rand() * 13));
    return {
      blockRows,
      blockCols,
      dtype,
      grid,
      data,
      values: Float64Array.from(data, (c) => decode('e8m0', c)),
    };
  }
  const data = Float32Array.from({ length: n }, () => Math.fround(0.3 * 2 ** (rand() * 8 - 2)));
  return { blockRows, blockCols, dtype, grid, data, values: Float64Array.from(data) };
}

interface Spec {
  m: number;
  n: number;
  k: number;
  a: GemmInputDType;
  b: GemmInputDType;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  bias?: boolean;
  /** Pass the quantization's per-tensor scaleInv (FP8 inputs). Default true. */
  scales?: boolean;
  /** Per-tensor scales as one-element device tensors. */
  scalesOnDevice?: boolean;
  aBlocks?: { blockRows: number; blockCols: number; dtype: 'f32' | 'e8m0' };
  bBlocks?: { blockRows: number; blockCols: number; dtype: 'f32' | 'e8m0' };
  out?: GemmOutputDType;
  outScale?: number;
  saturate?: boolean;
  amax?: boolean;
  /** What C holds before the call (default random; 'nan' checks that beta = 0 never reads it). */
  cInit?: 'random' | 'nan';
  /** Put NaN / Inf codes into the inputs. */
  specials?: boolean;
  seed?: number;
}

function describeSpec(s: Spec): string {
  const parts = [`${s.a}×${s.b}`, `${s.m}×${s.n}×${s.k}`];
  if (s.transA) parts.push('transA');
  if (s.transB) parts.push('transB');
  if (s.alpha !== undefined) parts.push(`alpha=${s.alpha}`);
  if (s.beta !== undefined) parts.push(`beta=${s.beta}`);
  if (s.bias) parts.push('bias');
  if (s.scales === false) parts.push('no scales');
  if (s.scalesOnDevice) parts.push('device scales');
  if (s.aBlocks) parts.push(`A blocks ${s.aBlocks.blockRows}×${s.aBlocks.blockCols} ${s.aBlocks.dtype}`);
  if (s.bBlocks) parts.push(`B blocks ${s.bBlocks.blockRows}×${s.bBlocks.blockCols} ${s.bBlocks.dtype}`);
  if (s.out && s.out !== 'f32')
    parts.push(`→ ${s.out} outScale=${s.outScale ?? 1}${s.saturate === false ? ' no-saturate' : ''}`);
  if (s.amax) parts.push('amax');
  if (s.cInit === 'nan') parts.push('C=NaN');
  if (s.specials) parts.push('NaN/Inf inputs');
  return `gemm ${parts.join(' ')}`;
}

/** Puts a NaN into A (its row of C becomes NaN) and an Inf (NaN for E4M3) into B (its column becomes ±Inf or NaN). */
function addSpecials(x: Input, which: 'a' | 'b'): Input {
  const data = x.data.slice() as Codes;
  const dtype = x.dtype;
  const special = (kind: 'nan' | 'inf'): number => {
    if (dtype === 'f32') return kind === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY;
    const fmt = FORMATS[dtype];
    if (kind === 'inf' && fmt.infinityCode !== null) return fmt.infinityCode;
    return fmt.nanCode as number;
  };
  if (which === 'a') data[1] = special('nan');
  else data[data.length - 2] = special('inf');
  return { ...x, data, values: decodeAll(dtype, data) };
}

interface Expected {
  readonly values: Float64Array;
  readonly tol: Float64Array;
}

/** The f64 reference: op(A)·op(B) with every scale, plus beta·C and bias, and each element's tolerance. */
function expectedGemm(
  s: Spec,
  A: Input,
  B: Input,
  aScale: number,
  bScale: number,
  ab: Blocks | undefined,
  bb: Blocks | undefined,
  c0: Float32Array,
  bias: Float32Array | undefined,
): Expected {
  const { m, n, k } = s;
  const alpha = s.alpha ?? 1;
  const beta = s.beta ?? 0;
  const stored = (x: Input, blk: Blocks | undefined, scale: number, r: number, c: number): number => {
    let v = x.values[r * x.shape[1] + c] * scale;
    if (blk !== undefined)
      v *= blk.values[Math.floor(r / blk.blockRows) * blk.grid[1] + Math.floor(c / blk.blockCols)];
    return v;
  };
  const opA = new Float64Array(m * k);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++)
      opA[i * k + p] = s.transA ? stored(A, ab, aScale, p, i) : stored(A, ab, aScale, i, p);
  const opBt = new Float64Array(n * k); // op(B) transposed, so both are read along K
  for (let p = 0; p < k; p++)
    for (let j = 0; j < n; j++)
      opBt[j * k + p] = s.transB ? stored(B, bb, bScale, j, p) : stored(B, bb, bScale, p, j);
  const out = new Float64Array(m * n);
  const tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const t = opA[i * k + p] * opBt[j * k + p];
        sum += t;
        mag += Math.abs(t);
      }
      let v = alpha * sum;
      let rest = 0;
      if (beta !== 0) {
        v += beta * c0[i * n + j];
        rest += Math.abs(beta * c0[i * n + j]);
      }
      if (bias !== undefined) {
        v += bias[j];
        rest += Math.abs(bias[j]);
      }
      out[i * n + j] = v;
      tol[i * n + j] = 2 * (k + 4) * U * Math.abs(alpha) * mag + 4 * U * rest + 2 ** -140;
    }
  }
  return { values: out, tol };
}

function mismatch(what: string, i: number, n: number, found: number, expected: number, tol: number): string {
  return `${what}: index ${i} (row ${Math.floor(i / n)}, column ${i % n}): expected ${expected} ± ${tol.toExponential(2)}, found ${found}`;
}

/** f32 output: each element within its tolerance; non-finite expected values must match exactly. */
function checkF32(found: Float32Array, exp: Expected, n: number, what: string): void {
  for (let i = 0; i < exp.values.length; i++) {
    const e = exp.values[i];
    const f = found[i];
    const ok = Number.isFinite(e) ? Math.abs(f - e) <= exp.tol[i] : e !== e ? f !== f : f === e;
    if (!ok) throw new ConformanceError(mismatch(what, i, n, f, e, exp.tol[i]));
  }
}

/** FP8 output: each code between the codes of (expected ∓ tol) · outScale. */
function checkFp8(
  found: Uint8Array,
  exp: Expected,
  n: number,
  fmt: 'e4m3' | 'e5m2',
  outScale: number,
  saturate: boolean,
  what: string,
): void {
  // The codes of the interval's ends, in bulk with fp8-format's quantize (same cast as `encode`).
  const len = exp.values.length;
  const ends = new Float32Array(2 * len);
  for (let i = 0; i < len; i++) {
    const e = exp.values[i];
    const t = Number.isFinite(e) ? exp.tol[i] : 0;
    ends[2 * i] = (e - t) * outScale;
    ends[2 * i + 1] = (e + t) * outScale;
  }
  const codes = new Uint8Array(2 * len);
  quantizeRef(fmt, ends, codes, { saturate });
  const value = decodeAll(fmt, codes);
  const got = decodeAll(fmt, found);
  for (let i = 0; i < len; i++) {
    const e = exp.values[i];
    const f = got[i];
    const ok = e !== e ? f !== f : f >= value[2 * i] && f <= value[2 * i + 1];
    if (!ok) {
      throw new ConformanceError(
        `${mismatch(what, i, n, f, e * outScale, exp.tol[i] * outScale)} (code 0x${found[i].toString(16)})`,
      );
    }
  }
}

function checkAmax(found: number, exp: Expected, what: string): void {
  let amax = 0;
  let tol = 0;
  for (let i = 0; i < exp.values.length; i++) {
    const v = Math.abs(exp.values[i]);
    amax = v !== v || amax !== amax ? Number.NaN : Math.max(amax, v);
    tol = Math.max(tol, exp.tol[i]);
  }
  const ok =
    amax !== amax ? found !== found : Number.isFinite(amax) ? Math.abs(found - amax) <= tol : found === amax;
  if (!ok) throw new ConformanceError(`${what}: expected ${amax} ± ${tol.toExponential(2)}, found ${found}`);
}

async function runGemm(backend: Backend, s: Spec): Promise<void> {
  const seed = s.seed ?? s.m * 1000003 + s.n * 1009 + s.k;
  const { m, n, k } = s;
  const aShape: [number, number] = s.transA ? [k, m] : [m, k];
  const bShape: [number, number] = s.transB ? [n, k] : [k, n];
  let A = makeInput(s.a, aShape, seed ^ 0xa);
  let B = makeInput(s.b, bShape, seed ^ 0xb, 0.5);
  if (s.specials) {
    A = addSpecials(A, 'a');
    B = addSpecials(B, 'b');
  }
  const useScales = s.scales !== false;
  const aScale = useScales ? A.scaleInv : 1;
  const bScale = useScales ? B.scaleInv : 1;
  const ab =
    s.aBlocks &&
    makeBlocks(aShape[0], aShape[1], s.aBlocks.blockRows, s.aBlocks.blockCols, s.aBlocks.dtype, seed ^ 0xab);
  const bb =
    s.bBlocks &&
    makeBlocks(bShape[0], bShape[1], s.bBlocks.blockRows, s.bBlocks.blockCols, s.bBlocks.dtype, seed ^ 0xbb);
  const out = s.out ?? 'f32';
  const c0 = s.cInit === 'nan' ? new Float32Array(m * n).fill(Number.NaN) : values(seed ^ 0xc, m * n, 2);
  const biasHost = s.bias ? values(seed ^ 0xd, n, 1) : undefined;
  const expected = expectedGemm(s, A, B, aScale, bScale, ab, bb, c0, biasHost);

  const owned: DeviceTensor[] = [];
  const up = <D extends Parameters<Backend['upload']>[0]>(
    dtype: D,
    shape: number[],
    data: StorageArray<D>,
  ) => {
    const t = backend.upload(dtype, shape, data);
    owned.push(t);
    return t;
  };
  const a = up(s.a, aShape, A.data as StorageArray<typeof s.a>);
  const b = up(s.b, bShape, B.data as StorageArray<typeof s.b>);
  const c = out === 'f32' ? up('f32', [m, n], c0) : up(out, [m, n], new Uint8Array(m * n).fill(0x7f));
  const options: GemmOptions = { transA: s.transA, transB: s.transB, alpha: s.alpha, beta: s.beta };
  if (biasHost) options.bias = up('f32', [n], biasHost);
  if (useScales && s.a !== 'f32') {
    options.aScaleInv = s.scalesOnDevice ? up('f32', [1], new Float32Array([aScale])) : aScale;
  }
  if (useScales && s.b !== 'f32') {
    options.bScaleInv = s.scalesOnDevice ? up('f32', [1], new Float32Array([bScale])) : bScale;
  }
  const blocks = (x: Blocks): BlockScales => ({
    scaleInv: up(x.dtype, x.grid, x.data as StorageArray<typeof x.dtype>) as BlockScales['scaleInv'],
    blockRows: x.blockRows,
    blockCols: x.blockCols,
  });
  if (ab) options.aBlocks = blocks(ab);
  if (bb) options.bBlocks = blocks(bb);
  if (out !== 'f32') {
    options.outScale = s.outScale;
    options.saturate = s.saturate;
  }
  let amaxOut: DeviceTensor<'f32'> | undefined;
  if (s.amax) {
    amaxOut = up('f32', [3], new Float32Array([-1, -1, -1]));
    options.amaxOut = amaxOut;
    options.amaxIndex = 1;
  }
  try {
    backend.gemm(a, b, c, options);
    if (out === 'f32') checkF32((await backend.read(c)) as Float32Array, expected, n, 'C');
    else
      checkFp8(
        (await backend.read(c)) as Uint8Array,
        expected,
        n,
        out,
        s.outScale ?? 1,
        s.saturate ?? true,
        'C',
      );
    if (amaxOut !== undefined) {
      const am = await backend.read(amaxOut);
      if (am[0] !== -1 || am[2] !== -1)
        throw new ConformanceError('amaxOut: elements other than amaxIndex changed');
      checkAmax(am[1], expected, 'amaxOut[1]');
    }
  } finally {
    for (const t of owned) backend.dispose(t);
  }
}

const gemmCase = (s: Spec): ConformanceCase => ({
  op: 'gemm',
  name: describeSpec(s),
  run: (backend) => runGemm(backend, s),
});

// Every listed dtype combination, on odd shapes, with each transpose.
const COMBOS: [GemmInputDType, GemmInputDType][] = [
  ['f32', 'f32'],
  ['bf16', 'bf16'],
  ['f16', 'f16'],
  ['e4m3', 'e4m3'],
  ['e5m2', 'e4m3'],
  ['e4m3', 'e5m2'],
  ['f32', 'e4m3'],
  ['bf16', 'e5m2'],
];
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [17, 33, 65],
  [3, 70, 300],
];

const comboCases: ConformanceCase[] = COMBOS.flatMap(([a, b]) => [
  ...SHAPES.map(([m, n, k]) => gemmCase({ m, n, k, a, b })),
  gemmCase({ m: 17, n: 33, k: 65, a, b, transA: true }),
  gemmCase({ m: 17, n: 33, k: 65, a, b, transB: true }),
  gemmCase({ m: 17, n: 33, k: 65, a, b, transA: true, transB: true }),
]);

// Big enough for a fast path's blocking (K over 256), threads, and panel edges (M, N not multiples of 4, 8, 12, 16, 32).
const sizeCases: ConformanceCase[] = [
  gemmCase({ m: 150, n: 70, k: 520, a: 'f32', b: 'f32' }),
  gemmCase({ m: 130, n: 100, k: 300, a: 'e4m3', b: 'e4m3', transB: true }),
  gemmCase({ m: 130, n: 100, k: 300, a: 'e5m2', b: 'e4m3', transA: true }),
  gemmCase({ m: 5, n: 600, k: 700, a: 'bf16', b: 'e4m3', transB: true }),
  gemmCase({ m: 64, n: 64, k: 0, a: 'f32', b: 'f32', bias: true, beta: 0.5 }),
  gemmCase({ m: 0, n: 7, k: 3, a: 'e4m3', b: 'e4m3', amax: true }),
];

const epilogueCases: ConformanceCase[] = [
  gemmCase({ m: 17, n: 33, k: 65, a: 'f32', b: 'f32', alpha: -1.5, beta: 0.5 }),
  gemmCase({ m: 17, n: 33, k: 65, a: 'e4m3', b: 'e4m3', alpha: 0.25, beta: 1, bias: true, transB: true }),
  gemmCase({ m: 31, n: 45, k: 270, a: 'bf16', b: 'bf16', beta: 2, bias: true, amax: true }),
  gemmCase({ m: 17, n: 33, k: 65, a: 'f32', b: 'f32', cInit: 'nan', bias: true }),
  gemmCase({ m: 17, n: 33, k: 65, a: 'e4m3', b: 'e5m2', scalesOnDevice: true }),
  gemmCase({ m: 17, n: 33, k: 65, a: 'e4m3', b: 'e4m3', scales: false, amax: true }),
  gemmCase({ m: 13, n: 40, k: 50, a: 'e4m3', b: 'e5m2', specials: true, amax: true }),
  gemmCase({ m: 13, n: 40, k: 50, a: 'f32', b: 'f32', specials: true, transA: true }),
];

// Block scales over the stored layout: MX 1×32 (E8M0, along K for both operands, K not a multiple
// of 32), DeepSeek 1×128 activations × 128×128 weights (f32), mixed with per-tensor scales.
const blockCases: ConformanceCase[] = [
  gemmCase({
    m: 17,
    n: 33,
    k: 80,
    a: 'e4m3',
    b: 'e4m3',
    scales: false,
    aBlocks: { blockRows: 1, blockCols: 32, dtype: 'e8m0' },
    bBlocks: { blockRows: 32, blockCols: 1, dtype: 'e8m0' },
  }),
  gemmCase({
    m: 17,
    n: 33,
    k: 80,
    a: 'e5m2',
    b: 'e4m3',
    transB: true,
    scales: false,
    aBlocks: { blockRows: 1, blockCols: 32, dtype: 'e8m0' },
    bBlocks: { blockRows: 1, blockCols: 32, dtype: 'e8m0' },
  }),
  gemmCase({
    m: 40,
    n: 33,
    k: 96,
    a: 'e4m3',
    b: 'e4m3',
    transA: true,
    aBlocks: { blockRows: 32, blockCols: 1, dtype: 'e8m0' },
    bBlocks: { blockRows: 32, blockCols: 1, dtype: 'f32' },
  }),
  gemmCase({
    m: 20,
    n: 130,
    k: 300,
    a: 'e4m3',
    b: 'e4m3',
    transB: true,
    scales: false,
    aBlocks: { blockRows: 1, blockCols: 128, dtype: 'f32' },
    bBlocks: { blockRows: 128, blockCols: 128, dtype: 'f32' },
  }),
  gemmCase({
    m: 20,
    n: 130,
    k: 300,
    a: 'e4m3',
    b: 'e4m3',
    aBlocks: { blockRows: 1, blockCols: 128, dtype: 'f32' },
    bBlocks: { blockRows: 128, blockCols: 128, dtype: 'f32' },
    bias: true,
    amax: true,
  }),
  gemmCase({
    m: 9,
    n: 33,
    k: 65,
    a: 'f32',
    b: 'bf16',
    scales: false,
    aBlocks: { blockRows: 3, blockCols: 7, dtype: 'f32' },
    bBlocks: { blockRows: 5, blockCols: 2, dtype: 'e8m0' },
  }),
];

// FP8 outputs with outScale and fused amax (of the f32 result, before outScale).
const fp8OutCases: ConformanceCase[] = [
  gemmCase({ m: 17, n: 33, k: 65, a: 'e4m3', b: 'e4m3', out: 'e4m3', outScale: 37.5, amax: true }),
  gemmCase({
    m: 17,
    n: 33,
    k: 65,
    a: 'e5m2',
    b: 'e4m3',
    out: 'e5m2',
    outScale: 2 ** 10,
    amax: true,
    transB: true,
  }),
  gemmCase({ m: 17, n: 33, k: 65, a: 'f32', b: 'f32', out: 'e4m3', outScale: 600, amax: true, bias: true }),
  gemmCase({
    m: 17,
    n: 33,
    k: 65,
    a: 'bf16',
    b: 'bf16',
    out: 'e5m2',
    outScale: 3e4,
    saturate: false,
    amax: true,
  }),
  gemmCase({
    m: 130,
    n: 100,
    k: 300,
    a: 'e4m3',
    b: 'e4m3',
    transB: true,
    out: 'e4m3',
    outScale: 20,
    amax: true,
    aBlocks: { blockRows: 1, blockCols: 32, dtype: 'e8m0' },
    bBlocks: { blockRows: 1, blockCols: 32, dtype: 'e8m0' },
    scales: false,
  }),
];

const errorCases: ConformanceCase[] = [
  {
    op: 'gemm',
    name: 'gemm rejects bad arguments with the argument named',
    async run(backend) {
      const owned: DeviceTensor[] = [];
      const t = <D extends Parameters<Backend['alloc']>[0]>(dtype: D, shape: number[]) => {
        const x = backend.alloc(dtype, shape);
        owned.push(x);
        return x;
      };
      const a = t('e4m3', [4, 6]);
      const b = t('e4m3', [6, 5]);
      const c = t('f32', [4, 5]);
      const c8 = t('e4m3', [4, 5]);
      const g = (x: DeviceTensor, y: DeviceTensor, z: DeviceTensor, o?: GemmOptions) => () =>
        backend.gemm(x as never, y as never, z as never, o);
      try {
        expectThrows(g(t('e8m0', [4, 6]), b, c), TypeError, 'a:', 'A of dtype e8m0');
        expectThrows(g(a, t('i32', [6, 5]), c), TypeError, 'b:', 'B of dtype i32');
        expectThrows(g(a, b, t('bf16', [4, 5])), TypeError, 'c:', 'C of dtype bf16');
        expectThrows(g(t('f32', [24]), b, c), RangeError, 'a:', '1-D A');
        expectThrows(g(a, t('e4m3', [5, 5]), c), RangeError, 'b:', 'inner dimensions differ');
        expectThrows(g(a, b, c, { transB: true }), RangeError, 'b:', 'transB on a [6, 5] B');
        expectThrows(g(a, b, t('f32', [5, 4])), RangeError, 'c:', 'C of the wrong shape');
        expectThrows(g(a, b, c, { bias: t('f32', [4]) }), RangeError, 'bias:', 'bias of M elements');
        expectThrows(g(a, b, c, { alpha: Number.NaN }), RangeError, 'alpha:', 'NaN alpha');
        expectThrows(g(a, b, c8, { beta: 1 }), RangeError, 'beta:', 'beta with an FP8 output');
        expectThrows(g(a, b, c, { outScale: 2 }), RangeError, 'outScale:', 'outScale with an f32 output');
        expectThrows(g(a, b, c, { aScaleInv: -1 }), RangeError, 'aScaleInv:', 'negative scaleInv');
        expectThrows(g(a, b, c, { bScaleInv: t('f32', [2]) }), RangeError, 'bScaleInv:', 'two-element scale');
        expectThrows(
          g(a, b, c, { aBlocks: { scaleInv: t('e8m0', [4, 2]), blockRows: 1, blockCols: 32 } }),
          RangeError,
          'aBlocks.scaleInv:',
          'block grid of the wrong shape',
        );
        expectThrows(
          g(a, b, c, { bBlocks: { scaleInv: t('e4m3', [1, 5]) as never, blockRows: 32, blockCols: 1 } }),
          TypeError,
          'bBlocks.scaleInv:',
          'block scales of dtype e4m3',
        );
        expectThrows(
          g(a, b, c, { aBlocks: { scaleInv: t('f32', [4, 1]), blockRows: 1, blockCols: 0 } }),
          RangeError,
          'aBlocks.blockCols:',
          'zero block extent',
        );
        expectThrows(
          g(a, b, c, { amaxOut: t('f32', [2]), amaxIndex: 2 }),
          RangeError,
          'amaxIndex:',
          'amaxIndex outside',
        );
      } finally {
        for (const x of owned) backend.dispose(x);
      }
    },
  },
];

/** GEMM: every input dtype combination, transposes, alpha/beta/bias, per-tensor and block scales, FP8 outputs with amax. */
export const gemmCases: ConformanceCase[] = [
  ...comboCases,
  ...sizeCases,
  ...epilogueCases,
  ...blockCases,
  ...fp8OutCases,
  ...errorCases,
];
