import type { DeviceTensor, ScaleArg } from '../backend.js';
import type { DType } from '../dtype.js';
import {
  type BlockScales,
  GEMM_INPUT_DTYPES,
  GEMM_OUTPUT_DTYPES,
  type GemmInputDType,
  type GemmOptions,
  type GemmOutputDType,
} from '../ops/gemm-ops.js';
import { formatShape } from '../shape.js';
import { checkIndex, checkScaleTensor, type OwnTensor } from './tensor-args.js';

// The argument checks of `GemmOps.gemm`, in the order and with the messages of the reference
// backend. A backend adds what only it needs (host decoding of scales, buffer aliasing) afterwards.

/** Block scales of one GEMM operand, checked: the grid tensor and its geometry over the stored layout. */
export interface GemmBlocksArgs<T extends DeviceTensor> {
  /** `[gridRows, gridCols]`. */
  readonly scaleInv: T;
  readonly dtype: 'f32' | 'e8m0';
  readonly blockRows: number;
  readonly blockCols: number;
  readonly gridRows: number;
  readonly gridCols: number;
}

/** One GEMM input, checked: its stored layout `[rows, cols]` and its scales. */
export interface GemmOperandArgs<T extends DeviceTensor> {
  readonly tensor: T;
  readonly dtype: GemmInputDType;
  /** Used transposed (`transA` / `transB`). */
  readonly trans: boolean;
  readonly rows: number;
  readonly cols: number;
  /**
   * Per-tensor multiplier: a positive host number (a tensor's value too, where the backend reads it),
   * a one-element f32 tensor of the backend, or undefined for 1.
   */
  readonly scaleInv: ScaleArg | undefined;
  readonly blocks: GemmBlocksArgs<T> | undefined;
}

/** A `gemm` call after every contract-level argument check. */
export interface GemmArgs<T extends DeviceTensor> {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: GemmOperandArgs<T>;
  readonly b: GemmOperandArgs<T>;
  readonly c: T;
  readonly cDtype: GemmOutputDType;
  readonly alpha: number;
  readonly beta: number;
  /** `[N]` f32. */
  readonly bias: T | undefined;
  /** Only for an FP8 C: as {@link GemmOperandArgs.scaleInv}. */
  readonly outScale: ScaleArg | undefined;
  readonly saturate: boolean;
  readonly amaxOut: T | undefined;
  readonly amaxIndex: number;
}

/**
 * Reads the host value of a one-element scale tensor, for a backend that has it on the host (the
 * CPU): the value is then checked as a host number would be. Without it, tensors pass unread.
 */
export type GemmScaleReader<T extends DeviceTensor> = (t: T) => number;

function finite(value: unknown, fallback: number, argument: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${argument}: expected a finite number, found ${String(value)}`);
  }
  return value;
}

function flag(value: unknown, argument: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new TypeError(`${argument}: expected a boolean, found ${String(value)}`);
  return value;
}

function positiveScale<T extends DeviceTensor>(
  arg: ScaleArg | undefined,
  argument: string,
  own: OwnTensor<T>,
  read: GemmScaleReader<T> | undefined,
): ScaleArg | undefined {
  if (arg === undefined) return undefined;
  let value: ScaleArg;
  if (typeof arg === 'number') value = arg;
  else {
    const t = checkScaleTensor(arg, argument, own);
    value = read === undefined ? (t as DeviceTensor as DeviceTensor<'f32'>) : read(t);
  }
  if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${argument}: expected a finite positive number, found ${String(value)}`);
  }
  return value;
}

function matrix<T extends DeviceTensor>(
  t: DeviceTensor,
  argument: string,
  dtypes: readonly DType[],
  own: OwnTensor<T>,
): T {
  const x = own(t, argument, dtypes);
  if (x.shape.length !== 2) {
    throw new RangeError(`${argument}: expected a 2-D tensor, found shape ${formatShape(x.shape)}`);
  }
  return x;
}

