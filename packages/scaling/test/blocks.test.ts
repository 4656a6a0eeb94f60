import { decode, E2M1, E4M3, E5M2, encode, type FloatFormat } from '@fp8lm/fp8-format';
import { deepseekBlockRecipe, dequantizeBlocks, quantizeBlocks, type ScaleType } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { logUniform, powerOfTwoAtMost, rng } from './helpers/reference.js';

/** Tile amaxes by visiting every element once and asking which tile it falls in. */
function bruteTileAmax(src: Float32Array, rows: number, cols: number, tr: number, tc: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const ti = Math.floor(i / tr);
      const tj = Math.floor(j / tc);
      out[ti] ??= [];
      out[ti][tj] = Math.max(out[ti][tj] ?? 0, Math.abs(src[i * cols + j]));
    }
  }
  return out;
}

function expectedScale(fmt: FloatFormat, amax: number, scaleType: ScaleType): number {
  if (amax === 0 || !Number.isFinite(amax)) return 1;
  const s = Math.fround(fmt.maxFinite / amax);
  return scaleType === 'pow2' ? powerOfTwoAtMost(s) : s;
}

/** Data whose magnitude changes by tile, so per-tile scales differ by many binades. */
function tiledData(rows: number, cols: number, seed: number): Float32Array {
  const r = rng(seed);
  const base = logUniform(rows * cols, -6, 0, seed + 1);
  const rowMag = Array.from({ length: rows }, () => 2 ** Math.floor(24 * r() - 12));
  const colMag = Array.from({ length: cols }, () => 2 ** Math.floor(8 * r() - 4));
  return base.map((v, k) => v * rowMag[Math.floor(k / cols)] * colMag[k % cols]);
}

const SHAPES: [number, number, [number, number]][] = [
  [200, 260, [128, 128]], // a full tile, a 72-row edge, a 4-column edge
  [7, 300, [1, 128]],
  [129, 129, [128, 128]],
  [5, 7, [128, 128]],
  [1, 1, [1, 128]],
  [64, 96, [16, 32]],
  [0, 10, [1, 128]],
];

describe('quantizeBlocks', () => {
  for (const [rows, cols, tile] of SHAPES) {
    for (const scaleType of ['f32', 'pow2'] as const) {
      for (const fmt of [E4M3, E5M2]) {
        it(`${rows}x${cols} in ${tile.join('x')} tiles, ${scaleType} scales, ${fmt.name}`, () => {
          const src = tiledData(rows, cols, rows * 1000 + cols);
          const q = quantizeBlocks(fmt, src, rows, cols, { tile, scaleType });
          const [tr, tc] = tile;
          expect([q.tileRows, q.tileCols]).toEqual([Math.ceil(rows / tr), Math.ceil(cols / tc)]);
          const amax = bruteTileAmax(src, rows, cols, tr, tc);
          for (let ti = 0; ti < q.tileRows; ti++) {
            for (let tj = 0; tj < q.tileCols; tj++) {
              const s = expectedScale(fmt, amax[ti][tj], scaleType);
              expect(q.scales[ti * q.tileCols + tj]).toBe(s);
              expect(q.scaleInvs[ti * q.tileCols + tj]).toBe(Math.fround(1 / s));
            }
          }
          const back = dequantizeBlocks(fmt, q);
          // Relative half-ulp of the format's normals, plus half its smallest subnormal in the scaled domain.
          const rel = 2 ** -(fmt.mantissaBits + 1);
          // Plain loops collecting the first few mismatches: one expect per element would dominate the runtime.
          const bad: string[] = [];
          for (let i = 0; i < rows && bad.length < 5; i++) {
            for (let j = 0; j < cols; j++) {
              const k = i * cols + j;
              const s = q.scales[Math.floor(i / tr) * q.tileCols + Math.floor(j / tc)];
              // Codes are the scalar encoder's, bit for bit; values are decode * scaleInv in float32.
              const code = encode(fmt, Math.fround(src[k] * s));
              const value = Math.fround(decode(fmt, code) * Math.fround(1 / s));
              const bound = (Math.abs(src[k]) * rel + fmt.minSubnormal / 2 / s) * (1 + 2 ** -20);
              if (q.codes[k] !== code || back[k] !== value || Math.abs(back[k] - src[k]) > bound) {
                bad.push(
                  `[${i},${j}] x=${src[k]} code=${q.codes[k]} (want ${code}) back=${back[k]} (want ${value})`,
                );
              }
            }
          }
          expect(bad).toEqual([]);
        });
      }
    }
  }

  it('maps every tile amax onto the format maximum (f32 scales)', () => {
    const src = tiledData(256, 256, 9);
    const q = quantizeBlocks(E4M3, src, 256, 256, { tile: [128, 128] });
    const amax = bruteTileAmax(src, 256, 256, 128, 128);
    for (let t = 0; t < 4; t++) {
      expect(Math.fround(amax[t >> 1][t & 1] * q.scales[t])).toBeCloseTo(448, 3);
    }
  });

  it('gives an all-zero tile scale 1 and zero codes', () => {
    const src = new Float32Array(4 * 256);
    src.fill(3, 2 * 256); // rows 0-1 zero, rows 2-3 all 3
    const q = quantizeBlocks(E4M3, src, 4, 256, { tile: [1, 128] });
    expect([...q.scales]).toEqual([1, 1, 1, 1, 448 / 3, 448 / 3, 448 / 3, 448 / 3].map(Math.fround));
    expect(q.codes.subarray(0, 512).every((c) => c === 0)).toBe(true);
  });

  it('gives a tile with NaN or Inf scale 1, and rejects NaN in a format without NaN', () => {
    const src = new Float32Array([1, Number.NaN, 2, 4, Number.POSITIVE_INFINITY, 0.5]);
    const q = quantizeBlocks(E4M3, src, 3, 2, { tile: [1, 2] });
    expect([...q.scales]).toEqual([1, 112, 1]);
    expect(q.codes[1]).toBe(E4M3.nanCode);
    expect(q.codes[4]).toBe(E4M3.maxCode);
    expect(() => quantizeBlocks(E2M1, src, 3, 2, { tile: [1, 2] })).toThrow(
      /^src\[1\]: NaN has no encoding in e2m1/,
    );
  });

  it('writes into a given dst', () => {
    const src = tiledData(3, 200, 4);
    const q = quantizeBlocks(E4M3, src, 3, 200, { tile: [1, 128] });
    const dst = new Float32Array(600);
    expect(dequantizeBlocks(E4M3, q, dst)).toBe(dst);
  });
});

describe('deepseekBlockRecipe', () => {
  it('uses 1x128 tiles for activations and 128x128 for weights', () => {
    const ds = deepseekBlockRecipe({ scaleType: 'pow2' });
    expect(ds.name).toBe('deepseek-blocks');
    const x = tiledData(3, 300, 5);
    const a = ds.quantizeActivation(E4M3, x, 3, 300);
    expect(a.tile).toEqual([1, 128]);
    expect(a.scales.length).toBe(3 * 3);
    expect(a).toEqual(quantizeBlocks(E4M3, x, 3, 300, { tile: [1, 128], scaleType: 'pow2' }));
    const w = tiledData(200, 300, 6);
    const wq = ds.quantizeWeight(E4M3, w, 200, 300);
    expect(wq.tile).toEqual([128, 128]);
    expect([wq.tileRows, wq.tileCols]).toEqual([2, 3]);
    expect(ds.dequantize(E4M3, wq)).toEqual(dequantizeBlocks(E4M3, wq));
    expect(deepseekBlockRecipe().scaleType).toBe('f32');
  });
});
