/** A learning-rate schedule: the rate for a 1-based step. */
export type LrSchedule = (step: number) => number;

/** Options of {@link warmupCosine}. */
export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  maxLr: number;
  /** Final learning rate (default maxLr / 10). */
  minLr?: number;
  /** Linear warm-up steps (default 0). */
  warmup?: number;
  /** Step at which the cosine reaches minLr; it stays there afterwards. */
  total: number;
}

/**
 * Linear warm-up to `maxLr`, then cosine decay to `minLr` at `total` (nanoGPT's schedule).
 * @example warmupCosine({ maxLr: 1e-3, minLr: 1e-4, warmup: 100, total: 2000 })(100) // → 1e-3
 */
export function warmupCosine(options: WarmupCosineOptions): LrSchedule {
  const { maxLr, total } = options;
  const minLr = options.minLr ?? maxLr / 10;
  const warmup = options.warmup ?? 0;
  for (const [name, value] of Object.entries({ maxLr, minLr, warmup, total })) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`${name}: expected a non-negative number, found ${value}`);
  }
  if (warmup > total) throw new RangeError(`warmup: expected at most total (${total}), found ${warmup}`);
  return (step) => {
    if (step <= warmup) return (maxLr * step) / Math.max(1, warmup);
    if (step >= total) return minLr;
    const t = (step - warmup) / (total - warmup);
    return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * t));
  };
}

/** A constant learning rate. */
export function constantLr(lr: number): LrSchedule {
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`lr: expected a non-negative number, found ${lr}`);
  return () => lr;
}
