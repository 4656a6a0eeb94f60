// Independent references for the tests: written from the definitions (DESIGN.md, the issue, FP8-LM),
// with loops instead of bit tricks, so they do not share code or shortcuts with the package.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE bits of fround(x). */
export function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The float32 with these bits. */
export function floatOf(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/** floor(log2(a)) for a finite a > 0, by stepping powers of two (exact: 2 ** e is exact in a double). */
export function floorLog2(a: number): number {
  let e = 0;
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

/** The largest power of two <= a. */
export function powerOfTwoAtMost(a: number): number {
  return 2 ** floorLog2(a);
}

const FLT_MAX = floatOf(0x7f7fffff);

/**
 * The per-tensor scale from DESIGN.md / TransformerEngine: fpMax / amax / 2^margin in float32, a tiny amax
 * whose quotient overflows gives the largest float32, optionally rounded down to a power of two; zero or
 * non-finite amax keeps `previous`.
 */
export function referenceScale(
  fpMax: number,
  amax: number,
  { margin = 0, powerOfTwo = false, previous = 1, epsilon = 0 } = {},
): number {
  let a = Math.fround(amax);
  if (Number.isNaN(a) || a === Number.POSITIVE_INFINITY) return previous;
  if (a < Math.fround(epsilon)) a = Math.fround(epsilon);
  if (a === 0) return previous;
  let s = Math.fround(fpMax / 2 ** margin / a);
  if (s === Number.POSITIVE_INFINITY) s = FLT_MAX;
  if (powerOfTwo) s = powerOfTwoAtMost(s);
  return s;
}

/** A seeded uniform [0, 1) generator (mulberry32), so test data is reproducible. */
export function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Float32 data with log-uniform magnitudes in [2^lo, 2^hi) and random signs. */
export function logUniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() < 0.5 ? -1 : 1) * 2 ** (lo + (hi - lo) * r());
  return out;
}