function checkBlocks<T extends DeviceTensor>(
  blocks: BlockScales | undefined,
  rows: number,
  cols: number,
  argument: string,
  own: OwnTensor<T>,
): GemmBlocksArgs<T> | undefined {
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
  const s = own(blocks.scaleInv as DeviceTensor, `${argument}.scaleInv`, ['f32', 'e8m0']);
  const gridRows = Math.ceil(rows / blockRows);
  const gridCols = Math.ceil(cols / blockCols);
  if (s.shape.length !== 2 || s.shape[0] !== gridRows || s.shape[1] !== gridCols) {
    throw new RangeError(
      `${argument}.scaleInv: blocks of ${blockRows}×${blockCols} over [${rows}, ${cols}] need shape ` +
        `[${gridRows}, ${gridCols}], found ${formatShape(s.shape)}`,
    );
  }
  const dtype = s.dtype as 'f32' | 'e8m0';
  return { scaleInv: s, dtype, blockRows, blockCols, gridRows, gridCols };
}

function operand<T extends DeviceTensor>(
  t: DeviceTensor,
  argument: 'a' | 'b',
  trans: boolean,
  scaleInv: ScaleArg | undefined,
  blocks: BlockScales | undefined,
  own: OwnTensor<T>,
  read: GemmScaleReader<T> | undefined,
): GemmOperandArgs<T> {
  const x = matrix(t, argument, GEMM_INPUT_DTYPES, own);
  const [rows, cols] = x.shape;
  return {
    tensor: x,
    dtype: x.dtype as GemmInputDType,
    trans,
    rows,
    cols,
    scaleInv: positiveScale(scaleInv, `${argument}ScaleInv`, own, read),
    blocks: checkBlocks(blocks, rows, cols, `${argument}Blocks`, own),
  };
}

/**
 * Checks the arguments of `gemm`: every tensor through the backend's `own` check, shapes, options
 * and scales (tensor scales read with `read` where the backend can). Throws a TypeError (wrong kind
 * of value or dtype) or a RangeError (wrong shape or value) whose message starts with the argument.
 */
export function gemmArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  opts: GemmOptions = {},
  read?: GemmScaleReader<T>,
): GemmArgs<T> {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`options: expected an object, found ${String(opts)}`);
  }
  const transA = flag(opts.transA, 'transA');
  const transB = flag(opts.transB, 'transB');
  const A = operand(a, 'a', transA, opts.aScaleInv, opts.aBlocks, own, read);
  const B = operand(b, 'b', transB, opts.bScaleInv, opts.bBlocks, own, read);
  const C = matrix(c, 'c', GEMM_OUTPUT_DTYPES, own);
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
  const alpha = finite(opts.alpha, 1, 'alpha');
  const beta = finite(opts.beta, 0, 'beta');
  const cDtype = C.dtype as GemmOutputDType;
  const fp8Out = cDtype !== 'f32';
  if (fp8Out && beta !== 0) {
    throw new RangeError(`beta: an FP8 output (c is ${cDtype}) takes beta 0, found ${beta}`);
  }
  if (!fp8Out && opts.outScale !== undefined) {
    throw new RangeError('outScale: only an FP8 output (c e4m3 or e5m2) takes an outScale');
  }
  if (opts.saturate !== undefined && typeof opts.saturate !== 'boolean') {
    throw new TypeError(`saturate: expected a boolean, found ${String(opts.saturate)}`);
  }
  let bias: T | undefined;
  if (opts.bias !== undefined) {
    bias = own(opts.bias, 'bias', ['f32']);
    if (bias.size !== n) throw new RangeError(`bias: expected ${n} elements (N), found ${bias.size}`);
  }
  let amaxOut: T | undefined;
  const amaxIndex = opts.amaxIndex ?? 0;
  if (opts.amaxOut !== undefined) {
    amaxOut = own(opts.amaxOut, 'amaxOut', ['f32']);
    checkIndex(amaxIndex, amaxOut.size, 'amaxIndex');
  }
  return {
    m,
    n,
    k,
    a: A,
    b: B,
    c: C,
    cDtype,
    alpha,
    beta,
    bias,
    outScale: fp8Out ? positiveScale(opts.outScale, 'outScale', own, read) : undefined,
    saturate: opts.saturate ?? true,
    amaxOut,
    amaxIndex,
  };
}
