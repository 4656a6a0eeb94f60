import { encodeFloat32 } from './codec.js';
import { type FloatFormat, type FormatLike, resolveFormat } from './formats.js';
import { float32BitsToBFloat16, float32BitsToHalf } from './half.js';
import { counterUniform } from './stochastic.js';
import { decodeTable, encodeTable } from './tables.js';
import {
  assertCodeArray,
  assertFloat32Array,
  assertSameLength,
  checkRounding,
  checkSaturateOption,
  checkScale,
} from './validate.js';

/** Options of {@link quantize}. */
export interface QuantizeOptions {
  /** Multiplier before the cast; `x * scale` is rounded to float32 first, as a GPU computes it. Default 1. */
  scale?: number;
  /** Default true: clamp finite overflow and ±Inf to ±max (see `encode`). */
  saturate?: boolean;
  /** 'nearest-even' (default) or 'stochastic' (reproducible: element i draws from (seed, i)). */
  rounding?: 'nearest-even' | 'stochastic';
  /** Seed of stochastic rounding (default 0). */
  seed?: number;
}

/** Options of {@link dequantize}. */
export interface DequantizeOptions {
  /** Multiplier after decoding (`1 / scale` of the quantization). Default 1. */
  scaleInv?: number;
}

// Products are staged here so their float32 bits can be read back without allocating.
const CHUNK = 4096;
const stage = new Float32Array(CHUNK);
const stageBits = new Uint32Array(stage.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Bulk `dst[i] = encode(format, fround(src[i] * scale))` with the amax of `src` (before scaling) fused in.
 * @returns `{ amax }`: `max |src[i]|`, NaN if any element is NaN, 0 for an empty array.
 * @example
 * const codes = new Uint8Array(3);
 * quantize(E4M3, new Float32Array([1, -2, 500]), codes, { scale: 0.5 }); // → { amax: 500 }
 */
export function quantize(
  format: FormatLike,
  src: Float32Array,
  dst: Uint8Array | Uint16Array,
  options: QuantizeOptions = {},
): { amax: number } {
  const fmt = resolveFormat(format);
  assertFloat32Array(src, 'src');
  assertCodeArray(fmt, dst, 'dst');
  assertSameLength(src.length, dst.length, 'dst.length');
  const scale = checkScale(options.scale, 'scale');
  const saturate = checkSaturateOption(fmt, options.saturate);
  const rounding = checkRounding(options.rounding);
  let amax: number;
  if (rounding === 'stochastic') {
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new RangeError(`seed: expected an integer, found ${seed}`);
    amax = quantizeStochastic(fmt, src, dst, scale, saturate, seed);
  } else if (fmt.bits <= 8) {
    amax = quantizeByTable(fmt, src, dst as Uint8Array, scale, saturate);
  } else {
    amax = quantizeHalf(fmt, src, dst as Uint16Array, scale, saturate);
  }
  if (amax !== amax && fmt.nanCode === null) {
    throw new RangeError(`src[${src.findIndex((v) => v !== v)}]: NaN has no encoding in ${fmt.name}`);
  }
  return { amax };
}

function quantizeByTable(
  fmt: FloatFormat,
  src: Float32Array,
  dst: Uint8Array,
  scale: number,
  saturate: boolean,
): number {
  const table = encodeTable(fmt, saturate);
  const n = src.length;
  let amax = 0;
  if (scale === 1) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      amax = Math.max(amax, Math.abs(src[i]));
      const b = bits[i];
      dst[i] = table[((b >>> 15) & 0x1fffe) | (((b & 0xffff) + 0xffff) >>> 16)];
    }
    return amax;
  }
  for (let base = 0; base < n; base += CHUNK) {
    const len = Math.min(CHUNK, n - base);
    for (let j = 0; j < len; j++) {
      const v = src[base + j];
      amax = Math.max(amax, Math.abs(v));
      stage[j] = v * scale;
    }
    for (let j = 0; j < len; j++) {
      const b = stageBits[j];
      dst[base + j] = table[((b >>> 15) & 0x1fffe) | (((b & 0xffff) + 0xffff) >>> 16)];
    }
  }
  return amax;
}

function quantizeHalf(
  fmt: FloatFormat,
  src: Float32Array,
  dst: Uint16Array,
  scale: number,
  saturate: boolean,
): number {
  return fmt.name === 'f16'
    ? quantizeF16(src, dst, scale, saturate)
    : quantizeBF16(src, dst, scale, saturate);
}

