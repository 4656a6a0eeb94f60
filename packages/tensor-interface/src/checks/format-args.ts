import type { DeviceTensor } from '../backend.js';
import { CODE_DTYPES, type CodeDType } from '../dtype.js';
import type { ComputeScaleOptions, QuantizeBlocksOptions, QuantizeOptions } from '../ops/format-ops.js';
import { formatShape } from '../shape.js';
import { assertSameSize, checkIndex, type OwnTensor } from './tensor-args.js';

// The tensor and option checks of the format ops (`FormatOps`), in the reference backend's order.
// Scale arguments are left to the backend: the CPU reads them on the host where it uses them, a GPU
// copies them on the device, and each checks them at its own point.

/** `quantize`'s tensors, checked. */
export interface FormatQuantizeArgs<T extends DeviceTensor> {
  readonly src: T;
  readonly dst: T;
  readonly dstDtype: CodeDType;
  readonly amaxOut: T | undefined;
  readonly amaxIndex: number;
}

/**
 * Checks `quantize`'s tensors: f32 `src`, a code-dtype `dst` of the same size, and the optional
 * `amaxOut[amaxIndex]` slot. The scale and the rounding options are the backend's to check.
 */
export function formatQuantizeArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  src: DeviceTensor,
  dst: DeviceTensor,
  options: QuantizeOptions,
): FormatQuantizeArgs<T> {
  const s = own(src, 'src', ['f32']);
  const d = own(dst, 'dst', CODE_DTYPES);
  assertSameSize(s, d, 'src, dst');
  const amaxIndex = options.amaxIndex ?? 0;
  const amaxOut = options.amaxOut === undefined ? undefined : own(options.amaxOut, 'amaxOut', ['f32']);
  if (amaxOut !== undefined) checkIndex(amaxIndex, amaxOut.size, 'amaxIndex');
  return { src: s, dst: d, dstDtype: d.dtype as CodeDType, amaxOut, amaxIndex };
}

/** `dequantize`'s tensors, checked. */
export interface FormatDequantizeArgs<T extends DeviceTensor> {
  readonly src: T;
  readonly srcDtype: CodeDType;
  readonly dst: T;
}

/** Checks `dequantize`'s tensors: a code-dtype `src` and an f32 `dst` of the same size. */
export function formatDequantizeArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  src: DeviceTensor,
  dst: DeviceTensor,
): FormatDequantizeArgs<T> {
  const s = own(src, 'src', CODE_DTYPES);
  const d = own(dst, 'dst', ['f32']);
  assertSameSize(s, d, 'src, dst');
  return { src: s, srcDtype: s.dtype as CodeDType, dst: d };
}

/** Checks `amax`'s tensors: f32 `src` and `out`, and `index` into `out`. */
export function formatAmaxArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  src: DeviceTensor,
  out: DeviceTensor,
  index: number,
): { readonly src: T; readonly out: T } {
  const s = own(src, 'src', ['f32']);
  const o = own(out, 'out', ['f32']);
  checkIndex(index, o.size, 'index');
  return { src: s, out: o };
}

/** Checks `countCodes`'s tensors: a code-dtype `src`, an i32 `out` with slots `index` and `index + 1`. */
export function formatCountCodesArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  src: DeviceTensor,
  out: DeviceTensor,
  index: number,
): { readonly src: T; readonly srcDtype: CodeDType; readonly out: T } {
  const s = own(src, 'src', CODE_DTYPES);
  const o = own(out, 'out', ['i32']);
  if (!Number.isInteger(index) || index < 0 || index + 1 >= o.size) {
    const range = o.size < 2 ? `none: out has ${o.size} element(s), 2 needed` : `0..${o.size - 2}`;
    throw new RangeError(
      `index: out[index] and out[index + 1] must exist: expected an integer in ${range}, found ${index}`,
    );
  }
  return { src: s, srcDtype: s.dtype as CodeDType, out: o };
}

/** `computeScale`'s arguments, checked, with the options' defaults filled in. */
export interface FormatComputeScaleArgs<T extends DeviceTensor> {
  readonly amax: T;
  readonly scale: T;
  readonly scaleInv: T;
  readonly fpMax: number;
  readonly margin: number;
  readonly amaxIndex: number;
}

