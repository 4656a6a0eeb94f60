import { decodeTable, dequantize, encodeTable, quantize } from '@fp8lm/fp8-format';
import {
  type AdamWHyper,
  type AdamWHyperArgs,
  type AdamWNextScales,
  type AdamWStateArgs,
  type AdamWTensors,
  adamwHyperArgs,
  adamwNextArgs,
  adamwStateArgs,
  adamwStatsArgs,
  type CodeDType,
  type DeviceTensor,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { expansionExponent, hostScale } from '../ops/adamw.js';
import {
  CAST_BF16,
  CAST_F16,
  CAST_F32,
  CAST_TABLE8,
  type NativeMomentGroups,
  type NativeStateTensor,
  requireNative,
} from './native.js';

// Fast paths of the fused AdamW stages: the reference's update (src/ops/adamw.ts) expression for
// expression in the addon, on every core, with fp8-format's decode and encode tables and integer
// casts, so stats and codes are the reference's bit for bit. Grouped second moments (O2+fp8v) take
// the C library's pow where the reference has JavaScript's: the same up to pow's last bit, which
// rounding to float32 almost always hides.

const EMPTY_F32 = new Float32Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_U16 = new Uint16Array(0);

/**
 * A state tensor for the addon. Code dtypes take their scales as fp8-format's codec does (checked,
 * rounded to float32: the codec is asked, on empty arrays, so the rules and messages are its own);
 * f32 takes them as they are, as the reference's f32 loads and stores do.
 */
function stateTensor(t: CpuTensor, scaleInv: number, scale: number, n: number): NativeStateTensor {
  // adamwStateArgs admits f32 and code dtypes only: never an Int32Array.
  const data = t.data as Float32Array | Uint16Array | Uint8Array;
  if (t.dtype === 'f32') return { data, decode: null, scaleInv, cast: CAST_F32, encode: null, scale };
  const dtype = t.dtype as CodeDType;
  const wide = data instanceof Uint16Array;
  if (n > 0) {
    // The reference checks a scale only where it uses one: on a non-empty tensor.
    dequantize(dtype, wide ? EMPTY_U16 : EMPTY_U8, EMPTY_F32, { scaleInv });
    quantize(dtype, EMPTY_F32, wide ? EMPTY_U16 : EMPTY_U8, { scale });
  }
  const cast = dtype === 'f16' ? CAST_F16 : dtype === 'bf16' ? CAST_BF16 : CAST_TABLE8;
  return {
    data,
    decode: decodeTable(dtype),
    scaleInv: Math.fround(scaleInv),
    cast,
    encode: cast === CAST_TABLE8 ? encodeTable(dtype, true) : null,
    scale: Math.fround(scale),
  };
}

function hyperArray(h: AdamWHyperArgs): Float64Array {
  return Float64Array.of(
    h.lr,
    h.beta1,
    h.beta2,
    h.eps,
    h.weightDecay,
    h.correction1,
    h.correction2,
    h.gradMultiplier,
    h.decoupled ? 1 : 0,
  );
}

/** The addon's call for one stage; `scales` are stage 2's next scales (1 for stage 1). */
function run(
  r: AdamWStateArgs<CpuTensor, number>,
  h: AdamWHyperArgs,
  scales: { master: number; m: number; v: number },
  stats: Float32Array | null,
  groups: NativeMomentGroups | null,
): void {
  requireNative().adamw(
    stats === null,
    r.n,
    stateTensor(r.master, r.masterScaleInv, scales.master, r.n),
    stateTensor(r.grad, r.gradScaleInv, 1, r.n),
    stateTensor(r.m, r.mScaleInv, scales.m, r.n),
    // A grouped v is read and written at scale 1 (its groups scale it).
    r.groups ? stateTensor(r.v, 1, 1, r.n) : stateTensor(r.v, r.vScaleInv, scales.v, r.n),
    hyperArray(h),
    stats,
    groups,
  );
}

const f32 = (t: CpuTensor) => t.data as Float32Array;

/** Fast `adamwStats`; see the reference for the contract. */
export function adamwStatsFast(
  tensors: AdamWTensors,
  hyper: AdamWHyper,
  stats: DeviceTensor<'f32'>,
  groupStats?: DeviceTensor<'f32'>,
): void {
  // The reference's checks, in its order: state, hyperparameters, outputs.
  const r = adamwStateArgs(asCpu, tensors, hostScale);
  const h = adamwHyperArgs(hyper);
  const out = adamwStatsArgs(asCpu, stats, groupStats, r.groups?.count);
  const g = r.groups;
  const groups =
    g && out.groupStats
      ? { size: g.size, max: f32(g.max), exponent: f32(g.exponent), stats: f32(out.groupStats) }
      : null;
  run(r, h, { master: 1, m: 1, v: 1 }, f32(out.stats), groups);
}

/** Fast `adamwApply`; see the reference for the contract. */
export function adamwApplyFast(tensors: AdamWTensors, hyper: AdamWHyper, next: AdamWNextScales): void {
  const r = adamwStateArgs(asCpu, tensors, hostScale);
  const h = adamwHyperArgs(hyper);
  const s = adamwNextArgs(asCpu, next, r.groups?.count, hostScale);
  const g = r.groups;
  let groups: NativeMomentGroups | null = null;
  if (g && s.groupStats) {
    // Each group's next max and exponent, from stage 1's stats, as the reference derives them.
    const gs = f32(s.groupStats);
    const nextMax = new Float32Array(g.count);
    const nextExponent = new Float32Array(g.count);
    for (let k = 0; k < g.count; k++) {
      nextMax[k] = gs[2 * k];
      nextExponent[k] = expansionExponent(gs[2 * k], gs[2 * k + 1]);
    }
    groups = { size: g.size, max: f32(g.max), exponent: f32(g.exponent), nextMax, nextExponent };
    run(r, h, { master: s.masterScale, m: s.mScale, v: 1 }, null, groups);
    f32(g.max).set(nextMax);
    f32(g.exponent).set(nextExponent);
    return;
  }
  run(r, h, { master: s.masterScale, m: s.mScale, v: s.vScale }, null, null);
}
