import type { FormatLike } from '@fp8lm/fp8-format';
import {
  type BlockQuantized,
  dequantizeBlocks,
  quantizeBlocks,
  type ScaleType,
  type Tile,
} from './blocks.js';
import { checkOneOf, checkOptions } from './validate.js';

/** Options of {@link deepseekBlockRecipe}. */
export interface DeepSeekBlockRecipeOptions {
  /** `'f32'` (default, as DeepSeek-V3) or `'pow2'` scales. */
  scaleType?: ScaleType;
}

/** DeepSeek-V3's fine-grained block recipe: 1×128 tiles for activations, 128×128 tiles for weights. */
export interface DeepSeekBlockRecipe {
  readonly name: 'deepseek-blocks';
  readonly scaleType: ScaleType;
  /** `[1, 128]`: one scale per token per 128 channels, along the GEMM's inner dimension. */
  readonly activationTile: Tile;
  /** `[128, 128]`. */
  readonly weightTile: Tile;
  /** Quantizes a row-major `rows × cols` activation (tokens × channels) in {@link DeepSeekBlockRecipe.activationTile}s. */
  quantizeActivation(format: FormatLike, src: Float32Array, rows: number, cols: number): BlockQuantized;
  /** Quantizes a row-major `rows × cols` weight in {@link DeepSeekBlockRecipe.weightTile}s. */
  quantizeWeight(format: FormatLike, src: Float32Array, rows: number, cols: number): BlockQuantized;
  /** {@link dequantizeBlocks}. */
  dequantize(format: FormatLike, blocks: BlockQuantized, dst?: Float32Array): Float32Array;
}

const ACTIVATION_TILE: Tile = Object.freeze([1, 128] as const);
const WEIGHT_TILE: Tile = Object.freeze([128, 128] as const);

/**
 * The DeepSeek-V3 tile recipe (arXiv 2412.19437 §3.3): per-tile scales from each tile's own amax, so one
 * outlier only coarsens its own tile. Matrices that are not multiples of 128 get smaller edge tiles.
 * @example
 * const ds = deepseekBlockRecipe();
 * const q = ds.quantizeWeight(E4M3, w, 256, 256); // q.scales.length === 4
 */
export function deepseekBlockRecipe(options?: DeepSeekBlockRecipeOptions): DeepSeekBlockRecipe {
  const opts = checkOptions(options);
  const scaleType = checkOneOf(opts.scaleType, 'scaleType', ['f32', 'pow2'], 'f32');
  return Object.freeze({
    name: 'deepseek-blocks',
    scaleType,
    activationTile: ACTIVATION_TILE,
    weightTile: WEIGHT_TILE,
    quantizeActivation: (format: FormatLike, src: Float32Array, rows: number, cols: number) =>
      quantizeBlocks(format, src, rows, cols, { tile: ACTIVATION_TILE, scaleType }),
    quantizeWeight: (format: FormatLike, src: Float32Array, rows: number, cols: number) =>
      quantizeBlocks(format, src, rows, cols, { tile: WEIGHT_TILE, scaleType }),
    dequantize: (format: FormatLike, blocks: BlockQuantized, dst?: Float32Array) =>
      dequantizeBlocks(format, blocks, dst),
  });
}
