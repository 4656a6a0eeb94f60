// Argument checks shared by the package. Every error names the argument, so a caller deep inside a
// trainer sees which option was wrong without reading this package's source.

/** A short, readable rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ?? 'object';
}

/** Throws a TypeError unless `value` is a Float32Array. */
export function assertFloat32Array(value: unknown, argument: string): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${argument}: expected a Float32Array, found ${describe(value)}`);
  }
}

/** Throws a TypeError unless `value` is a number (any number: range checks come separately). */
export function assertNumber(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number')
    throw new TypeError(`${argument}: expected a number, found ${describe(value)}`);
}

/** A non-negative safe integer. */
export function checkNonNegativeInteger(value: unknown, argument: string): number {
  assertNumber(value, argument);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${argument}: expected a non-negative integer, found ${value}`);
  }
  return value;
}

/** A positive safe integer. */
export function checkPositiveInteger(value: unknown, argument: string): number {
  assertNumber(value, argument);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${argument}: expected a positive integer, found ${value}`);
  }
  return value;
}

/** A finite number `>= 0`. */
export function checkNonNegativeFinite(value: unknown, argument: string): number {
  assertNumber(value, argument);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${argument}: expected a finite non-negative number, found ${value}`);
  }
  return value;
}

/** A finite number `> 0`. */
export function checkPositiveFinite(value: unknown, argument: string): number {
  assertNumber(value, argument);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${argument}: expected a finite positive number, found ${value}`);
  }
  return value;
}

/** A boolean, or `fallback` when undefined. */
export function checkBoolean(value: unknown, argument: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TypeError(`${argument}: expected a boolean, found ${describe(value)}`);
  return value;
}

/** One of `choices`, or `fallback` when undefined. */
export function checkOneOf<T extends string>(
  value: unknown,
  argument: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new RangeError(
    `${argument}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, found ${describe(value)}`,
  );
}

/** An options bag: undefined becomes `{}`; anything but a plain object is a TypeError. */
export function checkOptions<T extends object>(value: T | undefined, argument = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${argument}: expected an object, found ${describe(value)}`);
  }
  return value;
}