// One loop per format so each conversion call site stays monomorphic (V8 then inlines it).
function quantizeF16(src: Float32Array, dst: Uint16Array, scale: number, saturate: boolean): number {
  const n = src.length;
  let amax = 0;
  for (let base = 0; base < n; base += CHUNK) {
    const len = Math.min(CHUNK, n - base);
    for (let j = 0; j < len; j++) {
      const v = src[base + j];
      amax = Math.max(amax, Math.abs(v));
      stage[j] = v * scale;
    }
    for (let j = 0; j < len; j++) dst[base + j] = float32BitsToHalf(stageBits[j], saturate);
  }
  return amax;
}

function quantizeBF16(src: Float32Array, dst: Uint16Array, scale: number, saturate: boolean): number {
  const n = src.length;
  let amax = 0;
  for (let base = 0; base < n; base += CHUNK) {
    const len = Math.min(CHUNK, n - base);
    for (let j = 0; j < len; j++) {
      const v = src[base + j];
      amax = Math.max(amax, Math.abs(v));
      stage[j] = v * scale;
    }
    for (let j = 0; j < len; j++) dst[base + j] = float32BitsToBFloat16(stageBits[j], saturate);
  }
  return amax;
}

function quantizeStochastic(
  fmt: FloatFormat,
  src: Float32Array,
  dst: Uint8Array | Uint16Array,
  scale: number,
  saturate: boolean,
  seed: number,
): number {
  let amax = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    amax = Math.max(amax, Math.abs(v));
    const code = encodeFloat32(fmt, Math.fround(v * scale), saturate, counterUniform(seed, i));
    dst[i] = Math.max(code, 0);
  }
  return amax;
}

/**
 * Bulk `dst[i] = fround(decode(format, src[i]) * scaleInv)`.
 * Codes beyond a sub-byte format's width decode to NaN.
 * @example
 * const out = new Float32Array(2);
 * dequantize(E4M3, new Uint8Array([0x38, 0xc0]), out, { scaleInv: 2 }); // out = [2, -4]
 */
export function dequantize(
  format: FormatLike,
  src: Uint8Array | Uint16Array,
  dst: Float32Array,
  options: DequantizeOptions = {},
): void {
  const fmt = resolveFormat(format);
  assertCodeArray(fmt, src, 'src');
  assertFloat32Array(dst, 'dst');
  assertSameLength(src.length, dst.length, 'dst.length');
  const scaleInv = checkScale(options.scaleInv, 'scaleInv');
  const table = decodeTable(fmt);
  const n = src.length;
  if (n < 4 * table.length) {
    // Small arrays: not worth a scaled copy of the table.
    for (let i = 0; i < n; i++) dst[i] = table[src[i]] * scaleInv;
    return;
  }
  // Scale the table once (fround(table[c] * scaleInv) is exactly what the per-element product would
  // store), then copy float32 bit patterns: no float conversions in the element loop.
  let scaled = table;
  if (scaleInv !== 1) {
    scaled = new Float32Array(table.length);
    for (let c = 0; c < table.length; c++) scaled[c] = table[c] * scaleInv;
  }
  const bits = new Int32Array(scaled.buffer, scaled.byteOffset, scaled.length);
  const out = new Int32Array(dst.buffer, dst.byteOffset, n);
  if (src instanceof Uint16Array) copyByTable16(bits, src, out);
  else copyByTable8(bits, src, out);
}

// The element loops live in small functions of their own, so V8 optimizes each with complete type
// feedback instead of on-stack-replacing a large function midway through its first call.
function copyByTable16(bits: Int32Array, src: Uint16Array, out: Int32Array): void {
  for (let i = 0; i < src.length; i++) out[i] = bits[src[i]];
}

/** `out[i] = bits[src[i]]`, reading four byte codes per aligned 32-bit load on little-endian platforms. */
function copyByTable8(bits: Int32Array, src: Uint8Array, out: Int32Array): void {
  const n = src.length;
  let i = 0;
  if (LITTLE_ENDIAN) {
    const head = Math.min(n, (4 - (src.byteOffset & 3)) & 3);
    for (; i < head; i++) out[i] = bits[src[i]];
    const words = (n - i) >>> 2;
    copyWords(bits, new Uint32Array(src.buffer, src.byteOffset + i, words), out, i);
    i += words * 4;
  }
  for (; i < n; i++) out[i] = bits[src[i]];
}

function copyWords(bits: Int32Array, words: Uint32Array, out: Int32Array, start: number): void {
  let i = start;
  for (let w = 0; w < words.length; w++, i += 4) {
    const v = words[w];
    out[i] = bits[v & 0xff];
    out[i + 1] = bits[(v >>> 8) & 0xff];
    out[i + 2] = bits[(v >>> 16) & 0xff];
    out[i + 3] = bits[v >>> 24];
  }
}
