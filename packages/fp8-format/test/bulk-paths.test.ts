import { decode, dequantize, encode, FORMATS, quantize } from '@fp8lm/fp8-format';
import { describe, expect, it } from 'vitest';

// The bulk paths (encode tables, pre-scaled decode tables read four codes at a time, the
// FP16/BF16 bit loops) must agree with the scalar codec element for element, at any length and
// at any byte offset of the underlying buffer.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const formats = Object.values(FORMATS);

describe('bulk dequantize equals scalar decode × scaleInv', () => {
  for (const fmt of formats) {
    it(`${fmt.name}: lengths around the fast-path cut-off, unaligned offsets`, () => {
      const rand = lcg(fmt.bits * 7 + 1);
      for (const length of [1, 3, 1023, 1024, 1025, 5003]) {
        for (const offset of [0, 1, 2, 3]) {
          const Codes = fmt.bits > 8 ? Uint16Array : Uint8Array;
          const buffer = new ArrayBuffer((length + offset) * Codes.BYTES_PER_ELEMENT);
          const codes = new Codes(buffer, offset * Codes.BYTES_PER_ELEMENT, length);
          for (let i = 0; i < length; i++) codes[i] = Math.floor(rand() * 2 ** fmt.bits);
          for (const scaleInv of [1, 0.3, 2 ** -7]) {
            const out = new Float32Array(length);
            dequantize(fmt, codes, out, { scaleInv });
            for (let i = 0; i < length; i++) {
              const expected = Math.fround(decode(fmt, codes[i]) * Math.fround(scaleInv));
              if (!Object.is(out[i], expected) && !(Number.isNaN(out[i]) && Number.isNaN(expected))) {
                expect.fail(
                  `${fmt.name} length ${length} offset ${offset} scaleInv ${scaleInv} index ${i}: code ${codes[i]} → ${out[i]}, expected ${expected}`,
                );
              }
            }
          }
        }
      }
    });
  }
});

describe('bulk quantize equals scalar encode of fround(x·scale)', () => {
  for (const fmt of formats) {
    for (const saturate of [true, false]) {
      if (!saturate && fmt.nanCode === null && fmt.infinityCode === null) continue;
      it(`${fmt.name}${saturate ? '' : ' no-saturate'}: random float32 bit patterns and scaled values`, () => {
        const rand = lcg(fmt.bits * 13 + (saturate ? 1 : 2));
        const n = 20_000;
        const x = new Float32Array(n);
        const bits = new Uint32Array(x.buffer);
        for (let i = 0; i < n; i++) {
          if (i % 2 === 0) bits[i] = Math.floor(rand() * 2 ** 32);
          else x[i] = (rand() - 0.5) * 2 * fmt.maxFinite * 2 ** Math.floor(rand() * 8 - 6);
        }
        if (fmt.nanCode === null) for (let i = 0; i < n; i++) if (Number.isNaN(x[i])) x[i] = 0;
        for (const scale of [1, 0.37, 2 ** 5]) {
          const Codes = fmt.bits > 8 ? Uint16Array : Uint8Array;
          const codes = new Codes(n);
          quantize(fmt, x, codes, { scale, saturate });
          const s = Math.fround(scale);
          for (let i = 0; i < n; i++) {
            const expected = encode(fmt, Math.fround(x[i] * s), { saturate });
            if (codes[i] !== expected) {
              expect.fail(
                `${fmt.name} scale ${scale} index ${i}: x ${x[i]} → ${codes[i]}, expected ${expected}`,
              );
            }
          }
        }
      });
    }
  }
});
