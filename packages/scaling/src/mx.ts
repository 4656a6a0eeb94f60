import { dequantizeMX, type FormatLike, type MXTensor, quantizeMX } from '@fp8lm/fp8-format';
import { checkMatrix } from './blocks.js';
import { assertFloat32Array, checkOneOf, checkOptions } from './validate.js';

/**
 * How an MX block's E8M0 scale is chosen:
 * - `'floor'` (OCP MX v1.0): `2^(floor(log2(amax)) - emax)`, emax the element format's largest exponent;
 *   the block's largest values may saturate (by less than one binade).
 * - `'ceil'` (round up): the smallest power of two with `amax / 2^e <= maxFinite`; nothing saturates, at
 *   the cost of up to one binade of resolution at the bottom.
 */
export type MXScaleRule = 'floor' | 'ceil';

/** Options of {@link mxRecipe}. */
export interface MXRecipeOptions {
  /** Default `'floor'`. */
  scaleRounding?: MXScaleRule;
}

/** The MX block recipe: 1×32 blocks along each row with E8M0 scales, via fp8-format's `quantizeMX`. */
export interface MXRecipe {
  readonly name: 'mx';
  /** 32, as OCP MX. */
  readonly blockSize: number;
  readonly scaleRounding: MXScaleRule;
  /**
   * Quantizes a row-major `rows × cols` matrix; blocks run along each row and restart at the next one, so
   * a row that is not a multiple of 32 ends in a shorter block.
   */
  quantize(elementFormat: FormatLike, src: Float32Array, rows: number, cols: number): MXTensor;
  /** fp8-format's `dequantizeMX`. */
  dequantize(elementFormat: FormatLike, mx: MXTensor, dst?: Float32Array): Float32Array;
}

/**
 * The OCP MX recipe (MXFP8 E4M3/E5M2, MXFP6, MXFP4 elements): 32 consecutive elements of a row share one
 * E8M0 scale. Element codes are `encode(fround(x / 2^e))`, saturating; a block with NaN/Inf gets the NaN
 * scale.
 * @example
 * const mx = mxRecipe({ scaleRounding: 'ceil' }).quantize(E4M3, x, 2, 64); // mx.scales.length === 4
 */
export function mxRecipe(options?: MXRecipeOptions): MXRecipe {
  const opts = checkOptions(options);
  const scaleRounding = checkOneOf(opts.scaleRounding, 'scaleRounding', ['floor', 'ceil'], 'floor');
  return Object.freeze({
    name: 'mx',
    blockSize: 32,
    scaleRounding,
    quantize(elementFormat: FormatLike, src: Float32Array, rows: number, cols: number): MXTensor {
      assertFloat32Array(src, 'src');
      const [, c] = checkMatrix(src.length, rows, cols);
      return quantizeMX(elementFormat, src, { blockSize: 32, scaleRounding, rowLength: c });
    },
    dequantize(elementFormat: FormatLike, mx: MXTensor, dst?: Float32Array): Float32Array {
      return dequantizeMX(elementFormat, mx, dst);
    },
  });
}
