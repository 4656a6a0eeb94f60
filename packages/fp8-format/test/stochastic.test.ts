// Stochastic rounding: unbiased (statistical tests with a bound from the binomial standard deviation,
// shown to have the power to fail), reproducible from a seed, and usable through `encode` with a
// caller-supplied random source. Neighbouring code values come from the independent reference.

import {
  BF16,
  counterUniform,
  dequantize,
  E2M1,
  E4M3,
  E5M2,
  encode,
  type FloatFormat,
  FP16,
  quantize,
} from '@fp8lm/fp8-format';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers/float32.js';
import { ORACLE_FORMATS, oracleDecode, oracleTable } from './helpers/oracle.js';

const N = 200_000;
const SIGMAS = 5;

/** The two neighbouring finite values around |y| (y a float32 strictly between them), with y's sign. */
function neighbours(fmt: FloatFormat, y: number): { lo: number; hi: number } {
  const values = oracleTable(ORACLE_FORMATS[fmt.name])
    .entries.filter((e) => !e.overflow)
    .map((e) => e.value);
  const a = Math.abs(y);
  const i = values.findIndex((v) => v > a);
  if (i <= 0 || values[i - 1] === a) throw new Error(`${y} is not strictly between two ${fmt.name} values`);
  const [lo, hi] = [values[i - 1], values[i]];
  return y < 0 ? { lo: -hi, hi: -lo } : { lo, hi };
}

interface Case {
  fmt: FloatFormat;
  x: number;
  scale: number;
  seed: number;
  label: string;
}

const cases: Case[] = [
  { fmt: E4M3, x: 1.1, scale: 1, seed: 1, label: 'e4m3 normal' },
  { fmt: E4M3, x: 300, scale: 1, seed: 2, label: 'e4m3 near the top' },
  { fmt: E4M3, x: -0.7, scale: 1, seed: 3, label: 'e4m3 negative' },
  { fmt: E4M3, x: 0.003, scale: 1, seed: 4, label: 'e4m3 subnormal range' },
  { fmt: E4M3, x: -0.0004, scale: 1, seed: 5, label: 'e4m3 negative, between -0 and -min subnormal' },
  { fmt: E4M3, x: 0.0173, scale: 64, seed: 6, label: 'e4m3 with a scale' },
  { fmt: E5M2, x: 1e-5, scale: 1, seed: 7, label: 'e5m2 between 0 and the smallest subnormal' },
  { fmt: E5M2, x: -5000, scale: 1, seed: 8, label: 'e5m2 negative' },
  { fmt: E2M1, x: 2.6, scale: 1, seed: 9, label: 'e2m1' },
  { fmt: E2M1, x: -0.3, scale: 1, seed: 10, label: 'e2m1 negative subnormal' },
  { fmt: FP16, x: 0.1, scale: 1, seed: 11, label: 'f16' },
  { fmt: FP16, x: 3.2e-7, scale: 1, seed: 12, label: 'f16 subnormal' },
  { fmt: BF16, x: -3.13, scale: 1, seed: 13, label: 'bf16 negative' },
];

function codesOf(fmt: FloatFormat, n: number): Uint8Array | Uint16Array {
  return fmt.storage === 'Uint16Array' ? new Uint16Array(n) : new Uint8Array(n);
}

/** Quantizes N copies of x and returns the mean decoded value and the counts of each neighbour. */
function roundMany(c: Case, rounding: 'stochastic' | 'nearest-even') {
  const src = new Float32Array(N).fill(c.x);
  const codes = codesOf(c.fmt, N);
  quantize(c.fmt, src, codes, { scale: c.scale, rounding, seed: c.seed });
  const out = new Float32Array(N);
  dequantize(c.fmt, codes, out, { scaleInv: 1 / c.scale });
  let sum = 0;
  for (const v of out) sum += v;
  return { mean: sum / N, out };
}

