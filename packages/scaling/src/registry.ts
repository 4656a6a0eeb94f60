import { type CurrentRecipe, type CurrentRecipeOptions, currentRecipe } from './current.js';
import {
  type DeepSeekBlockRecipe,
  type DeepSeekBlockRecipeOptions,
  deepseekBlockRecipe,
} from './deepseek.js';
import { type DelayedRecipe, type DelayedRecipeOptions, delayedRecipe } from './delayed.js';
import { type MXRecipe, type MXRecipeOptions, mxRecipe } from './mx.js';
import { describe } from './validate.js';

/** The names a trainer can pick a recipe by. */
export const RECIPE_NAMES = Object.freeze(['delayed', 'current', 'mx', 'deepseek-blocks'] as const);

/** One of {@link RECIPE_NAMES}. */
export type RecipeName = (typeof RECIPE_NAMES)[number];

/** The options each named recipe takes. */
export interface RecipeOptionsByName {
  delayed: DelayedRecipeOptions;
  current: CurrentRecipeOptions;
  mx: MXRecipeOptions;
  'deepseek-blocks': DeepSeekBlockRecipeOptions;
}

/** The recipe object each name gives. */
export interface RecipeByName {
  delayed: DelayedRecipe;
  current: CurrentRecipe;
  mx: MXRecipe;
  'deepseek-blocks': DeepSeekBlockRecipe;
}

/** Any recipe {@link recipeByName} can return. */
export type AnyRecipe = RecipeByName[RecipeName];

/**
 * The recipe named `name`, built with `options` — how a trainer turns a config string into a recipe.
 * Throws a RangeError listing the valid names for anything else.
 * @example
 * const recipe = recipeByName('delayed', { margin: 1, powerOfTwo: true });
 */
export function recipeByName<N extends RecipeName>(
  name: N,
  options?: RecipeOptionsByName[N],
): RecipeByName[N] {
  // The casts are safe: each branch returns the type RecipeByName maps its literal name to.
  switch (name as RecipeName) {
    case 'delayed':
      return delayedRecipe(options as DelayedRecipeOptions) as RecipeByName[N];
    case 'current':
      return currentRecipe(options as CurrentRecipeOptions) as RecipeByName[N];
    case 'mx':
      return mxRecipe(options as MXRecipeOptions) as RecipeByName[N];
    case 'deepseek-blocks':
      return deepseekBlockRecipe(options as DeepSeekBlockRecipeOptions) as RecipeByName[N];
    default:
      throw new RangeError(
        `name: expected one of ${RECIPE_NAMES.map((n) => `'${n}'`).join(', ')}, found ${describe(name)}`,
      );
  }
}
