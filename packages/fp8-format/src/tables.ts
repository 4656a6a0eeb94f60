import { decodeCode, encodeFloat32 } from './codec.js';
import { float32FromBits } from './float32.js';
import { type FormatLike, resolveFormat } from './formats.js';

/** Marks a NaN input in an encode table of a format that has no NaN (no real code is 0xFF there). */
export const NO_NAN_CODE = 0xff;

/** The index of the float32 with bits `bits` (a uint32) into an {@link encodeTable}. */
export function encodeTableIndex(bits: number): number {
  return ((bits >>> 15) & 0x1fffe) | (((bits & 0xffff) + 0xffff) >>> 16);
}

const encodeTables = new Map<string, Uint8Array>();
const decodeTables = new Map<string, Float32Array>();

/**
 * The encode table of a format of at most 8 bits, as the bulk `quantize` uses it (and native or GPU
 * kernels may, to give the same codes bit for bit). For formats with at most 6 mantissa bits, the
 * round-to-nearest-even result depends only on a float32's top 16 bits and on whether any of its low
 * 16 bits is set (they can only matter as a sticky bit). So a 2^17-entry table indexed by
 * `(bits >>> 16) << 1 | (low16 != 0)` ({@link encodeTableIndex}) is exact for every float32 input.
 * In a format without NaN (FP6, FP4), a NaN input maps to 0xFF, which is no real code there.
 * Tables are built once per format and `saturate` and shared: do not write to one.
 * @example
 * const table = encodeTable(E4M3, true);
 * table[encodeTableIndex(0x3e99999a)]; // 0.3 → 0x2a
 */
export function encodeTable(format: FormatLike, saturate: boolean): Uint8Array {
  const fmt = resolveFormat(format);
  if (fmt.bits > 8) {
    throw new RangeError(
      `format: encode tables exist for formats of at most 8 bits, found ${fmt.name} (${fmt.bits})`,
    );
  }
  if (typeof saturate !== 'boolean')
    throw new TypeError(`saturate: expected a boolean, found ${String(saturate)}`);
  const key = `${fmt.name}/${saturate}`;
  let table = encodeTables.get(key);
  if (table === undefined) {
    table = new Uint8Array(1 << 17);
    for (let hi = 0; hi < 1 << 16; hi++) {
      for (let sticky = 0; sticky < 2; sticky++) {
        const code = encodeFloat32(fmt, float32FromBits((hi << 16) | sticky), saturate);
        table[(hi << 1) | sticky] = code < 0 ? NO_NAN_CODE : code;
      }
    }
    encodeTables.set(key, table);
  }
  return table;
}

/**
 * The decode table of a format, as the bulk `dequantize` uses it (and native or GPU kernels may, to
 * decode exactly as the codec): every code's value as a float32 (all are exactly representable),
 * 65536 entries for 16-bit formats, 256 for byte formats (codes beyond a narrower format's width
 * decode to NaN). Built once per format and shared: do not write to one.
 * @example
 * decodeTable(E4M3)[0x38]; // → 1
 */
export function decodeTable(format: FormatLike): Float32Array {
  const fmt = resolveFormat(format);
  let table = decodeTables.get(fmt.name);
  if (table === undefined) {
    const size = Math.max(256, 2 ** fmt.bits);
    table = new Float32Array(size).fill(Number.NaN);
    for (let code = 0; code < 2 ** fmt.bits; code++) table[code] = decodeCode(fmt, code);
    decodeTables.set(fmt.name, table);
  }
  return table;
}
