// Bad input gives a TypeError (wrong kind of thing) or a RangeError (right kind, bad value) whose
// message names the offending argument.

import {
  decode,
  dequantize,
  dequantizeMX,
  E2M1,
  E2M3,
  E3M2,
  E4M3,
  E8M0,
  encode,
  FP16,
  isNaNCode,
  quantize,
  quantizeMX,
} from '@fp8lm/fp8-format';
import { describe, expect, it } from 'vitest';

type ErrorClass = typeof TypeError | typeof RangeError;

/** Expects `fn` to throw exactly `kind` (not a subclass mix-up) with `argument` named as a word in the message. */
function expectError(fn: () => unknown, kind: ErrorClass, argument: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined)
    throw new Error(`expected a ${kind.name} naming ${argument}, but nothing was thrown`);
  expect(thrown).toBeInstanceOf(kind);
  expect((thrown as Error).constructor).toBe(kind);
  const escaped = argument.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect((thrown as Error).message).toMatch(new RegExp(`(^|[^\\w.])${escaped}(?![\\w.])`));
}

// Deliberately wrong values, typed loosely so the calls compile.
// biome-ignore lint/suspicious/noExplicitAny: the point of these tests is to pass what the types forbid
const bad = (value: unknown): any => value;

const f32 = (n: number) => new Float32Array(n);

describe('unknown formats', () => {
  const badFormats = ['e9m9', 'E4M3', 'fp8', 'toString', '__proto__', '', 42, null, undefined, {}, []];
  const foreign = { ...E4M3 }; // same fields, not the package's descriptor
  const foreignNamed = { name: 'toString' };
  it('encode / decode / isNaNCode / quantize / dequantize reject them with a TypeError naming format', () => {
    for (const format of [...badFormats, foreign, foreignNamed]) {
      expectError(() => encode(bad(format), 1), TypeError, 'format');
      expectError(() => decode(bad(format), 0), TypeError, 'format');
      expectError(() => isNaNCode(bad(format), 0), TypeError, 'format');
      expectError(() => quantize(bad(format), f32(1), new Uint8Array(1)), TypeError, 'format');
      expectError(() => dequantize(bad(format), new Uint8Array(1), f32(1)), TypeError, 'format');
    }
  });
  it('quantizeMX / dequantizeMX name elementFormat, also for formats that are not MX elements', () => {
    for (const format of [...badFormats, foreign, 'f16', 'bf16', 'e8m0', 'e4m3fnuz', FP16, E8M0]) {
      expectError(() => quantizeMX(bad(format), f32(32)), TypeError, 'elementFormat');
      const mx = quantizeMX(E4M3, f32(32));
      expectError(() => dequantizeMX(bad(format), mx), TypeError, 'elementFormat');
    }
  });
});

describe('typed-array kinds and lengths', () => {
  it('src must be a Float32Array', () => {
    for (const src of [
      new Float64Array(4),
      new Uint8Array(4),
      [1, 2, 3, 4],
      'abcd',
      null,
      new DataView(new ArrayBuffer(16)),
    ]) {
      expectError(() => quantize(E4M3, bad(src), new Uint8Array(4)), TypeError, 'src');
      expectError(() => quantizeMX(E4M3, bad(src)), TypeError, 'src');
    }
  });

  it('FP8 codes live in a Uint8Array and FP16/BF16 codes in a Uint16Array', () => {
    expectError(() => quantize(E4M3, f32(4), bad(new Uint16Array(4))), TypeError, 'dst');
    expectError(() => quantize('e5m2', f32(4), bad(new Int8Array(4))), TypeError, 'dst');
    expectError(() => quantize(E4M3, f32(4), bad(new Uint8ClampedArray(4))), TypeError, 'dst');
    expectError(() => quantize(E4M3, f32(4), bad([0, 0, 0, 0])), TypeError, 'dst');
    expectError(() => quantize(FP16, f32(4), bad(new Uint8Array(4))), TypeError, 'dst');
    expectError(() => quantize('bf16', f32(4), bad(new Int16Array(4))), TypeError, 'dst');
    expectError(() => quantize(E2M1, f32(4), bad(new Uint16Array(4))), TypeError, 'dst');
    expectError(() => dequantize(E4M3, bad(new Uint16Array(4)), f32(4)), TypeError, 'src');
    expectError(() => dequantize(FP16, bad(new Uint8Array(4)), f32(4)), TypeError, 'src');
    expectError(() => dequantize(E4M3, new Uint8Array(4), bad(new Float64Array(4))), TypeError, 'dst');
  });

  it('lengths must agree', () => {
    expectError(() => quantize(E4M3, f32(4), new Uint8Array(3)), RangeError, 'dst.length');
    expectError(() => quantize(FP16, f32(4), new Uint16Array(5)), RangeError, 'dst.length');
    expectError(() => dequantize(E4M3, new Uint8Array(4), f32(2)), RangeError, 'dst.length');
  });
});

describe('scales', () => {
  const badScales = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    0,
    -0,
    -1,
    1e-50,
    1e39,
    '2',
    null,
  ];
  it('scale and scaleInv must be finite and positive as a float32', () => {
    for (const scale of badScales) {
      expectError(
        () => quantize(E4M3, f32(2), new Uint8Array(2), { scale: bad(scale) }),
        RangeError,
        'scale',
      );
      expectError(
        () => quantize(FP16, f32(2), new Uint16Array(2), { scale: bad(scale) }),
        RangeError,
        'scale',
      );
      expectError(
        () => quantize(E4M3, f32(2), new Uint8Array(2), { scale: bad(scale), rounding: 'stochastic' }),
        RangeError,
        'scale',
      );
      expectError(
        () => dequantize(E4M3, new Uint8Array(2), f32(2), { scaleInv: bad(scale) }),
        RangeError,
        'scaleInv',
      );
    }
  });
});