/**
 * Checks `computeScale`'s arguments: f32 tensors, one-element `scale` and `scaleInv`, a finite
 * positive `fpMax`, a non-negative integer `margin` and `amaxIndex` into `amax`.
 */
export function formatComputeScaleArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  amax: DeviceTensor,
  scale: DeviceTensor,
  scaleInv: DeviceTensor,
  options: ComputeScaleOptions,
): FormatComputeScaleArgs<T> {
  const a = own(amax, 'amax', ['f32']);
  const s = own(scale, 'scale', ['f32']);
  const si = own(scaleInv, 'scaleInv', ['f32']);
  if (s.size !== 1 || si.size !== 1)
    throw new RangeError(`scale, scaleInv: expected one element each, found ${s.size} and ${si.size}`);
  const { fpMax, margin = 0, amaxIndex = 0 } = options;
  if (!(fpMax > 0 && Number.isFinite(fpMax)))
    throw new RangeError(`fpMax: expected a finite positive number, found ${fpMax}`);
  if (!Number.isInteger(margin) || margin < 0)
    throw new RangeError(`margin: expected a non-negative integer, found ${margin}`);
  checkIndex(amaxIndex, a.size, 'amaxIndex');
  return { amax: a, scale: s, scaleInv: si, fpMax, margin, amaxIndex };
}

/** `quantizeBlocks`' arguments, checked: the tensors and the block grid over `[rows, cols]`. */
export interface FormatQuantizeBlocksArgs<T extends DeviceTensor> {
  readonly src: T;
  readonly dst: T;
  readonly dstDtype: 'e4m3' | 'e5m2';
  /** `[gridRows, gridCols]`, f32 or e8m0 (MX). */
  readonly scaleInv: T;
  readonly rows: number;
  readonly cols: number;
  readonly blockRows: number;
  readonly blockCols: number;
  readonly gridRows: number;
  readonly gridCols: number;
  /** E8M0 scales (OCP MX): the scale type is the tensor's, not `scaleType`'s. */
  readonly mx: boolean;
  readonly scaleType: 'f32' | 'pow2';
}

/**
 * Checks `quantizeBlocks`' arguments: a 2-D f32 `src`, an FP8 `dst` of its shape, positive integer
 * block sizes, the scale type, and a `scaleInv` grid of `ceil(rows / blockRows) × ceil(cols / blockCols)`.
 */
export function formatQuantizeBlocksArgs<T extends DeviceTensor>(
  own: OwnTensor<T>,
  src: DeviceTensor,
  dst: DeviceTensor,
  scaleInv: DeviceTensor,
  options: QuantizeBlocksOptions,
): FormatQuantizeBlocksArgs<T> {
  const s = own(src, 'src', ['f32']);
  const d = own(dst, 'dst', ['e4m3', 'e5m2']);
  const g = own(scaleInv, 'scaleInv', ['f32', 'e8m0']);
  if (s.shape.length !== 2) throw new RangeError(`src: expected a 2-D tensor, found ${formatShape(s.shape)}`);
  if (d.shape.join() !== s.shape.join())
    throw new RangeError(`dst: expected shape ${formatShape(s.shape)}, found ${formatShape(d.shape)}`);
  const { blockRows: br, blockCols: bc } = options;
  for (const [name, v] of Object.entries({ blockRows: br, blockCols: bc })) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`${name}: expected a positive integer, found ${v}`);
  }
  const scaleType = options.scaleType ?? 'f32';
  if (scaleType !== 'f32' && scaleType !== 'pow2')
    throw new RangeError(`scaleType: expected 'f32' or 'pow2', found ${JSON.stringify(scaleType)}`);
  const [rows, cols] = s.shape;
  const gr = Math.ceil(rows / br);
  const gc = Math.ceil(cols / bc);
  if (g.shape.length !== 2 || g.shape[0] !== gr || g.shape[1] !== gc) {
    throw new RangeError(
      `scaleInv: blocks of ${br}×${bc} over [${rows}, ${cols}] need shape [${gr}, ${gc}], found ${formatShape(g.shape)}`,
    );
  }
  return {
    src: s,
    dst: d,
    dstDtype: d.dtype as 'e4m3' | 'e5m2',
    scaleInv: g,
    rows,
    cols,
    blockRows: br,
    blockCols: bc,
    gridRows: gr,
    gridCols: gc,
    mx: g.dtype === 'e8m0',
    scaleType,
  };
}
