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
import { asGpu, type WebGpuTensor } from '../webgpu-tensor.js';

/** Block scales of one operand, checked: the grid tensor and its geometry over the stored layout. */
export interface GemmBlocks {
  readonly scaleInv: WebGpuTensor<'f32' | 'e8m0'>;
  readonly blockRows: number;
  readonly blockCols: number;
  readonly gridCols: number;
}

/** One GEMM input, checked: its stored layout `[rows, cols]` and its scales (still unresolved). */
export interface GemmOperand {
  readonly tensor: WebGpuTensor<GemmInputDType>;
  readonly dtype: GemmInputDType;
  /** Used transposed (`transA` / `transB`). */
  readonly trans: boolean;
  readonly rows: number;
  readonly cols: number;
  /** Per-tensor multiplier: a checked host number or one-element f32 tensor, or undefined for 1. */
  readonly scaleInv: ScaleArg | undefined;
  readonly blocks: GemmBlocks | undefined;
}

/** A GEMM call after every argument was checked (the WebGPU twin of kernels-cpu's `GemmPlan`). */
export interface GemmPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: GemmOperand;
  readonly b: GemmOperand;
  readonly c: WebGpuTensor<GemmOutputDType>;
  readonly alpha: number;
  readonly beta: number;
  readonly bias: WebGpuTensor<'f32'> | undefined;
  readonly outScale: ScaleArg | undefined;
  readonly saturate: boolean;
  readonly amaxOut: WebGpuTensor<'f32'> | undefined;
  readonly amaxIndex: number;
}

function finite(value: unknown, fallback: number, argument: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${argument}: expected a finite number, found ${String(value)}`);
  }
  return value;
}

/**
 * Checks a per-tensor scale: a host number must be finite and positive; a device tensor must be a
 * one-element f32 tensor (its value stays on the device, so it is not checked).
 */
function positiveScale(arg: ScaleArg | undefined, argument: string): ScaleArg | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg) || arg <= 0) {
      throw new RangeError(`${argument}: expected a finite positive number, found ${String(arg)}`);
    }
    return arg;
  }
  const t = asGpu(arg, argument, ['f32']);
  if (t.size !== 1) throw new RangeError(`${argument}: a scale tensor has one element, found ${t.size}`);
  return t;
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
): WebGpuTensor<D> {
  const x = asGpu(t, argument, dtypes);
  if (x.shape.length !== 2) {
    throw new RangeError(`${argument}: expected a 2-D tensor, found shape ${formatShape(x.shape)}`);
  }
  return x;
}

function checkBlocks(
  blocks: BlockScales | undefined,
  rows: number,
  cols: number,
  argument: string,
): GemmBlocks | undefined {
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
  const s = asGpu(blocks.scaleInv as DeviceTensor, `${argument}.scaleInv`, ['f32', 'e8m0']);
  const gridRows = Math.ceil(rows / blockRows);
  const gridCols = Math.ceil(cols / blockCols);
  if (s.shape.length !== 2 || s.shape[0] !== gridRows || s.shape[1] !== gridCols) {
    throw new RangeError(
      `${argument}.scaleInv: blocks of ${blockRows}×${blockCols} over [${rows}, ${cols}] need shape ` +
        `[${gridRows}, ${gridCols}], found ${formatShape(s.shape)}`,
    );
  }
  return { scaleInv: s, blockRows, blockCols, gridCols };
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
    tensor: x,
    dtype: x.dtype,
    trans,
    rows,
    cols,
    scaleInv: positiveScale(scaleInv, `${argument}ScaleInv`),
    blocks: checkBlocks(blocks, rows, cols, `${argument}Blocks`),
  };
}

function checkIndex(index: number, size: number, argument: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${argument}: expected an integer in 0..${size - 1}, found ${index}`);
  }
}

/**
 * Checks the arguments of `gemm` as kernels-cpu's `planGemm` does (same order, same messages), plus
 * what only a GPU backend needs: a written tensor (`c`, `amaxOut`) must not share its buffer with
 * another bound tensor, since WebGPU rejects a buffer bound both writable and again in one dispatch.
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
  let bias: WebGpuTensor<'f32'> | undefined;
  if (options.bias !== undefined) {
    bias = asGpu(options.bias, 'bias', ['f32']);
    if (bias.size !== n) throw new RangeError(`bias: expected ${n} elements (N), found ${bias.size}`);
  }
  let amaxOut: WebGpuTensor<'f32'> | undefined;
  const amaxIndex = options.amaxIndex ?? 0;
  if (options.amaxOut !== undefined) {
    amaxOut = asGpu(options.amaxOut, 'amaxOut', ['f32']);
    checkIndex(amaxIndex, amaxOut.size, 'amaxIndex');
  }
  const outScale = fp8Out ? positiveScale(options.outScale, 'outScale') : undefined;

  // Buffers the GEMM dispatch reads; an FP8 C is written by quantize from a temporary, but still
  // must not alias them (the caller would read a half-updated input otherwise).
  const reads: [string, WebGpuTensor | undefined][] = [
    ['a', A.tensor],
    ['b', B.tensor],
    ['bias', bias],
    ['aBlocks.scaleInv', A.blocks?.scaleInv],
    ['bBlocks.scaleInv', B.blocks?.scaleInv],
  ];
  for (const [name, t] of reads) {
    if (t !== undefined && t.storage === C.storage) {
      throw new RangeError(`c: must not share its buffer with ${name}`);
    }
    if (t !== undefined && amaxOut !== undefined && t.storage === amaxOut.storage) {
      throw new RangeError(`amaxOut: must not share its buffer with ${name}`);
    }
  }
  if (amaxOut !== undefined && amaxOut.storage === C.storage) {
    throw new RangeError('amaxOut: must not share its buffer with c');
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
    outScale,
    saturate: options.saturate ?? true,
    amaxOut,
    amaxIndex,
  };
}