function expectation(c: Case) {
  const y = Math.fround(Math.fround(c.x) * Math.fround(c.scale)); // what gets rounded
  const { lo, hi } = neighbours(c.fmt, y);
  const p = (y - lo) / (hi - lo); // probability of rounding to hi
  const target = y / c.scale; // the unbiased mean, in input units
  const sigma = ((hi - lo) / c.scale) * Math.sqrt((p * (1 - p)) / N);
  return { y, lo: lo / c.scale, hi: hi / c.scale, p, target, bound: SIGMAS * sigma };
}

describe('stochastic rounding is unbiased', () => {
  for (const c of cases) {
    it(`${c.label}: x = ${c.x}${c.scale === 1 ? '' : ` (scale ${c.scale})`}`, () => {
      const e = expectation(c);
      // A useful case: both neighbours are likely, so nearest-even is visibly biased (see below).
      expect(e.p).toBeGreaterThan(0.05);
      expect(e.p).toBeLessThan(0.95);
      const { mean, out } = roundMany(c, 'stochastic');
      let up = 0;
      for (const v of out) {
        if (v === Math.fround(e.hi)) up++;
        else if (v !== Math.fround(e.lo)) throw new Error(`rounded to ${v}, outside [${e.lo}, ${e.hi}]`);
      }
      expect(Math.abs(mean - e.target)).toBeLessThanOrEqual(e.bound);
      expect(Math.abs(up / N - e.p)).toBeLessThanOrEqual(SIGMAS * Math.sqrt((e.p * (1 - e.p)) / N));
    });
  }
});

describe('the unbiasedness test can fail', () => {
  for (const c of cases) {
    it(`${c.label}: nearest-even rounding of the same values is measurably biased`, () => {
      const e = expectation(c);
      const { mean } = roundMany(c, 'nearest-even');
      expect(Math.abs(mean - e.target)).toBeGreaterThan(10 * e.bound);
    });
  }

  it('a slightly biased random source is detected', () => {
    const c = cases[0];
    const e = expectation(c);
    const rng = mulberry32(42);
    const biased = () => 0.97 * rng(); // rounds up slightly more often than it should
    const meanWith = (random: () => number) => {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        sum += oracleDecode(ORACLE_FORMATS.e4m3, encode(E4M3, c.x, { rounding: 'stochastic', random }));
      }
      return sum / N;
    };
    expect(Math.abs(meanWith(biased) - e.target)).toBeGreaterThan(e.bound);
    expect(Math.abs(meanWith(mulberry32(42)) - e.target)).toBeLessThanOrEqual(e.bound);
  });
});

