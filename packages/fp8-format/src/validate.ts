import { checkSaturate } from './codec.js';
import type { FloatFormat } from './formats.js';

/** Throws a TypeError unless `value` is a Float32Array. */
export function assertFloat32Array(value: unknown, argument: string): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    const found = ArrayBuffer.isView(value) ? value.constructor.name : typeof value;
    throw new TypeError(`${argument}: expected a Float32Array, found ${found}`);
  }
}

/** Throws a TypeError unless `value` is the storage class of `fmt`'s codes. */
export function assertCodeArray(
  fmt: FloatFormat,
  value: unknown,
  argument: string,
): asserts value is Uint8Array | Uint16Array {
  const ok = fmt.storage === 'Uint16Array' ? value instanceof Uint16Array : value instanceof Uint8Array;
  if (!ok) {
    const found = ArrayBuffer.isView(value) ? value.constructor.name : typeof value;
    throw new TypeError(`${argument}: ${fmt.name} codes are stored in a ${fmt.storage}, found ${found}`);
  }
}

/** Throws a RangeError naming both lengths unless they agree. */
export function assertSameLength(expected: number, found: number, argument: string): void {
  if (expected !== found) throw new RangeError(`${argument}: expected length ${expected}, found ${found}`);
}

/**
 * A scale argument: a finite positive number (default 1), rounded to float32 because a GPU kernel
 * multiplies by a float32 scale; `fround(x * fround(scale))` is then the float32 product bit for bit.
 */
export function checkScale(value: unknown, argument: string): number {
  if (value === undefined) return 1;
  const scale = typeof value === 'number' ? Math.fround(value) : Number.NaN;
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(
      `${argument}: expected a finite positive number (as a float32), found ${String(value)}`,
    );
  }
  return scale;
}

/** Resolves `saturate` (default true) and checks the format can honour it. */
export function checkSaturateOption(fmt: FloatFormat, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`saturate: expected a boolean, found ${String(value)}`);
  }
  const saturate = value ?? true;
  checkSaturate(fmt, saturate);
  return saturate;
}

/** Resolves the rounding mode (default 'nearest-even'). */
export function checkRounding(value: unknown): 'nearest-even' | 'stochastic' {
  if (value === undefined || value === 'nearest-even' || value === 'stochastic')
    return value ?? 'nearest-even';
  throw new RangeError(`rounding: expected 'nearest-even' or 'stochastic', found ${JSON.stringify(value)}`);
}
