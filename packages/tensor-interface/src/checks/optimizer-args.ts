import type { DeviceTensor, ScaleArg } from '../backend.js';
import type { DType } from '../dtype.js';
import type { ChunkDType } from '../ops/comm-ops.js';
import type { AdamWHyper, AdamWNextScales, AdamWTensors } from '../ops/optimizer-ops.js';
import { assertSameSize, checkIndex, type OwnTensor } from './tensor-args.js';

// The argument checks of the optimizer ops (`OptimizerOps`: fused AdamW, sumSquares) and of the
// gradient all-reduce's `CommOps.accumulateChunk`, in the reference backend's order.

/**
 * A backend's check of one scale argument, called where the reference checks it; its result is
 * passed through (the CPU reads the host value, a GPU only checks the tensor).
 */
export type AdamWScaleCheck<S> = (arg: ScaleArg | undefined, argument: string) => S;

/** Grouped second moments, checked: `count = ceil(n / size)` groups. */
export interface AdamWGroupsArgs<T extends DeviceTensor> {
  readonly size: number;
  readonly count: number;
  /** Per group: max of the group (f32, `count` elements). */
  readonly max: T;
  /** Per group: the expansion exponent (f32, `count` elements). */
  readonly exponent: T;
}

/** An AdamW state (`AdamWTensors`), checked: `n` elements in every tensor. */
export interface AdamWStateArgs<T extends DeviceTensor, S> {
  readonly n: number;
  readonly master: T;
  readonly grad: T;
  readonly m: T;
  readonly v: T;
  readonly masterScaleInv: S;
  readonly gradScaleInv: S;
  readonly mScaleInv: S;
  readonly vScaleInv: S;
  readonly groups: AdamWGroupsArgs<T> | undefined;
}

function sameSize<T extends DeviceTensor>(t: T, n: number, name: string): T {
  if (t.size !== n) throw new RangeError(`${name}: expected ${n} elements like master, found ${t.size}`);
  return t;
}

const MASTER_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16'];
const GRAD_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'e4m3', 'e5m2'];
const MOMENT_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'e4m3'];

/**
 * Checks an AdamW state: dtypes, one size for all, the four scale-inverses (through `scale`) and,
 * for grouped v, an e4m3 `v`, a positive integer group size and one max and exponent per group.
 */
export function adamwStateArgs<T extends DeviceTensor, S>(
  own: OwnTensor<T>,
  t: AdamWTensors,
  scale: AdamWScaleCheck<S>,
): AdamWStateArgs<T, S> {
  const master = own(t.master, 'master', MASTER_DTYPES);
  const n = master.size;
  const grad = sameSize(own(t.grad, 'grad', GRAD_DTYPES), n, 'grad');
  const m = sameSize(own(t.m, 'm', MOMENT_DTYPES), n, 'm');
  const v = sameSize(own(t.v, 'v', MOMENT_DTYPES), n, 'v');
  const masterScaleInv = scale(t.masterScaleInv, 'masterScaleInv');
  const gradScaleInv = scale(t.gradScaleInv, 'gradScaleInv');
  const mScaleInv = scale(t.mScaleInv, 'mScaleInv');
  const vScaleInv = scale(t.vScaleInv, 'vScaleInv');
  let groups: AdamWGroupsArgs<T> | undefined;
  if (t.vGroups !== undefined) {
    const { groupSize } = t.vGroups;
    if (v.dtype !== 'e4m3') throw new TypeError(`v: grouped second moments are e4m3, found ${v.dtype}`);
    if (!Number.isSafeInteger(groupSize) || groupSize < 1) {
      throw new RangeError(`vGroups.groupSize: expected a positive integer, found ${groupSize}`);
    }
    const count = Math.ceil(n / groupSize);
    const max = own(t.vGroups.groupMax, 'vGroups.groupMax', ['f32']);
    const exponent = own(t.vGroups.exponent, 'vGroups.exponent', ['f32']);
    sameSize(max, count, 'vGroups.groupMax (one per group)');
    sameSize(exponent, count, 'vGroups.exponent (one per group)');
    groups = { size: groupSize, count, max, exponent };
  }
  return { n, master, grad, m, v, masterScaleInv, gradScaleInv, mScaleInv, vScaleInv, groups };
}

/** AdamW's hyperparameters, checked, with the defaults and the bias corrections resolved (f64). */
export interface AdamWHyperArgs {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  /** `1 - beta1^step`, or 1 without bias correction. */
  readonly correction1: number;
  /** `1 - beta2^step`, or 1 without bias correction. */
  readonly correction2: number;
  readonly gradMultiplier: number;
}

/**
 * Checks AdamW's hyperparameters: a positive integer step, betas in [0, 1 - 2^-30] (so the bias
 * corrections stay non-zero), non-negative finite lr, eps, weightDecay and gradMultiplier.
 */
