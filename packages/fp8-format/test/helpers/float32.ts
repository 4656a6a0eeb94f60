// float32 bit helpers for the tests (independent of the package's own helpers).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0];
}

export function floatOf(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/** The next float32 towards +Infinity (x must be a float32, not NaN). */
export function nextUp(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return floatOf(1);
  const b = bitsOf(x);
  return floatOf(x > 0 ? b + 1 : b - 1);
}

/** The next float32 towards -Infinity (x must be a float32, not NaN). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Adds `x` (if it is exactly a finite float32) and its float32 neighbours, `ulps` each way, with both signs. */
export function addWithNeighbours(out: Set<number>, x: number, ulps: number): void {
  if (!Number.isFinite(x) || Math.fround(x) !== x) return;
  for (const v of [x, -x]) {
    out.add(bitsOf(v));
    let up = v;
    let down = v;
    for (let k = 0; k < ulps; k++) {
      up = nextUp(up);
      down = nextDown(down);
      out.add(bitsOf(up));
      out.add(bitsOf(down));
    }
  }
}

/** float32 specials, both signs: zeros, float32 subnormal edges, FLT_MAX, infinities, NaN payloads. */
export const FLOAT32_SPECIAL_BITS: readonly number[] = [
  0x00000000, 0x00000001, 0x007fffff, 0x00800000, 0x3f800000, 0x7f7fffff, 0x7f800000, 0x7fc00000, 0x7f800001,
  0x7fffffff, 0x7fa00000,
].flatMap((b) => [b, (b | 0x80000000) >>> 0]);

/** A small deterministic PRNG (mulberry32) for test data that must not depend on the code under test. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
