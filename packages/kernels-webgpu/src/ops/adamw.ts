import { E4M3 } from '@fp8lm/fp8-format';
import {
  type AdamWHyper,
  type AdamWNextScales,
  type AdamWStateArgs,
  type AdamWTensors,
  adamwHyperArgs,
  adamwNextArgs,
  adamwStateArgs,
  adamwStatsArgs,
  type DeviceTensor,
  type DType,
  type ScaleArg,
} from '@fp8lm/tensor-interface';
import { type BufferBinding, type BufferSlice, type GpuContext, reads, writes } from '../context.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu, type WebGpuTensor } from '../webgpu-tensor.js';
import { adamwApplyWgsl, adamwGroupsWgsl, adamwStatsWgsl, momentIoWgsl } from '../wgsl.generated.js';

/** Cap on the range-expansion exponent of grouped v (kernels-cpu's MAX_EXPANSION). */
const MAX_EXPANSION = 16;
const WORKGROUP = 64;

/** The dtype codes of moment-io.wgsl (DT_*). */
const DTYPE_CODE: Partial<Record<DType, number>> = { f32: 0, f16: 1, bf16: 2, e4m3: 3, e5m2: 4 };

// Every hyperparameter travels as an f32 pair hi + lo (the f64 value to ~48 bits) for the double-f32
// update in moment-io.wgsl.
const PAIRS = ['b1', 'omb1', 'b2', 'omb2', 'c1', 'c2', 'lr', 'wd', 'eps', 'mul'] as const;
type Pair = (typeof PAIRS)[number];
type PairField = `${Pair}_hi` | `${Pair}_lo`;

const stageLayout = uniformLayout({
  n: 'u32',
  group_size: 'u32',
  group_count: 'u32',
  decoupled: 'u32',
  // 1.0, unknown to the shader compiler: see `fence` in moment-io.wgsl.
  one: 'f32',
  ...(Object.fromEntries(PAIRS.flatMap((p) => [`${p}_hi`, `${p}_lo`].map((f) => [f, 'f32']))) as Record<
    PairField,
    'f32'
  >),
});
type StageField = Parameters<typeof stageLayout.pack>[0];

const groupsLayout = uniformLayout({ count: 'u32', phase: 'u32' });

/** The checked state; scale-inverses stay on the device (checked by `checkScale`). */
type Resolved = AdamWStateArgs<WebGpuTensor, void>;

/** A scale tensor must be a WebGPU f32 tensor here; its one-element check is ctx.scalars'. */
function checkScale(arg: ScaleArg | undefined, name: string): void {
  if (arg !== undefined && typeof arg !== 'number') asGpu(arg, name, ['f32']);
}

function resolve(t: AdamWTensors): Resolved {
  return adamwStateArgs(asGpu, t, checkScale);
}

/** The contract's `adamwHyperArgs`, as the uniform values of the stage shaders (f64 → hi/lo f32 pairs). */
function hyperValues(hyper: AdamWHyper, r: Resolved): StageField {
  const h = adamwHyperArgs(hyper);
  const f64: Record<Pair, number> = {
    lr: h.lr,
    b1: h.beta1,
    omb1: 1 - h.beta1,
    b2: h.beta2,
    omb2: 1 - h.beta2,
    eps: h.eps,
    wd: h.weightDecay,
    c1: h.correction1,
    c2: h.correction2,
    mul: h.gradMultiplier,
  };
  const values = {
    n: r.n,
    group_size: r.groups?.size ?? 1,
    group_count: r.groups?.count ?? 0,
    decoupled: h.decoupled ? 1 : 0,
    one: 1,
  } as StageField;
  for (const p of PAIRS) {
    const hi = Math.fround(f64[p]);
    values[`${p}_hi`] = hi;
    values[`${p}_lo`] = f64[p] - hi;
  }
  return values;
}

