import { amax as amaxHost, dequantize as dequantizeHost, quantize as quantizeHost } from '@fp8lm/fp8-format';
import {
  type DeviceTensor,
  type GemmInputDType,
  type GemmOperandArgs,
  type GemmOptions,
  type GemmOutputDType,
  gemmArgs,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';

/** Block scales resolved to a float32 grid over the stored layout. */
export interface ResolvedBlocks {
  /** `scaleInv[gr * gridCols + gc]`, E8M0 codes already turned into powers of two. */
  readonly scaleInv: Float32Array;
  readonly blockRows: number;
  readonly blockCols: number;
  readonly gridRows: number;
  readonly gridCols: number;
}

/** One GEMM input, checked: its stored layout `[rows, cols]`, codes and scales. */
export interface GemmOperand {
  readonly dtype: GemmInputDType;
  readonly data: Float32Array | Uint16Array | Uint8Array;
  /** Used transposed (`transA` / `transB`). */
  readonly trans: boolean;
  readonly rows: number;
  readonly cols: number;
  /** Per-tensor multiplier (1 when none was given). */
  readonly scaleInv: number;
  readonly blocks: ResolvedBlocks | undefined;
}

/** A GEMM call after every argument was checked; both the reference and the fast path run from it. */
export interface GemmPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: GemmOperand;
  readonly b: GemmOperand;
  readonly c: CpuTensor<GemmOutputDType>;
  readonly alpha: number;
  readonly beta: number;
  readonly bias: Float32Array | undefined;
  readonly outScale: number;
  readonly saturate: boolean;
  readonly amaxOut: Float32Array | undefined;
  readonly amaxIndex: number;
}

/** The host form of a checked operand: its codes and its scales as f32 values. */
function resolveOperand(x: GemmOperandArgs<CpuTensor>): GemmOperand {
  const blocks = x.blocks;
  let resolved: ResolvedBlocks | undefined;
  if (blocks !== undefined) {
    const s = blocks.scaleInv;
    let scaleInv: Float32Array;
    if (blocks.dtype === 'e8m0') {
      scaleInv = new Float32Array(s.size);
      dequantizeHost('e8m0', s.data as Uint8Array, scaleInv);
    } else {
      scaleInv = s.data as Float32Array;
    }
    const { blockRows, blockCols, gridRows, gridCols } = blocks;
    resolved = { scaleInv, blockRows, blockCols, gridRows, gridCols };
  }
  return {
    dtype: x.dtype,
    data: x.tensor.data as GemmOperand['data'],
    trans: x.trans,
    rows: x.rows,
    cols: x.cols,
    scaleInv: (x.scaleInv as number | undefined) ?? 1,
    blocks: resolved,
  };
}

/**
 * Checks the arguments of `gemm` (the contract's `gemmArgs`, scale tensors read on the host) and
 * resolves scales to host values. Throws a TypeError (wrong kind of value or dtype) or a RangeError
 * (wrong shape or value) whose message starts with the argument.
 */
export function planGemm(
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  options?: GemmOptions,
): GemmPlan {
  const args = gemmArgs(asCpu, a, b, c, options, (t) => t.data[0]);
  return {
    m: args.m,
    n: args.n,
    k: args.k,
    a: resolveOperand(args.a),
    b: resolveOperand(args.b),
    c: args.c as CpuTensor<GemmOutputDType>,
    alpha: args.alpha,
    beta: args.beta,
    bias: args.bias?.data as Float32Array | undefined,
    // Read on the host by gemmArgs: a number here.
    outScale: (args.outScale as number | undefined) ?? 1,
    saturate: args.saturate,
    amaxOut: args.amaxOut?.data as Float32Array | undefined,
    amaxIndex: args.amaxIndex,
  };
}

/** How {@link finishGemm} reduces and casts the f32 result: the codec's own functions, or the same in the addon. */
export interface FinishOps {
  amax(r: Float32Array): number;
  /** `codes = cast(fround(r · scale))` (the codec's quantize, its checks included); returns amax(r). */
  cast(dtype: 'e4m3' | 'e5m2', r: Float32Array, codes: Uint8Array, scale: number, saturate: boolean): number;
}

const HOST_FINISH: FinishOps = {
  amax: amaxHost,
  cast: (dtype, r, codes, scale, saturate) => quantizeHost(dtype, r, codes, { scale, saturate }).amax,
};

/**
 * Writes the f32 result `r` (`[m, n]`) to C: for an f32 C, `r` must be C's own storage; for an FP8 C it
 * is quantized with `outScale` (bit-exact with the format ops). The amax of `r` goes to `amaxOut`.
 */
export function finishGemm(plan: GemmPlan, r: Float32Array, ops: FinishOps = HOST_FINISH): void {
  let amax: number;
  if (plan.c.dtype === 'f32') {
    amax = plan.amaxOut === undefined ? 0 : ops.amax(r);
  } else {
    amax = ops.cast(plan.c.dtype, r, plan.c.data as Uint8Array, plan.outScale, plan.saturate);
  }
  if (plan.amaxOut !== undefined) plan.amaxOut[plan.amaxIndex] = amax;
}
