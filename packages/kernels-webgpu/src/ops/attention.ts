import { attentionBackwardArgs, attentionForwardArgs, type DeviceTensor } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { gpuLayer, noAlias, scratch } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import {
  attentionBackwardKeyValueWgsl,
  attentionBackwardQueryWgsl,
  attentionWgsl,
  layerReduceWgsl,
  layerRowWgsl,
} from '../wgsl.generated.js';

const layout = uniformLayout({
  rows: 'u32',
  seq: 'u32',
  cols: 'u32',
  heads: 'u32',
  head_size: 'u32',
  scale: 'f32',
});
/** Threads per workgroup of the backward passes (a power of two, for the reduction). */
const BACKWARD_WG = 64;
/** Threads per workgroup of the dk/dv pass for heads of at most this many elements. */
const KV_SMALL_WG = 32;

/**
 * `attentionForward`: causal multi-head self-attention, GPT-2 layout. `att` gets the softmax of
 * `q·k/sqrt(hs)` over `t2 ≤ t` (row max subtracted) and 0 for `t2 > t`; `out` gets `att · v`.
 * Overwrites `out` and `att`. One workgroup per (b, h, t).
 */
export function attentionForward(
  ctx: GpuContext,
  qkv: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const { QKV, A, O, B, T, C, NH, hs } = attentionForwardArgs(gpuLayer, qkv, out, att, numHeads);
  noAlias(O, 'out', [[QKV, 'qkv']]);
  noAlias(A, 'att', [
    [QKV, 'qkv'],
    [O, 'out'],
  ]);
  const rows = B * NH * T;
  ctx.dispatch({
    key: 'attentionForward',
    code: () => `${layerReduceWgsl}\n${layerRowWgsl}\n${attentionWgsl}`,
    uniforms: layout,
    values: { rows, seq: T, cols: C, heads: NH, head_size: hs, scale: 1 / Math.sqrt(hs) },
    buffers: [...reads(QKV), ...writes(O, A)],
    workgroups: ctx.grid1d(rows, 1),
  });
}

/**
 * `attentionBackward` with the saved `att` (softmax backward in its O(T) form
 * `dpre = att·(datt - Σ att·datt)`). Accumulates into `dqkv`. Two passes, each the only writer of its
 * part of `dqkv`: one workgroup per (b, h, t) for dq, which also saves the row's `Σ att·datt` in a
 * pooled scratch buffer of B·NH·T floats, then one per (b, h, t2) for dk and dv.
 */
export function attentionBackward(
  ctx: GpuContext,
  dout: DeviceTensor<'f32'>,
  qkv: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  dqkv: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const args = attentionBackwardArgs(gpuLayer, dout, qkv, att, dqkv, numHeads);
  const { QKV, A, D, DQKV, B, T, C, NH, hs } = args;
  noAlias(DQKV, 'dqkv', [
    [D, 'dout'],
    [QKV, 'qkv'],
    [A, 'att'],
  ]);
  const rows = B * NH * T;
  if (rows === 0 || hs === 0) return;
  // Head elements per thread: dq, dk, dv accumulate in registers, IPT per thread.
  const ipt = Math.ceil(hs / BACKWARD_WG);
  const consts = `const WG: u32 = ${BACKWARD_WG}u;\nconst IPT: u32 = ${ipt}u;\n`;
  // The dk/dv pass has no reduction, and it sums over t in order whatever its workgroup size, so a
  // head of up to 32 elements takes 32 threads: with 64, half of them idled through its inner loop.
  const kvWg = hs <= KV_SMALL_WG ? KV_SMALL_WG : BACKWARD_WG;
  const kvIpt = Math.ceil(hs / kvWg);
  const kvConsts = `const WG: u32 = ${kvWg}u;\nconst IPT: u32 = ${kvIpt}u;\n`;
  const values = { rows, seq: T, cols: C, heads: NH, head_size: hs, scale: 1 / Math.sqrt(hs) };
  const dots = scratch(ctx, rows * 4);
  ctx.dispatch({
    key: `attentionBackward:query:${ipt}`,
    code: () => `${consts}${layerReduceWgsl}\n${layerRowWgsl}\n${attentionBackwardQueryWgsl}`,
    uniforms: layout,
    values,
    buffers: [...reads(D, QKV, A), ...writes(DQKV, dots)],
    workgroups: ctx.grid1d(rows, 1),
  });
  ctx.dispatch({
    key: `attentionBackward:keyValue:${kvWg}x${kvIpt}`,
    code: () => `${kvConsts}${layerRowWgsl}\n${attentionBackwardKeyValueWgsl}`,
    uniforms: layout,
    values,
    buffers: [...reads(D, QKV, A, dots), ...writes(DQKV)],
    workgroups: ctx.grid1d(rows, 1),
  });
  dots.done();
}
