import { mix32 } from '@fp8lm/fp8-format';

/**
 * A counter-based random number generator: word `i` of a stream depends only on `(seed, i)`, so
 * the whole state is two integers that a checkpoint stores as JSON and a resumed run restores
 * exactly.
 */

/** Anything that yields uniformly distributed unsigned 32-bit words. */
export interface RandomSource {
  /** The next word, an integer in [0, 2^32). */
  nextU32(): number;
}

/** The serializable state of a {@link CounterRng}. */
export interface RngState {
  /** The stream's seed, an integer in [0, 2^32). */
  seed: number;
  /** How many words have been drawn, a non-negative safe integer. */
  counter: number;
}

const TWO_32 = 4294967296;

function assertSeed(seed: unknown, argument: string): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= TWO_32) {
    throw new RangeError(`${argument}: expected an integer in [0, 2^32), found ${String(seed)}`);
  }
}

/**
 * splitmix32-style generator over a 53-bit counter: `nextU32()` returns
 * `mix32(key(seed, ⌊counter / 2^32⌋) + (counter mod 2^32) · 0x9e3779b9)` and increments the
 * counter. Deterministic on every platform; {@link CounterRng.state} and
 * {@link CounterRng.restore} save and resume a stream exactly.
 */
export class CounterRng implements RandomSource {
  #seed: number;
  #counter = 0;
  #hi = -1;
  #key = 0;

  /** @param seed an integer in [0, 2^32). */
  constructor(seed: number) {
    assertSeed(seed, 'seed');
    this.#seed = seed;
  }

  /** The seed this stream was created with. */
  get seed(): number {
    return this.#seed;
  }

  /** Words drawn so far. */
  get counter(): number {
    return this.#counter;
  }

  nextU32(): number {
    const c = this.#counter;
    const hi = Math.floor(c / TWO_32);
    if (hi !== this.#hi) {
      this.#hi = hi;
      this.#key = mix32((this.#seed ^ mix32((hi + 0x5bd1e995) >>> 0)) >>> 0);
    }
    this.#counter = c + 1;
    return mix32((this.#key + Math.imul((c % TWO_32) >>> 0, 0x9e3779b9)) >>> 0);
  }

  /** A uniform draw in [0, 1) with 53 random bits. */
  nextFloat(): number {
    return randomFloat(this);
  }

  /** A uniform integer in [0, n) (see {@link randomInt}). */
  nextInt(n: number): number {
    return randomInt(this, n);
  }

  /** The stream's state as plain JSON. */
  state(): RngState {
    return { seed: this.#seed, counter: this.#counter };
  }

  /** Continues the stream from a saved {@link RngState}. */
  restore(state: RngState): void {
    assertRngState(state, 'state');
    this.#seed = state.seed;
    this.#counter = state.counter;
    this.#hi = -1;
  }

  /** A new generator positioned at a saved state. */
  static fromState(state: RngState): CounterRng {
    assertRngState(state, 'state');
    const rng = new CounterRng(state.seed);
    rng.restore(state);
    return rng;
  }
}

/** Throws a TypeError/RangeError naming `argument` unless `state` is a valid {@link RngState}. */
export function assertRngState(state: unknown, argument: string): asserts state is RngState {
  if (typeof state !== 'object' || state === null) {
    throw new TypeError(`${argument}: expected an RNG state { seed, counter }, found ${String(state)}`);
  }
  const s = state as Record<string, unknown>;
  assertSeed(s.seed, `${argument}.seed`);
  if (typeof s.counter !== 'number' || !Number.isSafeInteger(s.counter) || s.counter < 0) {
    throw new RangeError(
      `${argument}.counter: expected a non-negative safe integer, found ${String(s.counter)}`,
    );
  }
}

/** A uniform draw in [0, 1) with 53 random bits (two words). */
export function randomFloat(rng: RandomSource): number {
  const hi = rng.nextU32() >>> 5; // 27 bits
  const lo = rng.nextU32() >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

/**
 * A uniform integer in [0, n), exactly unbiased: for n ≤ 2^32 by rejection sampling of 32-bit
 * words, above that from a 53-bit float.
 */
export function randomInt(rng: RandomSource, n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new RangeError(`n: expected a positive safe integer, found ${String(n)}`);
  }
  if (n > TWO_32) return Math.floor(randomFloat(rng) * n);
  const limit = TWO_32 - (TWO_32 % n);
  for (;;) {
    const x = rng.nextU32();
    if (x < limit) return x % n;
  }
}
