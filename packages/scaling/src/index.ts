export { type AutoScalerJSON, type AutoScalerOptions, GradientAutoScaler } from './auto-scale.js';
export {
  type BlockQuantized,
  type BlockQuantizeOptions,
  dequantizeBlocks,
  quantizeBlocks,
  type ScaleType,
  type Tile,
} from './blocks.js';
export { computeScale, type ScaleOptions } from './compute-scale.js';
export { type CurrentRecipe, type CurrentRecipeOptions, currentRecipe } from './current.js';
export {
  type DeepSeekBlockRecipe,
  type DeepSeekBlockRecipeOptions,
  deepseekBlockRecipe,
} from './deepseek.js';
export { type DelayedRecipe, type DelayedRecipeOptions, delayedRecipe } from './delayed.js';
export { countSaturated, diagnose, type TensorDiagnostics } from './diagnostics.js';
export { type AmaxAlgorithm, ScalingMeta, type ScalingMetaJSON, type ScalingMetaOptions } from './meta.js';
export { type MXRecipe, type MXRecipeOptions, type MXScaleRule, mxRecipe } from './mx.js';
export {
  fixedPreScale,
  type GradientPreScaler,
  PRE_SCALE_NAMES,
  type PreScaleName,
  type PreScaleOptions,
  preScaleByName,
} from './pre-scale.js';
export type { PerTensorOptions, ScalingRecipe } from './recipe.js';
export { type AmaxReducer, identityReducer } from './reducer.js';
export {
  type AnyRecipe,
  RECIPE_NAMES,
  type RecipeByName,
  type RecipeName,
  type RecipeOptionsByName,
  recipeByName,
} from './registry.js';
