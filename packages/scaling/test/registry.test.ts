import { E4M3 } from '@fp8lm/fp8-format';
import { RECIPE_NAMES, recipeByName, ScalingMeta } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';

describe('recipeByName', () => {
  it('builds each recipe by name with its options', () => {
    const delayed = recipeByName('delayed', { margin: 2, powerOfTwo: true, amaxAlgorithm: 'most-recent' });
    expect([delayed.name, delayed.margin, delayed.powerOfTwo, delayed.amaxAlgorithm]).toEqual([
      'delayed',
      2,
      true,
      'most-recent',
    ]);
    const current = recipeByName('current', { epsilon: 0 });
    expect([current.name, current.epsilon, current.margin]).toEqual(['current', 0, 0]);
    const mx = recipeByName('mx', { scaleRounding: 'ceil' });
    expect([mx.name, mx.blockSize, mx.scaleRounding]).toEqual(['mx', 32, 'ceil']);
    const ds = recipeByName('deepseek-blocks');
    expect([ds.name, ds.activationTile, ds.weightTile]).toEqual(['deepseek-blocks', [1, 128], [128, 128]]);
    expect(RECIPE_NAMES).toEqual(['delayed', 'current', 'mx', 'deepseek-blocks']);
  });

  it('recipes are stateless: one object serves many metas', () => {
    const recipe = recipeByName('delayed');
    const a = new ScalingMeta(E4M3, { historyLength: 2 });
    const b = new ScalingMeta(E4M3, { historyLength: 2 });
    recipe.update(a, 7);
    recipe.update(b, 14);
    expect([a.scale, b.scale]).toEqual([64, 32]);
    expect(Object.isFrozen(recipe)).toBe(true);
  });

  it('rejects unknown names with a RangeError listing the valid ones', () => {
    expect(() => recipeByName('hybrid' as never)).toThrow(RangeError);
    expect(() => recipeByName('hybrid' as never)).toThrow(
      "name: expected one of 'delayed', 'current', 'mx', 'deepseek-blocks', found \"hybrid\"",
    );
  });
});
