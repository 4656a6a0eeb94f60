import { dequantize, type FloatFormat, type FormatLike, quantize, resolveFormat } from '@fp8lm/fp8-format';
import { scaleFromAmax } from './compute-scale.js';
import { inverseScale } from './float32.js';
import {
  assertFloat32Array,
  checkNonNegativeInteger,
  checkOneOf,
  checkOptions,
  checkPositiveInteger,
  describe,
} from './validate.js';

/** How block scales are stored: any float32 (`'f32'`, DeepSeek-V3) or powers of two (`'pow2'`, TE's default). */
export type ScaleType = 'f32' | 'pow2';

/** A tile shape `[rows, cols]`; edge tiles of a matrix that is not a multiple of it are smaller. */
export type Tile = readonly [rows: number, cols: number];

/** Options of {@link quantizeBlocks}. */
export interface BlockQuantizeOptions {
  /** The tile shape, e.g. `[1, 128]` (DeepSeek-V3 activations) or `[128, 128]` (weights). Required. */
  tile: Tile;
  /** Default `'f32'`. */
  scaleType?: ScaleType;
}

/**
 * A row-major matrix quantized in tiles: codes plus one scale per tile, `q = cast(x * scale)` and
 * `x ≈ decode(q) * scaleInv`. Scales are laid out row-major over the tile grid, `tileRows × tileCols`.
 */
export interface BlockQuantized {
  /** One code per element, in the source's row-major order (Uint16Array for FP16/BF16). */
  readonly codes: Uint8Array | Uint16Array;
  /** Scale of each tile (a float32, `fpMax / tileAmax`, 1 for an all-zero or non-finite tile). */
  readonly scales: Float32Array;
  /** `fround(1 / scale)` of each tile. */
  readonly scaleInvs: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly tile: Tile;
  /** Number of tiles down the rows: `ceil(rows / tile[0])`. */
  readonly tileRows: number;
  /** Number of tiles across the columns: `ceil(cols / tile[1])`. */
  readonly tileCols: number;
}

const SCALE_TYPES: readonly ScaleType[] = ['f32', 'pow2'];

/** Checks a tile shape and returns it as a frozen pair. */
export function checkTile(value: unknown, argument = 'tile'): Tile {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new TypeError(`${argument}: expected [rows, cols], found ${describe(value)}`);
  }
  return Object.freeze([
    checkPositiveInteger(value[0], `${argument}[0]`),
    checkPositiveInteger(value[1], `${argument}[1]`),
  ] as const);
}

/** Checks a matrix shape against its data. */
export function checkMatrix(
  length: number,
  rows: unknown,
  cols: unknown,
  names = { data: 'src', rows: 'rows', cols: 'cols' },
): [number, number] {
  const r = checkNonNegativeInteger(rows, names.rows);
  const c = checkNonNegativeInteger(cols, names.cols);
  if (r * c !== length) {
    throw new RangeError(
      `${names.data}.length: expected rows * cols = ${r} * ${c} = ${r * c}, found ${length}`,
    );
  }
  return [r, c];
}

/**
 * Quantizes a row-major `rows × cols` matrix in tiles, each with its own scale computed from the tile's
 * amax exactly as per-tensor scaling does (`computeScale(format.maxFinite, tileAmax)`, rounded down to a
 * power of two for `scaleType: 'pow2'`), then cast with fp8-format's `quantize` (saturating, round to
 * nearest even, `x * scale` rounded to float32 first), so the codes are bit-identical to quantizing each
 * tile alone. Partial tiles at the right and bottom edges are allowed.
 *
 * A tile holding NaN or ±Inf gets scale 1 (its amax says nothing usable); its NaNs stay NaN codes and its
 * infinities saturate. Formats without NaN (FP6/FP4) reject a NaN with a RangeError naming its index.
 *
 * @example
 * const q = quantizeBlocks(E4M3, x, 256, 512, { tile: [128, 128] }); // q.scales.length === 2 * 4
 */
