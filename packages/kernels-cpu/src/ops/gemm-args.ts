import { amax as amaxHost, dequantize as dequantizeHost, quantize as quantizeHost } from '@fp8lm/fp8-format';
import {
  type BlockScales,
  type DeviceTensor,
  formatShape,
  GEMM_INPUT_DTYPES,
  GEMM_OUTPUT_DTYPES,
  type GemmInputDType,
  type GemmOptions,
  type GemmOutputDType,
  type ScaleArg,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { checkIndex, scaleValue } from '../scale-arg.js';

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

function finite(value: unknown, fallback: number, argument: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${argument}: expected a finite number, found ${String(value)}`);
  }
  return value;
}

function positiveScale(arg: ScaleArg | undefined, argument: string): number {
  const v = scaleValue(arg, argument);
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${argument}: expected a finite positive number, found ${String(v)}`);
  }
  return v;
}

function flag(value: unknown, argument: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new TypeError(`${argument}: expected a boolean, found ${String(value)}`);
  return value;
}

function matrix<D extends GemmInputDType | GemmOutputDType>(
  t: DeviceTensor,
  argument: string,
  dtypes: readonly D[],
): CpuTensor<D> {
  const x = asCpu(t, argument, dtypes);
  if (x.shape.length !== 2) {
    throw new RangeError(`${argument}: expected a 2-D tensor, found shape ${formatShape(x.shape)}`);
  }
  return x;
}

function resolveBlocks(
  blocks: BlockScales | undefined,
  rows: number,
  cols: number,
  argument: string,
): ResolvedBlocks | undefined {
  if (blocks === undefined) return undefined;
  if (typeof blocks !== 'object' || blocks === null) {
    throw new TypeError(`${argument}: expected { scaleInv, blockRows, blockCols }, found ${String(blocks)}`);
  }
  const { blockRows, blockCols } = blocks;
  for (const [name, v] of [
    ['blockRows', blockRows],
    ['blockCols', blockCols],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`${argument}.${name}: expected a positive integer, found ${String(v)}`);
    }
  }
  const s = asCpu(blocks.scaleInv as DeviceTensor, `${argument}.scaleInv`, ['f32', 'e8m0']);
  const gridRows = Math.ceil(rows / blockRows);
  const gridCols = Math.ceil(cols / blockCols);
  if (s.shape.length !== 2 || s.shape[0] !== gridRows || s.shape[1] !== gridCols) {
    throw new RangeError(
      `${argument}.scaleInv: blocks of ${blockRows}×${blockCols} over [${rows}, ${cols}] need shape ` +
        `[${gridRows}, ${gridCols}], found ${formatShape(s.shape)}`,
    );
  }
  let scaleInv: Float32Array;
  if (s.dtype === 'e8m0') {
    scaleInv = new Float32Array(s.size);
    dequantizeHost('e8m0', s.data as Uint8Array, scaleInv);
  } else {
    scaleInv = s.data as Float32Array;
  }
  return { scaleInv, blockRows, blockCols, gridRows, gridCols };
}

function operand(
  t: DeviceTensor,
  argument: 'a' | 'b',
  trans: boolean,
  scaleInv: ScaleArg | undefined,
  blocks: BlockScales | undefined,
): GemmOperand {
  const x = matrix(t, argument, GEMM_INPUT_DTYPES);
  const [rows, cols] = x.shape;
  return {
    dtype: x.dtype,
    data: x.data,
    trans,
    rows,
    cols,
    scaleInv: positiveScale(scaleInv, `${argument}ScaleInv`),
    blocks: resolveBlocks(blocks, rows, cols, `${argument}Blocks`),
  };
}

/**
 * Checks the arguments of `gemm` and resolves scales to host values. Throws a TypeError (wrong kind
 * of value or dtype) or a RangeError (wrong shape or value) whose message starts with the argument.
 */
export function planGemm(
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  options: GemmOptions = {},
): GemmPlan {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options: expected an object, found ${String(options)}`);
  }
  const transA = flag(options.transA, 'transA');
  const transB = flag(options.transB, 'transB');
  const A = operand(a, 'a', transA, options.aScaleInv, options.aBlocks);
  const B = operand(b, 'b', transB, options.bScaleInv, options.bBlocks);
  const C = matrix(c, 'c', GEMM_OUTPUT_DTYPES);
  if ((C as DeviceTensor) === a || (C as DeviceTensor) === b) {
    throw new RangeError(`c: must not be the same tensor as ${(C as DeviceTensor) === a ? 'a' : 'b'}`);
  }
  const [m, k] = transA ? [A.cols, A.rows] : [A.rows, A.cols];
  const [kb, n] = transB ? [B.cols, B.rows] : [B.rows, B.cols];
  if (kb !== k) {
    throw new RangeError(
      `b: op(A) is [${m}, ${k}], so op(B) needs ${k} rows; b has shape [${B.rows}, ${B.cols}]` +
        `${transB ? ' (used transposed)' : ''}, giving ${kb}`,
    );
  }
  if (C.shape[0] !== m || C.shape[1] !== n) {
    throw new RangeError(`c: expected shape [${m}, ${n}], found ${formatShape(C.shape)}`);
  }
  const alpha = finite(options.alpha, 1, 'alpha');
  const beta = finite(options.beta, 0, 'beta');
  const fp8Out = C.dtype !== 'f32';
  if (fp8Out && beta !== 0) {
    throw new RangeError(`beta: an FP8 output (c is ${C.dtype}) takes beta 0, found ${beta}`);
  }
  if (!fp8Out && options.outScale !== undefined) {
    throw new RangeError('outScale: only an FP8 output (c e4m3 or e5m2) takes an outScale');
  }
  if (options.saturate !== undefined && typeof options.saturate !== 'boolean') {
    throw new TypeError(`saturate: expected a boolean, found ${String(options.saturate)}`);
  }
  let bias: Float32Array | undefined;
  if (options.bias !== undefined) {
    const t = asCpu(options.bias, 'bias', ['f32']);
    if (t.size !== n) throw new RangeError(`bias: expected ${n} elements (N), found ${t.size}`);
    bias = t.data;
  }
  let amaxOut: Float32Array | undefined;
  const amaxIndex = options.amaxIndex ?? 0;
  if (options.amaxOut !== undefined) {
    amaxOut = asCpu(options.amaxOut, 'amaxOut', ['f32']).data;
    checkIndex(amaxIndex, amaxOut.length, 'amaxIndex');
  }
  return {
    m,
    n,
    k,
    a: A,
    b: B,
    c: C,
    alpha,
    beta,
    bias,
    outScale: fp8Out ? positiveScale(options.outScale, 'outScale') : 1,
    saturate: options.saturate ?? true,
    amaxOut,
    amaxIndex,
  };
}

/**
 * Writes the f32 result `r` (`[m, n]`) to C: for an f32 C, `r` must be C's own storage; for an FP8 C it
 * is quantized with `outScale` (bit-exact with the format ops). The amax of `r` goes to `amaxOut`.
 */
export function finishGemm(plan: GemmPlan, r: Float32Array): void {
  let amax: number;
  if (plan.c.dtype === 'f32') {
    amax = plan.amaxOut === undefined ? 0 : amaxHost(r);
  } else {
    amax = quantizeHost(plan.c.dtype, r, plan.c.data as Uint8Array, {
      scale: plan.outScale,
      saturate: plan.saturate,
    }).amax;
  }
  if (plan.amaxOut !== undefined) plan.amaxOut[plan.amaxIndex] = amax;
}
