import { decode, E2M1, E4M3, E5M2, encode, type FloatFormat } from '@fp8lm/fp8-format';
import { mxRecipe } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { floorLog2, logUniform } from './helpers/reference.js';

/** The E8M0 exponent of one block, straight from the rule's definition. */
function bruteExponent(fmt: FloatFormat, amax: number, rule: 'floor' | 'ceil'): number {
  if (amax === 0) return -127;
  if (rule === 'floor') return floorLog2(amax) - floorLog2(fmt.maxFinite);
  // The smallest e with amax / 2^e <= maxFinite, by search.
  let e = -127;
  while (amax / 2 ** e > fmt.maxFinite) e++;
  return e;
}

describe('mxRecipe', () => {
  for (const rule of ['floor', 'ceil'] as const) {
    for (const fmt of [E4M3, E5M2, E2M1]) {
      it(`picks E8M0 scales by the '${rule}' rule, 32 per row block (${fmt.name})`, () => {
        const rows = 5;
        const cols = 100; // 3 full blocks and a block of 4 per row
        const src = logUniform(rows * cols, -30, 30, rows + cols + fmt.bits);
        const mx = mxRecipe({ scaleRounding: rule }).quantize(fmt, src, rows, cols);
        expect(mx.blockSize).toBe(32);
        expect(mx.scales.length).toBe(rows * 4);
        let saturatedAboveMax = 0;
        for (let r = 0; r < rows; r++) {
          for (let b = 0; b < 4; b++) {
            let amax = 0;
            for (let j = b * 32; j < Math.min(cols, b * 32 + 32); j++)
              amax = Math.max(amax, Math.abs(src[r * cols + j]));
            const e = bruteExponent(fmt, amax, rule);
            expect(mx.scales[r * 4 + b]).toBe(e + 127);
            for (let j = b * 32; j < Math.min(cols, b * 32 + 32); j++) {
              const x = src[r * cols + j];
              const code = mx.codes[r * cols + j];
              expect(code).toBe(encode(fmt, Math.fround(x * 2 ** -e)));
              if (Math.abs(x * 2 ** -e) > fmt.maxFinite) saturatedAboveMax++;
            }
          }
        }
        // 'ceil' never needs to clip; 'floor' clips whenever a block's top exceeds the format's mantissa range.
        if (rule === 'ceil') expect(saturatedAboveMax).toBe(0);
        const back = mxRecipe({ scaleRounding: rule }).dequantize(fmt, mx);
        back.forEach((v, k) => {
          const e = mx.scales[Math.floor(k / cols) * 4 + Math.floor((k % cols) / 32)] - 127;
          expect(v).toBe(Math.fround(decode(fmt, mx.codes[k]) * 2 ** e));
        });
      });
    }
  }

  it("defaults to 'floor', where a block's top can saturate", () => {
    const recipe = mxRecipe();
    expect(recipe.scaleRounding).toBe('floor');
    // amax 500: floor gives 2^(8-8) = 1, so 500 clamps to 448; ceil gives 2, so 500 -> 250 (nearest 256).
    const src = new Float32Array(32).fill(1);
    src[0] = 500;
    expect(decode(E4M3, recipe.quantize(E4M3, src, 1, 32).codes[0])).toBe(448);
    const up = mxRecipe({ scaleRounding: 'ceil' }).quantize(E4M3, src, 1, 32);
    expect(up.scales[0]).toBe(128);
    expect(decode(E4M3, up.codes[0])).toBe(256);
  });
});
