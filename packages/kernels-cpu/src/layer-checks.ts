import { type DeviceTensor, formatShape, type Shape, shapesEqual } from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from './cpu-tensor.js';

// Argument checks shared by the layer ops (src/ops/{embedding,layernorm,gelu,attention,...}.ts).

/** A live CPU f32 tensor, or a TypeError naming `argument`. */
export function f32(value: DeviceTensor, argument: string): CpuTensor<'f32'> {
  return asCpu(value, argument, ['f32']);
}

/** A live CPU i32 tensor, or a TypeError naming `argument`. */
export function i32(value: DeviceTensor, argument: string): CpuTensor<'i32'> {
  return asCpu(value, argument, ['i32']);
}

/** The extents of `t`, which must have one per name in `names` (e.g. `['B', 'T']`); a RangeError otherwise. */
export function dims(t: DeviceTensor, argument: string, names: readonly string[]): number[] {
  if (t.shape.length !== names.length) {
    throw new RangeError(`${argument}: expected shape [${names.join(', ')}], found ${formatShape(t.shape)}`);
  }
  return [...t.shape];
}

/** The last extent of `t` (C of `[..., C]`); a RangeError for a scalar. */
export function lastDim(t: DeviceTensor, argument: string, name = 'C'): number {
  if (t.shape.length === 0) throw new RangeError(`${argument}: expected shape [..., ${name}], found []`);
  return t.shape[t.shape.length - 1];
}

/** Throws a RangeError unless `t` has exactly the shape `expected`; `meaning` spells it out, e.g. `"[B, T, C]"`. */
export function expectShape(t: DeviceTensor, argument: string, expected: Shape, meaning?: string): void {
  if (!shapesEqual(t.shape, expected)) {
    const what = meaning === undefined ? '' : ` ${meaning} =`;
    throw new RangeError(
      `${argument}: expected shape${what} ${formatShape(expected)}, found ${formatShape(t.shape)}`,
    );
  }
}

/** Throws a RangeError unless every id is in `0..count-1` (or equals `ignore`). */
export function checkIds(ids: Int32Array, count: number, argument: string, ignore?: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if ((id < 0 || id >= count) && id !== ignore) {
      const also = ignore === undefined ? '' : ` or ${ignore} (ignoreIndex)`;
      throw new RangeError(`${argument}: expected ids in 0..${count - 1}${also}, found ${id} at index ${i}`);
    }
  }
}

/** Head size `C / numHeads`; a RangeError unless numHeads is a positive integer dividing C. */
export function headSize(numHeads: number, C: number): number {
  if (!Number.isInteger(numHeads) || numHeads <= 0 || C % numHeads !== 0) {
    throw new RangeError(`numHeads: expected a positive integer that divides C = ${C}, found ${numHeads}`);
  }
  return C / numHeads;
}
