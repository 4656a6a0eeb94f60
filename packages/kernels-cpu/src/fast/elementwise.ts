import { encodeTable, quantize as quantizeHost, resolveFormat } from '@fp8lm/fp8-format';
import {
  type CodeDType,
  type DeviceTensor,
  formatCountCodesArgs,
  formatQuantizeArgs,
  geluBackwardArgs,
  geluForwardArgs,
  type QuantizeOptions,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { cpuLayer } from '../layer-checks.js';
import { classesOf } from '../ops/count-codes.js';
import { quantize } from '../ops/quantize.js';
import { scaleValue } from '../scale-arg.js';
import { requireNative } from './native.js';

// Fast paths of GELU, of the FP8 diagnostics' code counts and of the casts to byte formats, f16 and bf16: the same contract as the reference ops in
// src/ops/{gelu,quantize}.ts, run by the native addon on every core. GELU computes the reference's
// double-precision expression; the byte cast indexes fp8-format's own encode table and the 16-bit casts
// follow its integer conversions, so the codes are the reference's bit for bit.

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
  const saturate = options.saturate;
  // The rounding options are checked by the host codec, on empty arrays: one set of rules.
  quantizeHost(dstDtype, EMPTY_F32, codes instanceof Uint16Array ? EMPTY_U16 : EMPTY_U8, {
    scale,
    saturate,
    rounding: options.rounding,
  });
  const x = s.data as Float32Array;
  const native = requireNative();
  // The scale is a float32, as the reference (and a GPU) takes it: x · scale is then one f32 product.
  const scale32 = Math.fround(scale ?? 1);
  const amax =
    codes instanceof Uint16Array
      ? native.quantizeHalf(x, codes, scale32, dstDtype === 'bf16', saturate ?? true)
      : native.quantizeTable8(x, codes, encodeTable(dstDtype, saturate ?? true), scale32);
  if (Number.isNaN(amax) && resolveFormat(dstDtype).nanCode === null) {
    quantize(src, dst, options); // the reference throws: the format has no NaN code
    return;
  }
  if (amaxOut !== undefined) amaxOut.data[amaxIndex] = amax;
}