export function quantizeBlocks(
  format: FormatLike,
  src: Float32Array,
  rows: number,
  cols: number,
  options: BlockQuantizeOptions,
): BlockQuantized {
  const fmt = resolveFormat(format);
  assertFloat32Array(src, 'src');
  const [r, c] = checkMatrix(src.length, rows, cols);
  const opts = checkOptions(options);
  const tile = checkTile(opts.tile, 'options.tile');
  const powerOfTwo = checkOneOf(opts.scaleType, 'options.scaleType', SCALE_TYPES, 'f32') === 'pow2';
  const [tr, tc] = tile;
  const tileRows = Math.ceil(r / tr);
  const tileCols = Math.ceil(c / tc);
  const codes = fmt.storage === 'Uint16Array' ? new Uint16Array(src.length) : new Uint8Array(src.length);
  const scales = new Float32Array(tileRows * tileCols);
  const scaleInvs = new Float32Array(tileRows * tileCols);
  const fpMax = Math.fround(fmt.maxFinite);
  for (let ti = 0; ti < tileRows; ti++) {
    const r0 = ti * tr;
    const r1 = Math.min(r0 + tr, r);
    for (let tj = 0; tj < tileCols; tj++) {
      const c0 = tj * tc;
      const c1 = Math.min(c0 + tc, c);
      let amax = 0;
      for (let i = r0; i < r1; i++) {
        for (let j = i * c + c0; j < i * c + c1; j++) amax = Math.max(amax, Math.abs(src[j]));
      }
      if (amax !== amax && fmt.nanCode === null) throwNaN(fmt, src, r0, r1, c0, c1, c);
      const scale = scaleFromAmax(fpMax, amax, 0, powerOfTwo, 0, 1);
      const t = ti * tileCols + tj;
      scales[t] = scale;
      scaleInvs[t] = inverseScale(scale);
      // Each tile row is contiguous: quantize it through fp8-format so the codes are its codes, bit for bit.
      for (let i = r0; i < r1; i++) {
        const a = i * c + c0;
        const b = i * c + c1;
        quantize(fmt, src.subarray(a, b), codes.subarray(a, b), { scale });
      }
    }
  }
  return { codes, scales, scaleInvs, rows: r, cols: c, tile, tileRows, tileCols };
}

function throwNaN(
  fmt: FloatFormat,
  src: Float32Array,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  cols: number,
) {
  for (let i = r0; i < r1; i++) {
    for (let j = i * cols + c0; j < i * cols + c1; j++) {
      if (src[j] !== src[j]) throw new RangeError(`src[${j}]: NaN has no encoding in ${fmt.name}`);
    }
  }
}

/**
 * Dequantizes {@link quantizeBlocks} output: `x = fround(decode(q) * scaleInv)` with each tile's `scaleInv`.
 * Writes into `dst` when given (a Float32Array of `rows * cols`), else into a new array, and returns it.
 * @example const x = dequantizeBlocks(E4M3, quantizeBlocks(E4M3, src, 4, 256, { tile: [1, 128] }));
 */
export function dequantizeBlocks(
  format: FormatLike,
  blocks: BlockQuantized,
  dst?: Float32Array,
): Float32Array {
  const fmt = resolveFormat(format);
  if (blocks === null || typeof blocks !== 'object') {
    throw new TypeError(`blocks: expected the result of quantizeBlocks, found ${describe(blocks)}`);
  }
  const { codes, scaleInvs } = blocks;
  const storage = fmt.storage === 'Uint16Array' ? Uint16Array : Uint8Array;
  if (!(codes instanceof storage)) {
    throw new TypeError(
      `blocks.codes: ${fmt.name} codes are stored in a ${fmt.storage}, found ${describe(codes)}`,
    );
  }
  const [r, c] = checkMatrix(codes.length, blocks.rows, blocks.cols, {
    data: 'blocks.codes',
    rows: 'blocks.rows',
    cols: 'blocks.cols',
  });
  const [tr, tc] = checkTile(blocks.tile, 'blocks.tile');
  const tileRows = Math.ceil(r / tr);
  const tileCols = Math.ceil(c / tc);
  assertFloat32Array(scaleInvs, 'blocks.scaleInvs');
  if (scaleInvs.length !== tileRows * tileCols) {
    throw new RangeError(
      `blocks.scaleInvs.length: expected ${tileRows} * ${tileCols} = ${tileRows * tileCols} tiles, found ${scaleInvs.length}`,
    );
  }
  const out = dst ?? new Float32Array(codes.length);
  assertFloat32Array(out, 'dst');
  if (out.length !== codes.length) {
    throw new RangeError(`dst.length: expected ${codes.length}, found ${out.length}`);
  }
  for (let ti = 0; ti < tileRows; ti++) {
    const r0 = ti * tr;
    const r1 = Math.min(r0 + tr, r);
    for (let tj = 0; tj < tileCols; tj++) {
      const c0 = tj * tc;
      const c1 = Math.min(c0 + tc, c);
      const scaleInv = scaleInvs[ti * tileCols + tj];
      for (let i = r0; i < r1; i++) {
        const a = i * c + c0;
        const b = i * c + c1;
        dequantize(fmt, codes.subarray(a, b), out.subarray(a, b), { scaleInv });
      }
    }
  }
  return out;
}
