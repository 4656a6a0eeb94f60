import {
  decodeTable,
  dequantize as dequantizeHost,
  encodeTable,
  quantize as quantizeHost,
  resolveFormat,
} from '@fp8lm/fp8-format';
import {
  biasAddArgs,
  biasBackwardArgs,
  type CodeDType,
  type DequantizeOptions,
  type DeviceTensor,
  formatAmaxArgs,
  formatCountCodesArgs,
  formatDequantizeArgs,
  formatQuantizeArgs,
  geluBackwardArgs,
  geluForwardArgs,
  type QuantizeOptions,
  residualBackwardArgs,
  residualForwardArgs,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { cpuLayer } from '../layer-checks.js';
import { classesOf } from '../ops/count-codes.js';
import { quantize } from '../ops/quantize.js';
import { scaleValue } from '../scale-arg.js';
import { requireNative } from './native.js';

// Fast paths of GELU, of the FP8 diagnostics' code counts, of the casts to byte formats, f16 and bf16,
// of the decode, of amax and of the residual and bias ops: the same contract as the reference ops in
// src/ops/{gelu,count-codes,quantize,dequantize,amax,residual,bias}.ts, run by the native addon on every core.
// GELU computes the reference's double-precision expression; the byte cast indexes fp8-format's own
// encode table and the 16-bit casts follow its integer conversions, so the codes are the reference's
// bit for bit, as are amax, the sums and the bias gradient (summed in f64 in the reference's order).

const EMPTY_F32 = new Float32Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_U16 = new Uint16Array(0);

/** Fast `geluForward`; see the reference for the contract. */
export function geluForwardFast(x: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>): void {
  const { X, O } = geluForwardArgs(cpuLayer, x, out);
  requireNative().geluForward(X.data, O.data, X.data.length);
}

/** Fast `geluBackward`; see the reference for the contract. */
export function geluBackwardFast(
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
): void {
  const { D, X, DX } = geluBackwardArgs(cpuLayer, dout, x, dx);
  requireNative().geluBackward(D.data, X.data, DX.data, X.data.length);
}

/** Fast `countCodes` (the reference's class table, summed on every core); see the reference for the contract. */
export function countCodesFast(src: DeviceTensor<CodeDType>, out: DeviceTensor<'i32'>, index = 0): void {
  const { src: s, srcDtype, out: o } = formatCountCodesArgs(asCpu, src, out, index);
  requireNative().countCodes(
    s.data as Uint8Array | Uint16Array,
    classesOf(srcDtype),
    o.data as Int32Array,
    index,
  );
}

/**
 * `codes = cast(fround(x · scale))` in the addon, with the codec's checks and errors: the options are
 * checked by the host codec on empty arrays (one set of rules), and a NaN in a format without NaN goes
 * to the codec, which throws. Returns `max |x|`.
 */
export function castFast(
  dtype: CodeDType,
  x: Float32Array,
  codes: Uint8Array | Uint16Array,
  scale: number | undefined,
  saturate: boolean | undefined,
  rounding?: QuantizeOptions['rounding'],
): number {
  quantizeHost(dtype, EMPTY_F32, codes instanceof Uint16Array ? EMPTY_U16 : EMPTY_U8, {
    scale,
    saturate,
    rounding,
  });
  const native = requireNative();
  // The scale is a float32, as the codec (and a GPU) takes it: x · scale is then one f32 product.
  const scale32 = Math.fround(scale ?? 1);
  const amax =
    codes instanceof Uint16Array
      ? native.quantizeHalf(x, codes, scale32, dtype === 'bf16', saturate ?? true)
      : native.quantizeTable8(x, codes, encodeTable(dtype, saturate ?? true), scale32);
  if (Number.isNaN(amax) && resolveFormat(dtype).nanCode === null) {
    quantizeHost(dtype, x, codes, { scale, saturate }); // throws: the format has no NaN code
  }
  return amax;
}

/**
 * Fast `quantize`: byte formats, f16 and bf16 with round-to-nearest-even in the addon; stochastic
 * rounding goes to the reference.
 */
export function quantizeFast(
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<CodeDType>,
  options: QuantizeOptions = {},
): void {
  const { src: s, dst: d, dstDtype, amaxOut, amaxIndex } = formatQuantizeArgs(asCpu, src, dst, options);
  if (options.rounding === 'stochastic') {
    quantize(src, dst, options);
    return;
  }
  const codes = d.data as CpuTensor<CodeDType>['data'];
  const scale = scaleValue(options.scale, 'scale');
  const amax = castFast(dstDtype, s.data as Float32Array, codes, scale, options.saturate, options.rounding);
  if (amaxOut !== undefined) amaxOut.data[amaxIndex] = amax;
}

/** Fast `dequantize` (fp8-format's decode table, the codec's check of `scaleInv`); see the reference. */
export function dequantizeFast(
  src: DeviceTensor<CodeDType>,
  dst: DeviceTensor<'f32'>,
  options: DequantizeOptions = {},
): void {
  const { src: s, srcDtype, dst: d } = formatDequantizeArgs(asCpu, src, dst);
  const codes = s.data as Uint8Array | Uint16Array;
  const scaleInv = scaleValue(options.scaleInv, 'scaleInv');
  dequantizeHost(srcDtype, codes instanceof Uint16Array ? EMPTY_U16 : EMPTY_U8, EMPTY_F32, { scaleInv });
  requireNative().dequantizeTable(
    codes,
    decodeTable(srcDtype),
    Math.fround(scaleInv ?? 1),
    d.data as Float32Array,
  );
}

/** Fast `amax`; see the reference for the contract. */
export function amaxFast(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index = 0): void {
  const { src: s, out: o } = formatAmaxArgs(asCpu, src, out, index);
  o.data[index] = requireNative().amaxF32(s.data as Float32Array);
}

/** Fast `residualForward`; see the reference for the contract. */
export function residualForwardFast(
  a: DeviceTensor<'f32'>,
  b: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const { A, Bt, O } = residualForwardArgs(cpuLayer, a, b, out);
  requireNative().residualForward(A.data, Bt.data, O.data, O.data.length);
}

/** Fast `residualBackward`; see the reference for the contract. */
export function residualBackwardFast(
  dout: DeviceTensor<'f32'>,
  da: DeviceTensor<'f32'>,
  db: DeviceTensor<'f32'>,
): void {
  const { D, DA, DB } = residualBackwardArgs(cpuLayer, dout, da, db);
  requireNative().residualBackward(D.data, DA.data, DB.data, D.data.length);
}

/** Fast `biasAdd`; see the reference for the contract. */
export function biasAddFast(
  x: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'> = x,
): void {
  const { X, Bi, O, C } = biasAddArgs(cpuLayer, x, bias, out);
  // C = 0 leaves nothing to write.
  if (C > 0) requireNative().biasAdd(X.data, Bi.data, O.data, X.data.length / C, C);
}

/** Fast `biasBackward`; see the reference for the contract. */
export function biasBackwardFast(dout: DeviceTensor<'f32'>, dbias: DeviceTensor<'f32'>): void {
  const { D, DB, C, rows } = biasBackwardArgs(cpuLayer, dout, dbias);
  requireNative().biasBackward(D.data, DB.data, rows, C);
}