describe('options', () => {
  it('rounding must be nearest-even or stochastic', () => {
    for (const rounding of ['nearest', 'up', '', 0, null]) {
      expectError(() => encode(E4M3, 1, { rounding: bad(rounding) }), RangeError, 'rounding');
      expectError(
        () => quantize(E4M3, f32(1), new Uint8Array(1), { rounding: bad(rounding) }),
        RangeError,
        'rounding',
      );
    }
  });

  it('saturate: false is refused by formats with neither Inf nor NaN', () => {
    for (const fmt of [E2M1, E3M2, E2M3]) {
      expectError(() => encode(fmt, 1, { saturate: false }), RangeError, 'saturate');
      expectError(
        () => quantize(fmt, f32(1), new Uint8Array(1), { saturate: false }),
        RangeError,
        'saturate',
      );
    }
  });

  it('saturate must be a boolean', () => {
    for (const saturate of ['false', 0, 1, null]) {
      expectError(
        () => quantize(E4M3, f32(1), new Uint8Array(1), { saturate: bad(saturate) }),
        TypeError,
        'saturate',
      );
      expectError(() => encode(E4M3, 1000, { saturate: bad(saturate) }), TypeError, 'saturate');
    }
  });

  it('seed must be an integer; random must be a function returning a number in [0, 1)', () => {
    for (const seed of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '1']) {
      expectError(
        () => quantize(E4M3, f32(1), new Uint8Array(1), { rounding: 'stochastic', seed: bad(seed) }),
        RangeError,
        'seed',
      );
    }
    for (const value of [1, -0.1, 2, Number.NaN, '0.5', undefined]) {
      expectError(
        () => encode(E4M3, 1.1, { rounding: 'stochastic', random: () => bad(value) }),
        RangeError,
        'random',
      );
    }
    for (const random of [0.5, 'x', {}]) {
      expectError(
        () => encode(E4M3, 1.1, { rounding: 'stochastic', random: bad(random) }),
        TypeError,
        'random',
      );
    }
  });
});

describe('values that have no encoding', () => {
  it('NaN into a format without NaN (FP4, FP6) is a RangeError naming the input', () => {
    for (const fmt of [E2M1, E3M2, E2M3]) {
      expectError(() => encode(fmt, Number.NaN), RangeError, 'x');
      expectError(() => encode(fmt, Number.NaN, { rounding: 'stochastic' }), RangeError, 'x');
      const src = Float32Array.from([1, 2, Number.NaN, 4]);
      expectError(() => quantize(fmt, src, new Uint8Array(4)), RangeError, 'src[2]');
      expectError(() => quantize(fmt, src, new Uint8Array(4), { scale: 2 }), RangeError, 'src[2]');
      expectError(
        () => quantize(fmt, src, new Uint8Array(4), { rounding: 'stochastic' }),
        RangeError,
        'src[2]',
      );
    }
  });

  it('x must be a number', () => {
    for (const x of ['1', 1n, null, undefined, {}]) expectError(() => encode(E4M3, bad(x)), TypeError, 'x');
  });
});

describe('codes', () => {
  it('decode of a code outside the format, or not an integer, is a RangeError naming code', () => {
    const cases: [typeof E4M3, number][] = [
      [E4M3, 256],
      [E4M3, -1],
      [E4M3, 1.5],
      [E4M3, Number.NaN],
      [E2M1, 16],
      [E3M2, 64],
      [E2M3, 64],
      [E8M0, 256],
      [FP16, 65536],
    ];
    for (const [fmt, code] of cases) expectError(() => decode(fmt, code), RangeError, 'code');
  });
});

describe('MX layout', () => {
  it('blockSize must be a positive integer', () => {
    for (const blockSize of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '32']) {
      expectError(() => quantizeMX(E4M3, f32(64), { blockSize: bad(blockSize) }), RangeError, 'blockSize');
      const mx = { ...quantizeMX(E4M3, f32(64)), blockSize: bad(blockSize) };
      expectError(() => dequantizeMX(E4M3, mx), RangeError, 'blockSize');
    }
  });

  it('rowLength must be a positive divisor of the length', () => {
    for (const rowLength of [0, -8, 3, 2.5, 128, Number.NaN]) {
      expectError(() => quantizeMX(E4M3, f32(64), { rowLength: bad(rowLength) }), RangeError, 'rowLength');
    }
  });

  it('scaleRounding must be floor, ceil or even', () => {
    for (const scaleRounding of ['round', 'nearest', '', 1]) {
      expectError(
        () => quantizeMX(E4M3, f32(32), { scaleRounding: bad(scaleRounding) }),
        RangeError,
        'scaleRounding',
      );
    }
  });

  it('dequantizeMX checks the tensor it is given and its dst', () => {
    const mx = quantizeMX(E4M3, f32(64), { blockSize: 32 });
    expectError(() => dequantizeMX(E4M3, { ...mx, codes: bad(new Uint16Array(64)) }), TypeError, 'mx.codes');
    expectError(() => dequantizeMX(E4M3, { ...mx, scales: bad([127, 127]) }), TypeError, 'mx.scales');
    expectError(
      () => dequantizeMX(E4M3, { ...mx, scales: new Uint8Array(3) }),
      RangeError,
      'mx.scales.length',
    );
    expectError(() => dequantizeMX(E4M3, mx, f32(63)), RangeError, 'dst.length');
    expectError(() => dequantizeMX(E4M3, mx, bad(new Float64Array(64))), TypeError, 'dst');
  });
});
