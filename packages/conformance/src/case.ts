import type { Backend } from '@fp8lm/tensor-interface';

/** One conformance case: runs against a backend and throws a {@link ConformanceError} on a mismatch. */
export interface ConformanceCase {
  /** The Backend op (or area) the case covers, e.g. `"quantize"`. */
  readonly op: string;
  /** Unique, human-readable name, e.g. `"quantize e4m3 scale=0.37 saturate"`. */
  readonly name: string;
  run(backend: Backend): Promise<void>;
}

/** A mismatch between a backend and the reference. */
export class ConformanceError extends Error {
  override name = 'ConformanceError';
}

type Numeric = ArrayLike<number>;

function describeAt(found: Numeric, expected: Numeric, i: number): string {
  return `index ${i}: expected ${expected[i]}, found ${found[i]}`;
}

/** Bit-exact equality of two code or integer arrays (format ops are held to this). */
export function expectCodesEqual(found: Numeric, expected: Numeric, what: string): void {
  if (found.length !== expected.length) {
    throw new ConformanceError(`${what}: expected length ${expected.length}, found ${found.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    if (found[i] !== expected[i]) throw new ConformanceError(`${what}: ${describeAt(found, expected, i)}`);
  }
}

/** Bit-exact equality of float32 arrays: same bits, except that any NaN matches any NaN. */
export function expectFloatsIdentical(found: Float32Array, expected: Float32Array, what: string): void {
  if (found.length !== expected.length) {
    throw new ConformanceError(`${what}: expected length ${expected.length}, found ${found.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = found[i];
    const b = expected[i];
    if (Object.is(a, b) || (a !== a && b !== b)) continue;
    throw new ConformanceError(`${what}: ${describeAt(found, expected, i)}`);
  }
}

/** `|found - expected| ≤ atol + rtol·|expected|` elementwise, NaN only where expected is NaN. */
export function expectClose(
  found: Numeric,
  expected: Numeric,
  what: string,
  tol: { atol: number; rtol: number },
): void {
  if (found.length !== expected.length) {
    throw new ConformanceError(`${what}: expected length ${expected.length}, found ${found.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = found[i];
    const b = expected[i];
    if (b !== b) {
      if (a !== a) continue;
    } else if (Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b)) {
      continue;
    }
    throw new ConformanceError(
      `${what}: ${describeAt(found, expected, i)} (atol ${tol.atol}, rtol ${tol.rtol})`,
    );
  }
}

/** Expects `fn` to throw an error of class `kind` whose message contains `mentions`. */
export function expectThrows(
  fn: () => unknown,
  kind: new (...args: never[]) => Error,
  mentions: string,
  what: string,
): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof kind && e.message.includes(mentions)) return;
    throw new ConformanceError(`${what}: expected a ${kind.name} mentioning "${mentions}", got ${String(e)}`);
  }
  throw new ConformanceError(`${what}: expected a ${kind.name} mentioning "${mentions}", nothing was thrown`);
}
