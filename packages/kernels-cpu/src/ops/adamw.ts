import { E4M3 } from '@fp8lm/fp8-format';
import {
  type AdamWHyper,
  type AdamWHyperArgs,
  type AdamWNextScales,
  type AdamWTensors,
  adamwHyperArgs,
  adamwNextArgs,
  adamwStateArgs,
  adamwStatsArgs,
  type DeviceTensor,
  type ScaleArg,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';
import { CHUNK, E4M3_NORMAL_RANGE, loadChunk, storeChunk } from './chunks.js';

/** Cap on the range-expansion exponent: a group whose values are nearly equal needs no more. */
export const MAX_EXPANSION = 16;

interface Groups {
  size: number;
  max: Float32Array;
  exponent: Float32Array;
}

/** The checked state: tensors as CPU tensors, scale-inverses as host numbers (1 when absent). */
interface Resolved {
  n: number;
  master: CpuTensor;
  grad: CpuTensor;
  m: CpuTensor;
  v: CpuTensor;
  masterScaleInv: number;
  gradScaleInv: number;
  mScaleInv: number;
  vScaleInv: number;
  groups?: Groups;
}

/** A scale argument's host value, 1 when absent (the checks of the contract's adamw*Args). */
export const hostScale = (arg: ScaleArg | undefined, argument: string) => scaleValue(arg, argument) ?? 1;

function resolve(t: AdamWTensors): Resolved {
  const { groups, ...r } = adamwStateArgs(asCpu, t, hostScale);
  if (groups === undefined) return r;
  const max = groups.max.data as Float32Array;
  const exponent = groups.exponent.data as Float32Array;
  return { ...r, groups: { size: groups.size, max, exponent } };
}

/** Scratch chunks for the streaming update (the CPU backend runs one op at a time). */
const bufs = {
  g: new Float32Array(CHUNK),
  p: new Float32Array(CHUNK),
  m: new Float32Array(CHUNK),
  v: new Float32Array(CHUNK),
};

/** Calls `fn(group, from, to)` for each run of chunk indices `[from, to)` inside one group. */
function forEachGroupRun(
  size: number,
  start: number,
  len: number,
  fn: (group: number, from: number, to: number) => void,
): void {
  for (let i = 0; i < len; ) {
    const group = Math.floor((start + i) / size);
    const to = Math.min(len, (group + 1) * size - start);
    fn(group, i, to);
    i = to;
  }
}

/** Loads a grouped E4M3 moment: `v = groupMax · (decode(q) / maxFinite)^(1/k)`. */
function loadGrouped(r: Resolved, groups: Groups, start: number, len: number, dst: Float32Array): void {
  loadChunk(r.v, start, len, 1, dst);
  forEachGroupRun(groups.size, start, len, (g, from, to) => {
    const max = groups.max[g];
    const inv = 1 / groups.exponent[g];
    for (let i = from; i < to; i++) {
      const y = dst[i] / E4M3.maxFinite;
      dst[i] = y === 0 ? 0 : max * y ** inv;
    }
  });
}

/** The new master, m and v of `[start, start+len)` into the scratch chunks; writes no state. */
function computeChunk(r: Resolved, h: AdamWHyperArgs, start: number, len: number): void {
  const { g, p, m, v } = bufs;
  loadChunk(r.grad, start, len, r.gradScaleInv, g);
  loadChunk(r.master, start, len, r.masterScaleInv, p);
  loadChunk(r.m, start, len, r.mScaleInv, m);
  if (r.groups) loadGrouped(r, r.groups, start, len, v);
  else loadChunk(r.v, start, len, r.vScaleInv, v);
  const { lr, beta1, beta2, eps, weightDecay, decoupled, correction1, correction2, gradMultiplier } = h;
  for (let i = 0; i < len; i++) {
    const p0 = p[i];
    let gi = g[i] * gradMultiplier;
    if (!decoupled) gi += weightDecay * p0;
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    const update = mi / correction1 / (Math.sqrt(vi / correction2) + eps);
    p[i] = p0 - lr * (update + (decoupled ? weightDecay * p0 : 0));
    m[i] = mi;
    v[i] = vi;
  }
}

/** Backend op, stage 1: amaxes of the new state (and per-group v statistics) without writing state. */
export function adamwStats(
  tensors: AdamWTensors,
  hyper: AdamWHyper,
  stats: DeviceTensor<'f32'>,
  groupStats?: DeviceTensor<'f32'>,
): void {
  const r = resolve(tensors);
  const h = adamwHyperArgs(hyper);
  const outputs = adamwStatsArgs(asCpu, stats, groupStats, r.groups?.max.length);
  const out = outputs.stats.data as Float32Array;
  const gs = outputs.groupStats?.data as Float32Array | undefined;
  if (gs) {
    for (let k = 0; k < gs.length; k += 2) {
      gs[k] = 0;
      gs[k + 1] = Number.POSITIVE_INFINITY;
    }
  }
  let ap = 0;
  let am = 0;
  let av = 0;
  const { p, m, v } = bufs;
  for (let start = 0; start < r.n; start += CHUNK) {
    const len = Math.min(CHUNK, r.n - start);
    computeChunk(r, h, start, len);
    for (let i = 0; i < len; i++) {
      ap = Math.max(ap, Math.abs(p[i]));
      am = Math.max(am, Math.abs(m[i]));
      av = Math.max(av, Math.abs(v[i]));
    }
    if (gs && r.groups) {
      const stats = gs;
      forEachGroupRun(r.groups.size, start, len, (g, from, to) => {
        let max = stats[2 * g];
        let min = stats[2 * g + 1];
        for (let i = from; i < to; i++) {
          const x = v[i];
          max = Math.max(max, x);
          if (x > 0 && x < min) min = x;
        }
        stats[2 * g] = max;
        stats[2 * g + 1] = min;
      });
    }
  }
  if (gs) for (let k = 1; k < gs.length; k += 2) if (gs[k] === Number.POSITIVE_INFINITY) gs[k] = 0;
  out[0] = ap;
  out[1] = am;
  out[2] = av;
}

/**
 * The range-expansion exponent for a group with this max and smallest non-zero value: the k that
 * maps the group's range onto E4M3's normal range, capped at {@link MAX_EXPANSION}; 1 for
 * degenerate groups. Below 1 it compresses a group whose range exceeds E4M3's.
 */
export function expansionExponent(max: number, minNonZero: number): number {
  if (!(max > 0) || !(minNonZero > 0) || !(max > minNonZero) || !Number.isFinite(max)) return 1;
  return Math.fround(Math.min(MAX_EXPANSION, Math.log(E4M3_NORMAL_RANGE) / Math.log(max / minNonZero)));
}

/** Backend op, stage 2: recomputes the update and requantizes master, m and v with the new scales. */
export function adamwApply(tensors: AdamWTensors, hyper: AdamWHyper, next: AdamWNextScales): void {
  const r = resolve(tensors);
  const h = adamwHyperArgs(hyper);
  const { masterScale, mScale, vScale, groupStats } = adamwNextArgs(
    asCpu,
    next,
    r.groups?.max.length,
    hostScale,
  );
  let newMax: Float32Array | undefined;
  let newExp: Float32Array | undefined;
  if (r.groups && groupStats) {
    const gs = groupStats.data as Float32Array;
    const count = r.groups.max.length;
    newMax = new Float32Array(count);
    newExp = new Float32Array(count);
    for (let g = 0; g < count; g++) {
      newMax[g] = gs[2 * g];
      newExp[g] = expansionExponent(gs[2 * g], gs[2 * g + 1]);
    }
  }
  const { p, m, v } = bufs;
  for (let start = 0; start < r.n; start += CHUNK) {
    const len = Math.min(CHUNK, r.n - start);
    computeChunk(r, h, start, len);
    storeChunk(r.master, start, len, masterScale, p);
    storeChunk(r.m, start, len, mScale, m);
    if (r.groups && newMax && newExp) {
      const mx = newMax;
      const ex = newExp;
      forEachGroupRun(r.groups.size, start, len, (g, from, to) => {
        const max = mx[g];
        const k = ex[g];
        for (let i = from; i < to; i++) v[i] = max > 0 ? (v[i] / max) ** k * E4M3.maxFinite : 0;
      });
      storeChunk(r.v, start, len, 1, v);
    } else {
      storeChunk(r.v, start, len, vScale, v);
    }
  }
  if (r.groups && newMax && newExp) {
    r.groups.max.set(newMax);
    r.groups.exponent.set(newExp);
  }
}
