// A counter-based RNG: the draw for element i depends only on (seed, i), so a GPU kernel that
// quantizes element i in any thread order produces the same codes as this host loop.

/** MurmurHash3's 32-bit finalizer: a cheap bijective mixer with full avalanche. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit random word for element `index` under `seed`. */
export function counterRandomU32(seed: number, index: number): number {
  return mix32((Math.imul(index, 0x9e3779b9) + mix32(seed ^ 0x5bd1e995)) >>> 0);
}

/**
 * The uniform draw in [0, 1) used for stochastic rounding of element `index`: the top 24 bits of
 * {@link counterRandomU32}, so it is exact in float32 on every backend.
 */
export function counterUniform(seed: number, index: number): number {
  return (counterRandomU32(seed, index) >>> 8) * 2 ** -24;
}
