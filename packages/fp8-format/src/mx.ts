import { encodeFloat32 } from './codec.js';
import { float32Exponent } from './float32.js';
import { E8M0, type FloatFormat, type FormatLike, resolveFormat } from './formats.js';
import { decodeTable } from './tables.js';
import { assertFloat32Array, assertSameLength } from './validate.js';

/**
 * How a block's shared E8M0 scale is chosen from its amax.
 * - 'floor' (OCP MX v1.0): `2^(floor(log2(amax)) - emax)`, emax the element format's largest exponent;
 *   the top of the block may saturate.
 * - 'ceil': the smallest power of two with `amax / 2^e ≤ maxFinite`: nothing saturates.
 * - 'even': `amax / maxFinite` rounded to the nearest power of two (ties to the even E8M0 code).
 */
export type MXScaleRounding = 'floor' | 'ceil' | 'even';

/** Options of {@link quantizeMX}. */
export interface MXOptions {
  /** Elements per block (default 32, as in OCP MX). */
  blockSize?: number;
  /** Default 'floor'. */
  scaleRounding?: MXScaleRounding;
  /** Row length for 2-D data: blocks restart at each row (default: the whole array is one row). */
  rowLength?: number;
}

/** An MX-quantized array: element codes plus one E8M0 scale code per block. */
export interface MXTensor {
  readonly codes: Uint8Array;
  readonly scales: Uint8Array;
  readonly blockSize: number;
  readonly rowLength: number;
}

const MX_ELEMENTS = new Set(['e4m3', 'e5m2', 'e3m2', 'e2m3', 'e2m1']);

function checkElementFormat(format: FormatLike): FloatFormat {
  const fmt = resolveFormat(format, 'elementFormat');
  if (!MX_ELEMENTS.has(fmt.name)) {
    throw new TypeError(`elementFormat: MX elements are e4m3, e5m2, e3m2, e2m3 or e2m1, found ${fmt.name}`);
  }
  return fmt;
}

function checkLayout(length: number, options: MXOptions): { blockSize: number; rowLength: number } {
  const blockSize = options.blockSize ?? 32;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`blockSize: expected a positive integer, found ${blockSize}`);
  }
  const rowLength = options.rowLength ?? length;
  if (
    !Number.isSafeInteger(rowLength) ||
    rowLength < 0 ||
    (length > 0 && (rowLength === 0 || length % rowLength !== 0))
  ) {
    throw new RangeError(
      `rowLength: expected a positive divisor of the length ${length}, found ${rowLength}`,
    );
  }
  return { blockSize, rowLength };
}

/** Number of blocks for `length` elements in rows of `rowLength`. */
function blockCount(length: number, blockSize: number, rowLength: number): number {
  if (length === 0) return 0;
  return (length / rowLength) * Math.ceil(rowLength / blockSize);
}

/** The unbiased shared exponent for a block with this amax (finite, ≥ 0), before clamping. */
function sharedExponent(fmt: FloatFormat, amax: number, rounding: MXScaleRounding): number {
  if (amax === 0) return -E8M0.bias;
  const emaxElem = float32Exponent(fmt.maxFinite);
  if (rounding === 'floor') return float32Exponent(amax) - emaxElem;
  // amax / maxFinite is not a float32 in general, so find the power of two in exact double steps.
  const ratio = amax / fmt.maxFinite;
  let e = float32Exponent(amax) - emaxElem;
  while (2 ** e > ratio) e--;
  while (2 ** (e + 1) <= ratio) e++;
  // now 2^e ≤ ratio < 2^(e+1)
  if (rounding === 'ceil') return 2 ** e === ratio ? e : e + 1;
  const below = ratio - 2 ** e;
  const above = 2 ** (e + 1) - ratio;
  if (below < above) return e;
  if (above < below) return e + 1;
  return (e + E8M0.bias) % 2 === 0 ? e : e + 1;
}

/**
 * Quantizes to OCP MX blocks: each block of `blockSize` consecutive elements (within a row) shares an
 * E8M0 scale `X`; elements are `encode(elementFormat, fround(x / X))`, saturating, round to nearest even.
 * A block with a NaN or ±Inf gets the NaN scale 0xFF (and zero codes); an all-zero block gets 2^-127.
 * @example
 * const { codes, scales } = quantizeMX(E4M3, new Float32Array(64).fill(3));
 * // scales[0] = 127 - 7 (2^-7: floor(log2 3) - 8), codes[0] = encode(E4M3, 3 * 2^7)
 */
export function quantizeMX(elementFormat: FormatLike, src: Float32Array, options: MXOptions = {}): MXTensor {
  const fmt = checkElementFormat(elementFormat);
  assertFloat32Array(src, 'src');
  const { blockSize, rowLength } = checkLayout(src.length, options);
  const rounding = options.scaleRounding ?? 'floor';
  if (rounding !== 'floor' && rounding !== 'ceil' && rounding !== 'even') {
    throw new RangeError(
      `scaleRounding: expected 'floor', 'ceil' or 'even', found ${JSON.stringify(rounding)}`,
    );
  }
  const codes = new Uint8Array(src.length);
  const scales = new Uint8Array(blockCount(src.length, blockSize, rowLength));
  let b = 0;
  for (let row = 0; row < src.length; row += rowLength) {
    for (let start = row; start < row + rowLength; start += blockSize, b++) {
      const end = Math.min(start + blockSize, row + rowLength);
      let amax = 0;
      for (let i = start; i < end; i++) amax = Math.max(amax, Math.abs(src[i]));
      if (!Number.isFinite(amax)) {
        scales[b] = E8M0.nanCode as number;
        continue;
      }
      const e = Math.min(E8M0.bias, Math.max(-E8M0.bias, sharedExponent(fmt, amax, rounding)));
      scales[b] = e + E8M0.bias;
      const mul = Math.fround(2 ** -e);
      for (let i = start; i < end; i++) codes[i] = encodeFloat32(fmt, Math.fround(src[i] * mul), true);
    }
  }
  return { codes, scales, blockSize, rowLength };
}

/**
 * Dequantizes MX blocks: `x = fround(decode(code) * 2^(scale - 127))`, NaN for a block whose scale is 0xFF.
 * @example const x = dequantizeMX(E4M3, quantizeMX(E4M3, src));
 */
export function dequantizeMX(elementFormat: FormatLike, mx: MXTensor, dst?: Float32Array): Float32Array {
  const fmt = checkElementFormat(elementFormat);
  const { codes, scales } = mx;
  if (!(codes instanceof Uint8Array)) throw new TypeError('mx.codes: expected a Uint8Array');
  if (!(scales instanceof Uint8Array)) throw new TypeError('mx.scales: expected a Uint8Array');
  const { blockSize, rowLength } = checkLayout(codes.length, mx);
  assertSameLength(blockCount(codes.length, blockSize, rowLength), scales.length, 'mx.scales.length');
  const out = dst ?? new Float32Array(codes.length);
  assertFloat32Array(out, 'dst');
  assertSameLength(codes.length, out.length, 'dst.length');
  const table = decodeTable(fmt);
  const perRow = Math.ceil(rowLength / blockSize);
  for (let i = 0; i < codes.length; i++) {
    const row = Math.floor(i / rowLength);
    const s = scales[row * perRow + Math.floor((i - row * rowLength) / blockSize)];
    out[i] = s === E8M0.nanCode ? Number.NaN : table[codes[i]] * 2 ** (s - E8M0.bias);
  }
  return out;
}