/** Throws unless `written` shares its buffer with none of `others` (WebGPU forbids that aliasing). */
function checkDistinct(written: [string, WebGpuTensor], others: [string, WebGpuTensor | undefined][]): void {
  for (const [name, t] of others) {
    if (t !== undefined && t.storage === written[1].storage) {
      throw new RangeError(`${written[0]}: must not share its storage with ${name}`);
    }
  }
}

/** The shader text of one stage: dtype and layout constants, moment-io.wgsl, the stage's code. */
function stageCode(r: Resolved, stageWgsl: string): string {
  const consts = [
    `const MASTER_T: u32 = ${DTYPE_CODE[r.master.dtype]}u;`,
    `const GRAD_T: u32 = ${DTYPE_CODE[r.grad.dtype]}u;`,
    `const M_T: u32 = ${DTYPE_CODE[r.m.dtype]}u;`,
    `const V_T: u32 = ${DTYPE_CODE[r.v.dtype]}u;`,
    `const GROUPED: bool = ${r.groups !== undefined};`,
    `const E4M3_MAX: f32 = ${E4M3.maxFinite}.0;`,
  ];
  return `${consts.join('\n')}\n${momentIoWgsl}\n${stageWgsl}`;
}

function groupsCode(): string {
  const logRange = Math.fround(Math.log(E4M3.maxFinite / E4M3.minNormal));
  const bits = new Uint32Array(new Float32Array([logRange]).buffer)[0];
  return [
    `const MAX_EXPANSION: f32 = ${MAX_EXPANSION}.0;`,
    // ln(E4M3 normal range) as bits: a decimal literal could round differently in the compiler.
    `const LOG_E4M3_RANGE: f32 = bitcast<f32>(${bits}u);`,
    adamwGroupsWgsl,
  ].join('\n');
}

function stageKey(stage: string, r: Resolved): string {
  return `adamw-${stage}:${r.master.dtype}:${r.grad.dtype}:${r.m.dtype}:${r.v.dtype}:${r.groups ? 'grouped' : 'plain'}`;
}

function dispatchGroups(ctx: GpuContext, count: number, phase: 0 | 1, stats: GPUBuffer, out: GPUBuffer) {
  ctx.dispatch({
    key: 'adamw-groups',
    code: groupsCode,
    uniforms: groupsLayout,
    values: { count, phase },
    buffers: writes(stats, out),
    workgroups: ctx.grid1d(count, WORKGROUP),
  });
}

/**
 * Records one stage shader over the state: bindings 1..7 are master, grad, m, v (written in place by
 * 'apply'), the scalars and the old group scaling (the scalars stand in when v is not grouped), then
 * the stage's own `extra` bindings.
 */
function dispatchStage(
  ctx: GpuContext,
  stage: 'stats' | 'apply',
  r: Resolved,
  values: StageField,
  scalars: BufferSlice,
  extra: BufferBinding[],
): void {
  const state = stage === 'apply' ? 'read_write' : 'read';
  ctx.dispatch({
    key: stageKey(stage, r),
    code: () => stageCode(r, stage === 'apply' ? adamwApplyWgsl : adamwStatsWgsl),
    uniforms: stageLayout,
    values,
    buffers: [
      { buffer: r.master.buffer, access: state },
      { buffer: r.grad.buffer, access: 'read' },
      { buffer: r.m.buffer, access: state },
      { buffer: r.v.buffer, access: state },
      ...reads(scalars, r.groups?.max ?? scalars, r.groups?.exponent ?? scalars),
      ...extra,
    ],
    workgroups: ctx.grid1d(Math.ceil(r.n / 4), WORKGROUP),
  });
}

/**
 * `adamwStats`, stage 1 of the fused AdamW: recomputes the update of every element (in double-f32,
 * so f32 results match the f64 reference) without writing state; `max |x|` of the new master, m and v
 * into `stats[0..2]` (NaN if any is NaN) and, for grouped v, each group's `[max, smallest non-zero]`
 * into `groupStats`.
 */
