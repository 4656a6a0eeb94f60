// Bad input throws a TypeError or RangeError whose message starts with the argument's name.

import { E4M3 } from '@fp8lm/fp8-format';
import {
  computeScale,
  countSaturated,
  currentRecipe,
  deepseekBlockRecipe,
  delayedRecipe,
  dequantizeBlocks,
  diagnose,
  fixedPreScale,
  GradientAutoScaler,
  mxRecipe,
  quantizeBlocks,
  ScalingMeta,
} from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';

const x = new Float32Array(6);
const meta = () => new ScalingMeta(E4M3, { historyLength: 2 });

const CASES: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
  [
    'history length 0',
    () => new ScalingMeta(E4M3, { historyLength: 0 }),
    RangeError,
    /^historyLength: expected a positive integer/,
  ],
  ['history length 1.5', () => new ScalingMeta(E4M3, { historyLength: 1.5 }), RangeError, /^historyLength/],
  ['unknown format', () => new ScalingMeta('e4m4' as never), TypeError, /^format: expected one of/],
  ['zero initial scale', () => new ScalingMeta(E4M3, { scale: 0 }), RangeError, /^scale: /],
  ['scale whose inverse overflows', () => meta().setScale(1e-40), RangeError, /^scale: /],
  ['negative amax record', () => meta().record(-1), RangeError, /^amax: expected a finite non-negative/],
  ['NaN amax record', () => meta().record(Number.NaN), RangeError, /^amax: /],
  ['string amax', () => meta().record('1' as never), TypeError, /^amax: expected a number/],
  ['bad window algorithm', () => meta().windowAmax('mean' as never), RangeError, /^algorithm: /],
  [
    'negative margin',
    () => computeScale(448, 1, { margin: -1 }),
    RangeError,
    /^margin: expected a non-negative integer/,
  ],
  ['fractional margin', () => delayedRecipe({ margin: 0.5 }), RangeError, /^margin: /],
  ['negative margin (recipe)', () => currentRecipe({ margin: -2 }), RangeError, /^margin: /],
  ['zero fpMax', () => computeScale(0, 1), RangeError, /^fpMax: /],
  ['negative amax', () => computeScale(448, -1), RangeError, /^amax: /],
  [
    'non-boolean powerOfTwo',
    () => computeScale(448, 1, { powerOfTwo: 1 as never }),
    TypeError,
    /^powerOfTwo: /,
  ],
  ['bad previous', () => computeScale(448, 0, { previous: Number.NaN }), RangeError, /^previous: /],
  ['negative epsilon', () => currentRecipe({ epsilon: -1 }), RangeError, /^epsilon: /],
  [
    'bad amax algorithm',
    () => delayedRecipe({ amaxAlgorithm: 'avg' as never }),
    RangeError,
    /^amaxAlgorithm: expected one of 'max', 'most-recent'/,
  ],
  ['update with no meta', () => delayedRecipe().update({} as never, 1), TypeError, /^meta: /],
  ['update with negative amax', () => currentRecipe().update(meta(), -3), RangeError, /^amax: /],
  [
    'tile not positive',
    () => quantizeBlocks(E4M3, x, 2, 3, { tile: [0, 128] }),
    RangeError,
    /^options\.tile\[0\]: expected a positive integer/,
  ],
  [
    'tile not a pair',
    () => quantizeBlocks(E4M3, x, 2, 3, { tile: [128] as never }),
    TypeError,
    /^options\.tile: expected \[rows, cols\]/,
  ],
  ['tile missing', () => quantizeBlocks(E4M3, x, 2, 3, undefined as never), TypeError, /^options\.tile/],
  [
    'src length != rows*cols',
    () => quantizeBlocks(E4M3, x, 2, 4, { tile: [1, 128] }),
    RangeError,
    /^src\.length: expected rows \* cols = 2 \* 4 = 8, found 6/,
  ],
  ['negative rows', () => quantizeBlocks(E4M3, x, -2, -3, { tile: [1, 128] }), RangeError, /^rows: /],
  [
    'src not Float32Array',
    () => quantizeBlocks(E4M3, [1] as never, 1, 1, { tile: [1, 1] }),
    TypeError,
    /^src: expected a Float32Array/,
  ],
  [
    'bad scaleType',
    () => quantizeBlocks(E4M3, x, 2, 3, { tile: [1, 1], scaleType: 'e8m0' as never }),
    RangeError,
    /^options\.scaleType/,
  ],
  [
    'bad deepseek scaleType',
    () => deepseekBlockRecipe({ scaleType: 'bf16' as never }),
    RangeError,
    /^scaleType: /,
  ],
  [
    'dequantize wrong codes',
    () =>
      dequantizeBlocks(E4M3, {
        ...quantizeBlocks(E4M3, x, 2, 3, { tile: [1, 2] }),
        codes: new Uint16Array(6),
      }),
    TypeError,
    /^blocks\.codes: /,
  ],
  [
    'dequantize wrong scale count',
    () =>
      dequantizeBlocks(E4M3, {
        ...quantizeBlocks(E4M3, x, 2, 3, { tile: [1, 2] }),
        scaleInvs: new Float32Array(1),
      }),
    RangeError,
    /^blocks\.scaleInvs\.length/,
  ],
  [
    'dequantize wrong dst',
    () => dequantizeBlocks(E4M3, quantizeBlocks(E4M3, x, 2, 3, { tile: [1, 2] }), new Float32Array(5)),
    RangeError,
    /^dst\.length/,
  ],
  [
    'mx rule even',
    () => mxRecipe({ scaleRounding: 'even' as never }),
    RangeError,
    /^scaleRounding: expected one of 'floor', 'ceil'/,
  ],
  ['mx src length', () => mxRecipe().quantize(E4M3, x, 4, 4), RangeError, /^src\.length/],
  ['threshold 1', () => new GradientAutoScaler({ threshold: 1 }), RangeError, /^threshold: /],
  [
    'window 0',
    () => new GradientAutoScaler({ window: 0 }),
    RangeError,
    /^window: expected a positive integer/,
  ],
  ['minMu above maxMu', () => new GradientAutoScaler({ minMu: 4 }), RangeError, /^minMu: /],
  ['initialMu outside', () => new GradientAutoScaler({ initialMu: 3 }), RangeError, /^initialMu: /],
  [
    'saturated above total',
    () => new GradientAutoScaler().update(3, 2),
    RangeError,
    /^saturatedCount: expected at most total/,
  ],
  ['fractional total', () => new GradientAutoScaler().update(0, 2.5), RangeError, /^total: /],
  ['worldSize 0', () => fixedPreScale(0), RangeError, /^worldSize: expected a positive integer/],
  [
    'diagnose length',
    () => diagnose(E4M3, x, new Uint8Array(5), 1),
    RangeError,
    /^codes\.length: expected 6/,
  ],
  [
    'diagnose storage',
    () => diagnose(E4M3, x, new Uint16Array(6), 1),
    TypeError,
    /^codes: e4m3 codes are stored in a Uint8Array/,
  ],
  ['diagnose scale', () => diagnose(E4M3, x, new Uint8Array(6), -1), RangeError, /^scale: /],
  ['countSaturated storage', () => countSaturated(E4M3, [1] as never), TypeError, /^codes: /],
];

describe('bad input', () => {
  for (const [what, fn, type, message] of CASES) {
    it(what, () => {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    });
  }
});