export function adamwHyperArgs(h: AdamWHyper): AdamWHyperArgs {
  const finite = (name: keyof AdamWHyper, lo: number, hi: number) => {
    const x = h[name] as number;
    if (typeof x !== 'number' || !(x >= lo && x <= hi)) {
      throw new RangeError(`${name}: expected a number in [${lo}, ${hi}], found ${String(x)}`);
    }
    return x;
  };
  const step = finite('step', 1, Number.MAX_SAFE_INTEGER);
  if (!Number.isInteger(step)) throw new RangeError(`step: expected a positive integer, found ${step}`);
  const beta1 = finite('beta1', 0, 1 - 2 ** -30);
  const beta2 = finite('beta2', 0, 1 - 2 ** -30);
  const correct = h.biasCorrection ?? true;
  return {
    lr: finite('lr', 0, Number.MAX_VALUE),
    beta1,
    beta2,
    eps: finite('eps', 0, Number.MAX_VALUE),
    weightDecay: finite('weightDecay', 0, Number.MAX_VALUE),
    decoupled: h.decoupled ?? true,
    correction1: correct ? 1 - beta1 ** step : 1,
    correction2: correct ? 1 - beta2 ** step : 1,
    gradMultiplier: h.gradMultiplier === undefined ? 1 : finite('gradMultiplier', 0, Number.MAX_VALUE),
  };
}

/**
 * Checks `adamwStats`' outputs: f32 `stats` of at least 3 elements and, when v is grouped (in
 * `groupCount` groups), the required f32 `groupStats` of 2 elements per group.
 */
export function adamwStatsArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  stats: DeviceTensor,
  groupStats: DeviceTensor | undefined,
  groupCount: number | undefined,
): { readonly stats: T; readonly groupStats: T | undefined } {
  const out = own(stats, 'stats', ['f32']);
  if (out.size < 3)
    throw new RangeError(`stats: expected at least 3 elements (master, m, v), found ${out.size}`);
  if (groupCount === undefined) return { stats: out, groupStats: undefined };
  if (groupStats === undefined) throw new TypeError('groupStats: required when v is grouped');
  const gs = sameSize(own(groupStats, 'groupStats', ['f32']), 2 * groupCount, 'groupStats (2 per group)');
  return { stats: out, groupStats: gs };
}

/** `adamwApply`'s next scales, checked. */
export interface AdamWNextArgs<T extends DeviceTensor, S> {
  readonly masterScale: S;
  readonly mScale: S;
  readonly vScale: S;
  /** Only for grouped v: `adamwStats`' group statistics, 2 per group. */
  readonly groupStats: T | undefined;
}

/**
 * Checks `adamwApply`'s next scales (through `scale`) and, when v is grouped (in `groupCount`
 * groups), the required f32 `next.groupStats` of 2 elements per group.
 */
export function adamwNextArgs<T extends DeviceTensor, S>(
  own: OwnTensor<T>,
  next: AdamWNextScales,
  groupCount: number | undefined,
  scale: AdamWScaleCheck<S>,
): AdamWNextArgs<T, S> {
  const masterScale = scale(next.masterScale, 'masterScale');
  const mScale = scale(next.mScale, 'mScale');
  const vScale = scale(next.vScale, 'vScale');
  let groupStats: T | undefined;
  if (groupCount !== undefined) {
    if (next.groupStats === undefined) throw new TypeError('next.groupStats: required when v is grouped');
    groupStats = sameSize(
      own(next.groupStats, 'next.groupStats', ['f32']),
      2 * groupCount,
      'next.groupStats',
    );
  }
  return { masterScale, mScale, vScale, groupStats };
}

/**
 * Checks `sumSquares`' tensors: `x` of any float or code dtype (not i32), f32 `out` and `index`
 * into it. The scale is the backend's to check.
 */
export function optimizerSumSquaresArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  x: DeviceTensor,
  out: DeviceTensor,
  index: number,
): { readonly x: T; readonly out: T } {
  const t = own(x, 'x');
  if (t.dtype === 'i32') throw new TypeError('x: expected a float or code dtype, found i32');
  const o = own(out, 'out', ['f32']);
  checkIndex(index, o.size, 'index');
  return { x: t, out: o };
}

const CHUNK_DTYPES: readonly ChunkDType[] = ['f32', 'f16', 'bf16', 'e4m3', 'e5m2'];

/**
 * Checks `accumulateChunk`'s tensors: a `chunk` of a {@link ChunkDType} and an f32 `acc` with the
 * same number of elements. The scale is the backend's to check.
 */
export function commAccumulateChunkArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  chunk: DeviceTensor,
  acc: DeviceTensor,
): { readonly chunk: T; readonly acc: T } {
  const c = own(chunk, 'chunk', CHUNK_DTYPES);
  const a = own(acc, 'acc', ['f32']);
  assertSameSize(c, a, 'chunk, acc');
  return { chunk: c, acc: a };
}