export function adamwStats(
  ctx: GpuContext,
  tensors: AdamWTensors,
  hyper: AdamWHyper,
  stats: DeviceTensor<'f32'>,
  groupStats?: DeviceTensor<'f32'>,
): void {
  const r = resolve(tensors);
  const values = hyperValues(hyper, r);
  const { stats: out, groupStats: gs } = adamwStatsArgs(asGpu, stats, groupStats, r.groups?.count);
  const inputs: [string, WebGpuTensor | undefined][] = [
    ['master', r.master],
    ['grad', r.grad],
    ['m', r.m],
    ['v', r.v],
    ['vGroups.groupMax', r.groups?.max],
    ['vGroups.exponent', r.groups?.exponent],
  ];
  checkDistinct(['stats', out], inputs);
  if (gs) checkDistinct(['groupStats', gs], [...inputs, ['stats', out]]);

  ctx.encoder.clearBuffer(out.buffer, 0, 12);
  if (gs && r.groups) ctx.encoder.clearBuffer(gs.buffer, 0, 8 * r.groups.count);
  const scalars = ctx.scalars(
    [tensors.masterScaleInv, tensors.gradScaleInv, tensors.mScaleInv, r.groups ? 1 : tensors.vScaleInv],
    ['masterScaleInv', 'gradScaleInv', 'mScaleInv', 'vScaleInv'],
  );
  dispatchStage(ctx, 'stats', r, values, scalars, writes(out, gs ?? ctx.standIn('read_write')));
  // The smallest non-zero slots were reduced as complemented bits: back to values.
  if (gs && r.groups) dispatchGroups(ctx, r.groups.count, 0, gs.buffer, ctx.standIn('read_write'));
}

/**
 * `adamwApply`, stage 2: recomputes the stage-1 update and writes master, m and v in place with the
 * next scales; for grouped v, derives each group's max and exponent from `next.groupStats`, encodes
 * `y^k · maxFinite` and writes them to `vGroups` (after the old ones have been read).
 */
export function adamwApply(
  ctx: GpuContext,
  tensors: AdamWTensors,
  hyper: AdamWHyper,
  next: AdamWNextScales,
): void {
  const r = resolve(tensors);
  const values = hyperValues(hyper, r);
  const { groupStats: gs } = adamwNextArgs(asGpu, next, r.groups?.count, checkScale);
  const inputs: [string, WebGpuTensor | undefined][] = [
    ['grad', r.grad],
    ['vGroups.groupMax', r.groups?.max],
    ['vGroups.exponent', r.groups?.exponent],
  ];
  checkDistinct(['master', r.master], [...inputs, ['m', r.m], ['v', r.v]]);
  checkDistinct(['m', r.m], [...inputs, ['v', r.v]]);
  checkDistinct(['v', r.v], inputs);

  // New group max and exponent first, into a scratch [max.., k..] (pooled: it spans dispatches).
  let fresh: GPUBuffer | undefined;
  if (gs && r.groups) {
    fresh = ctx.pool.acquire(Math.max(16, 8 * r.groups.count)).buffer;
    dispatchGroups(ctx, r.groups.count, 1, gs.buffer, fresh);
  }
  const scalars = ctx.scalars(
    [
      tensors.masterScaleInv,
      tensors.gradScaleInv,
      tensors.mScaleInv,
      r.groups ? 1 : tensors.vScaleInv,
      next.masterScale,
      next.mScale,
      r.groups ? 1 : next.vScale,
    ],
    ['masterScaleInv', 'gradScaleInv', 'mScaleInv', 'vScaleInv', 'masterScale', 'mScale', 'vScale'],
  );
  dispatchStage(ctx, 'apply', r, values, scalars, reads(fresh ?? scalars));
  if (fresh && r.groups) {
    const bytes = 4 * r.groups.count;
    ctx.encoder.copyBufferToBuffer(fresh, 0, r.groups.max.buffer, 0, bytes);
    ctx.encoder.copyBufferToBuffer(fresh, bytes, r.groups.exponent.buffer, 0, bytes);
    ctx.pool.release(fresh);
  }
}
