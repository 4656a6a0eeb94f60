import type { FloatFormat } from '@fp8lm/fp8-format';
import { decode } from '@fp8lm/fp8-format';

/** A deterministic uniform [0, 1) generator (32-bit LCG), so every backend sees the same inputs. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Inputs that exercise a format: every finite code value of the format times `1/scale`, the midpoints
 * between neighbours and their float32 neighbours, specials (±0, ±Inf, NaN, ±max·2, tiny values), and
 * `randomCount` log-uniform values of both signs over the format's range.
 */
export function formatInputs(fmt: FloatFormat, scale: number, randomCount = 2048): Float32Array {
  const values: number[] = [];
  const finite: number[] = [];
  const limit = Math.min(2 ** fmt.bits, 1 << 12); // FP16/BF16: a sample of codes is enough here
  const step = Math.max(1, Math.floor(2 ** fmt.bits / limit));
  for (let c = 0; c < 2 ** fmt.bits; c += step) {
    const v = decode(fmt, c);
    if (Number.isFinite(v)) finite.push(v);
  }
  finite.sort((a, b) => a - b);
  const nudge = (x: number, dir: number) => {
    const f = new Float32Array([x]);
    const u = new Int32Array(f.buffer);
    u[0] += x === 0 ? 0 : dir * (x > 0 ? 1 : -1);
    return f[0];
  };
  for (let i = 0; i < finite.length; i++) {
    const v = finite[i] / scale;
    values.push(v);
    if (i + 1 < finite.length) {
      const mid = Math.fround((finite[i] + finite[i + 1]) / 2 / scale);
      values.push(mid, nudge(mid, 1), nudge(mid, -1));
    }
  }
  const max = fmt.maxFinite / scale;
  values.push(0, -0, Infinity, -Infinity, 2 * max, -2 * max, 1e-40, -1e-40, 3.4e38, -3.4e38);
  if (fmt.nanCode !== null) values.push(Number.NaN, -Number.NaN);
  const rand = lcg(0x5eed ^ fmt.bits);
  const lo = Math.log2(fmt.minSubnormal) - 2;
  const hi = Math.log2(fmt.maxFinite) + 1;
  for (let i = 0; i < randomCount; i++) {
    const mag = 2 ** (lo + (hi - lo) * rand()) / scale;
    values.push(rand() < 0.5 ? -mag : mag);
  }
  return new Float32Array(values);
}
