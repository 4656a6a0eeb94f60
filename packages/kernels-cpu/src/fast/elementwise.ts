import { encodeTable, quantize as quantizeHost } from '@fp8lm/fp8-format';
import {
  type CodeDType,
  type DeviceTensor,
  formatQuantizeArgs,
  geluBackwardArgs,
  geluForwardArgs,
  type QuantizeOptions,
} from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from '../cpu-tensor.js';
import { cpuLayer } from '../layer-checks.js';
import { quantize } from '../ops/quantize.js';
import { scaleValue } from '../scale-arg.js';
import { requireNative } from './native.js';

// Fast paths of GELU and of the cast to byte formats: the same contract as the reference ops in
// src/ops/{gelu,quantize}.ts, run by the native addon on every core. GELU computes the reference's
// double-precision expression; the cast indexes fp8-format's own encode table, so its codes are the
// reference's bit for bit.

const EMPTY_F32 = new Float32Array(0);
const EMPTY_U8 = new Uint8Array(0);

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

/**
 * Fast `quantize`: byte formats with round-to-nearest-even in the addon; 16-bit formats, stochastic
 * rounding and NaN in a format without NaN (to throw the reference's error) go to the reference.
 */
export function quantizeFast(
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<CodeDType>,
  options: QuantizeOptions = {},
): void {
  const { src: s, dst: d, dstDtype, amaxOut, amaxIndex } = formatQuantizeArgs(asCpu, src, dst, options);
  const codes = d.data as CpuTensor<CodeDType>['data'];
  if (!(codes instanceof Uint8Array) || options.rounding === 'stochastic') {
    quantize(src, dst, options);
    return;
  }
  const scale = scaleValue(options.scale, 'scale');
  const saturate = options.saturate;
  // The rounding options are checked by the host codec, on empty arrays: one set of rules.
  quantizeHost(dstDtype, EMPTY_F32, EMPTY_U8, { scale, saturate, rounding: options.rounding });
  const table = encodeTable(dstDtype, saturate ?? true);
  const amax = requireNative().quantizeTable8(s.data as Float32Array, codes, table, scale ?? 1);
  if (Number.isNaN(amax)) {
    quantize(src, dst, options); // the reference throws where the format has no NaN code
    return;
  }
  if (amaxOut !== undefined) amaxOut.data[amaxIndex] = amax;
}