describe('encode with a supplied random source', () => {
  it('rounds up for a set of draws whose measure is the fractional distance', () => {
    for (const c of cases) {
      const e = expectation(c);
      const grid = 4096;
      let up = 0;
      for (let k = 0; k < grid; k++) {
        const u = (k + 0.5) / grid;
        const code = encode(c.fmt, e.y, { rounding: 'stochastic', random: () => u });
        const v = encode(c.fmt, e.hi * c.scale) === code ? 1 : 0;
        if (v === 0 && code !== encode(c.fmt, e.lo * c.scale))
          throw new Error(`${c.label}: u=${u} gave ${code}`);
        up += v;
      }
      expect(Math.abs(up / grid - e.p), c.label).toBeLessThanOrEqual(1 / grid);
    }
  });

  it('calls the random source once per stochastic encode, and not at all for nearest-even', () => {
    let calls = 0;
    const random = () => {
      calls++;
      return 0.5;
    };
    encode(E4M3, 1.1, { rounding: 'stochastic', random });
    encode(E4M3, 1.0, { rounding: 'stochastic', random });
    expect(calls).toBe(2);
    encode(E4M3, 1.1, { random });
    encode(E4M3, 1.1, { rounding: 'nearest-even', random });
    expect(calls).toBe(2);
  });

  it('is reproducible: the same random sequence gives the same codes', () => {
    const run = (seed: number) => {
      const rng = mulberry32(seed);
      return Array.from({ length: 2000 }, (_, i) =>
        encode(E5M2, 1 + i / 997, { rounding: 'stochastic', random: rng }),
      );
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});

describe('bulk stochastic rounding is reproducible from a seed', () => {
  const fmt = E4M3;
  const rng = mulberry32(7);
  const src = Float32Array.from({ length: 20_000 }, () => (rng() - 0.5) * 600);
  const run = (options: { seed?: number; scale?: number }) => {
    const dst = new Uint8Array(src.length);
    quantize(fmt, src, dst, { rounding: 'stochastic', ...options });
    return dst;
  };

  it('same seed → identical codes; different seeds → different codes', () => {
    expect(run({ seed: 123 })).toEqual(run({ seed: 123 }));
    const a = run({ seed: 123 });
    const b = run({ seed: 124 });
    let differ = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
    expect(differ).toBeGreaterThan(src.length / 10);
    expect(run({})).toEqual(run({ seed: 0 }));
  });

  it('element i draws counterUniform(seed, i): bulk equals encode with that draw', () => {
    for (const seed of [0, 99, -5]) {
      const scale = 0.75;
      const dst = run({ seed, scale });
      for (let i = 0; i < src.length; i++) {
        const want = encode(fmt, src[i] * Math.fround(scale), {
          rounding: 'stochastic',
          random: () => counterUniform(seed, i),
        });
        if (dst[i] !== want) throw new Error(`seed ${seed}, element ${i}: ${dst[i]} vs ${want}`);
      }
    }
  });

  it('never moves exactly representable values, saturates overflow, keeps NaN', () => {
    const values = oracleTable(ORACLE_FORMATS.e4m3)
      .entries.filter((e) => !e.overflow)
      .flatMap((e) => [e.value, -e.value]);
    const exact = Float32Array.from({ length: values.length * 20 }, (_, i) => values[i % values.length]);
    const codes = new Uint8Array(exact.length);
    quantize(fmt, exact, codes, { rounding: 'stochastic', seed: 3 });
    const back = new Float32Array(exact.length);
    dequantize(fmt, codes, back);
    expect(back).toEqual(exact);

    const over = Float32Array.from([449, 460, 479, 1e6, Number.POSITIVE_INFINITY, -470, Number.NaN]);
    const overCodes = new Uint8Array(over.length);
    quantize(fmt, over, overCodes, { rounding: 'stochastic', seed: 1 });
    expect([...overCodes]).toEqual([0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0xfe, 0x7f]);
  });
});

describe('the counter-based uniform source', () => {
  it('is uniform on [0, 1) in 24-bit steps (mean and a 64-bin chi-square), with uncorrelated neighbours', () => {
    const n = 200_000;
    const bins = new Array<number>(64).fill(0);
    let sum = 0;
    let prev = counterUniform(77, 0);
    let cross = 0;
    for (let i = 0; i < n; i++) {
      const u = counterUniform(77, i);
      if (!(u >= 0 && u < 1) || !Number.isInteger(u * 2 ** 24)) throw new Error(`draw ${i}: ${u}`);
      sum += u;
      bins[Math.floor(u * 64)]++;
      if (i > 0) cross += (u - 0.5) * (prev - 0.5);
      prev = u;
    }
    // mean: sd of the mean of U(0,1) is sqrt(1/12/n)
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(SIGMAS * Math.sqrt(1 / 12 / n));
    // chi-square with 63 degrees of freedom: mean 63, sd sqrt(126) ≈ 11.2
    const expected = n / 64;
    const chi2 = bins.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(63 + SIGMAS * Math.sqrt(126));
    // lag-1 covariance: sd of the sample covariance is (1/12)/sqrt(n)
    expect(Math.abs(cross / (n - 1))).toBeLessThan(SIGMAS * (1 / 12 / Math.sqrt(n)));
  });

  it('differs between seeds', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) if (counterUniform(1, i) === counterUniform(2, i)) same++;
    expect(same).toBeLessThan(5);
  });
});
