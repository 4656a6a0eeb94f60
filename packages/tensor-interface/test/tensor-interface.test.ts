import {
  allocStorage,
  assertShape,
  CODE_DTYPES,
  contiguousStrides,
  DTYPES,
  dtypeByteSize,
  dtypeInfo,
  isDType,
  isStorageFor,
  numel,
  offsetOf,
  scaledTensor,
  shapesEqual,
  tensor,
} from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

describe('dtypes', () => {
  it('knows every dtype of DESIGN.md with its storage', () => {
    expect(DTYPES).toEqual([
      'f32',
      'f16',
      'bf16',
      'e4m3',
      'e5m2',
      'e4m3fnuz',
      'e5m2fnuz',
      'e8m0',
      'e3m2',
      'e2m3',
      'e2m1',
      'i32',
    ]);
    expect(DTYPES.map(dtypeByteSize)).toEqual([4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 4]);
    expect(dtypeInfo('e2m1').bits).toBe(4);
    expect(dtypeInfo('e3m2').bits).toBe(6);
    expect(CODE_DTYPES).not.toContain('f32');
    expect(CODE_DTYPES).not.toContain('i32');
    expect(CODE_DTYPES).toHaveLength(10);
  });
  it('allocates the right typed array', () => {
    expect(allocStorage('f32', 3)).toBeInstanceOf(Float32Array);
    expect(allocStorage('bf16', 3)).toBeInstanceOf(Uint16Array);
    expect(allocStorage('e5m2', 3)).toBeInstanceOf(Uint8Array);
    expect(allocStorage('i32', 3)).toBeInstanceOf(Int32Array);
    expect(isStorageFor('f16', new Uint8Array(1))).toBe(false);
  });
  it('rejects unknown dtypes naming the value', () => {
    expect(isDType('fp8')).toBe(false);
    expect(() => dtypeInfo('fp8' as never)).toThrow(/dtype: expected one of .* found "fp8"/);
  });
});

describe('shapes', () => {
  it('computes sizes, strides and offsets', () => {
    expect(numel([])).toBe(1);
    expect(numel([2, 0, 3])).toBe(0);
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(offsetOf([2, 3, 4], [1, 2, 3])).toBe(23);
    expect(shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(shapesEqual([2, 3], [3, 2])).toBe(false);
  });
  it('rejects bad shapes and indices', () => {
    expect(() => assertShape([2, -1])).toThrow(TypeError);
    expect(() => assertShape([1.5])).toThrow(/shape/);
    expect(() => offsetOf([2, 3], [2, 0])).toThrow(/coordinate 0 is 2, outside 0..1/);
    expect(() => offsetOf([2, 3], [1])).toThrow(RangeError);
  });
});

describe('tensors', () => {
  it('checks data against dtype and shape', () => {
    const t = tensor('f32', [2, 2], new Float32Array([1, 2, 3, 4]));
    expect(t.shape).toEqual([2, 2]);
    expect(tensor('e4m3', [5]).data).toEqual(new Uint8Array(5));
    expect(() => tensor('f32', [2, 2], new Float32Array(3))).toThrow(/needs 4 elements, found 3/);
    expect(() => tensor('f16', [2], new Float32Array(2) as never)).toThrow(/Uint16Array, found Float32Array/);
  });
  it('keeps scale and scaleInv together', () => {
    const s = scaledTensor(tensor('e4m3', [1]), 4, 10);
    expect(s.scaleInv).toBe(0.25);
    expect(s.amax).toBe(10);
    expect(() => scaledTensor(tensor('e4m3', [1]), 0)).toThrow(
      /scale: expected a finite positive number, found 0/,
    );
    expect(() => scaledTensor(tensor('e4m3', [1]), Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
