import {
  assertNumber,
  checkNonNegativeInteger,
  checkOptions,
  checkPositiveFinite,
  checkPositiveInteger,
  describe,
} from './validate.js';

/** Options of {@link GradientAutoScaler}. */
export interface AutoScalerOptions {
  /** Halve μ when more than this fraction of values saturates (default 1e-5, FP8-LM's 0.001%). */
  threshold?: number;
  /** Clean steps that undo one halving (default 1000, FP8-LM's "over 1000 steps"). */
  window?: number;
  /** The ceiling μ rises back to (default 2). Taken as a float32. */
  maxMu?: number;
  /**
   * A floor (default 2^-16, taken as a float32): a run of NaN/Inf or badly overflowing gradients must not
   * drive μ to zero. 2^-16 still covers a full-scale sum over 65,536 ranks.
   */
  minMu?: number;
  /** μ of the first step (default 1, or the nearest value in [minMu, maxMu]); it then rises to maxMu. */
  initialMu?: number;
}

/** The checkpoint form of a {@link GradientAutoScaler}. */
export interface AutoScalerJSON {
  readonly version: 1;
  readonly threshold: number;
  readonly window: number;
  readonly maxMu: number;
  readonly minMu: number;
  /** Growth steps still owed, see {@link GradientAutoScaler.deficit}. */
  readonly deficit: number;
}

/** Checks a saturation count against its total (shared with the other pre-scalers). */
export function checkCounts(saturatedCount: unknown, total: unknown): [number, number] {
  const s = checkNonNegativeInteger(saturatedCount, 'saturatedCount');
  const t = checkNonNegativeInteger(total, 'total');
  if (s > t) throw new RangeError(`saturatedCount: expected at most total (${t}), found ${s}`);
  return [s, t];
}

/**
 * FP8-LM's automatic gradient pre-scaling factor μ (arXiv 2310.18313 §3.1): gradients are multiplied by μ
 * before they are quantized and summed in FP8 (`g' = μ·g`; divide by μ after the all-reduce), and μ
 * adapts to how many values hit the FP8 maximum.
 *
 * - If `saturatedCount / total > threshold` (strictly), μ halves for the next step.
 * - Otherwise μ rises by the factor `2^(1/window)`, capped at `maxMu`: one halving is undone by exactly
 *   `window` clean steps, so a μ halved from 2 is back at 2 after 1000 steps ("rises back exponentially to 2
 *   over 1000 steps"). Several halvings take that many windows. (Reading the growth as `maxMu^(1/window)`
 *   would only coincide for maxMu = 2, and would not undo a halving in `window` steps for other maxMu.)
 *
 * μ is kept exactly on the grid `maxMu · 2^(-n/window)` with an integer `n` (the {@link GradientAutoScaler.deficit}), computed
 * as `maxMu · 2^-floor(n/window) · 2^-((n mod window)/window)` and rounded to float32. Repeated
 * multiplication by `2^(1/window)` would drift and miss `maxMu` by a few ulps after 1000 steps; the grid
 * makes a halving exact and the recovery land on `maxMu` exactly, and μ is a float32 so the host and a
 * device kernel multiply by the same number.
 *
 * @example
 * const auto = new GradientAutoScaler({ initialMu: 2 });
 * auto.update(5, 100_000); // 5e-5 > 1e-5 saturated → μ = 1
 * for (let i = 0; i < 1000; i++) auto.update(0, 100_000);
 * auto.mu; // → 2
 */
export class GradientAutoScaler {
  readonly name = 'auto' as const;
  readonly threshold: number;
  readonly window: number;
  readonly maxMu: number;
  readonly minMu: number;
  // The largest useful deficit: μ at it is already at (or below, then clamped to) minMu.
  readonly #maxDeficit: number;
  #deficit: number;

  constructor(options?: AutoScalerOptions) {
    const opts = checkOptions(options);
    this.threshold = checkThreshold(opts.threshold ?? 1e-5);
    this.window = checkPositiveInteger(opts.window ?? 1000, 'window');
    this.maxMu = checkFloat32Positive(opts.maxMu ?? 2, 'maxMu');
    this.minMu = checkFloat32Positive(opts.minMu ?? 2 ** -16, 'minMu');
    if (this.minMu > this.maxMu) {
      throw new RangeError(`minMu: expected at most maxMu (${this.maxMu}), found ${this.minMu}`);
    }
    this.#maxDeficit = Math.ceil(this.window * Math.log2(this.maxMu / this.minMu));
    let initial = Math.min(this.maxMu, Math.max(this.minMu, 1));
    if (opts.initialMu !== undefined) {
      initial = checkPositiveFinite(opts.initialMu, 'initialMu');
      if (initial < this.minMu || initial > this.maxMu) {
        throw new RangeError(
          `initialMu: expected a value in [minMu, maxMu] = [${this.minMu}, ${this.maxMu}], found ${initial}`,
        );
      }
    }
    // The nearest grid point (exact for initialMu = maxMu·2^-k, e.g. 1 with maxMu = 2).
    this.#deficit = Math.min(this.#maxDeficit, Math.round(this.window * Math.log2(this.maxMu / initial)));
  }

  /** The multiplier for the gradients of the current step: `g' = mu · g`. A float32 in [minMu, maxMu]. */
  get mu(): number {
    return muOnGrid(this.maxMu, this.minMu, this.window, this.#deficit);
  }

  /** Growth steps owed before μ is back at maxMu: `window` per outstanding halving, minus clean steps since. */
  get deficit(): number {
    return this.#deficit;
  }

  /**
   * Feeds one step's saturation count (values at the FP8 maximum, e.g. {@link countSaturated} of the
   * reduced gradient, out of `total` values) and returns μ for the next step.
   */
  update(saturatedCount: number, total: number): number {
    const [s, t] = checkCounts(saturatedCount, total);
    if (t > 0 && s / t > this.threshold) {
      this.#deficit = Math.min(this.#deficit + this.window, this.#maxDeficit);
    } else if (this.#deficit > 0) {
      this.#deficit--;
    }
    return this.mu;
  }

  /** The checkpoint form. */
  toJSON(): AutoScalerJSON {
    return {
      version: 1,
      threshold: this.threshold,
      window: this.window,
      maxMu: this.maxMu,
      minMu: this.minMu,
      deficit: this.#deficit,
    };
  }

  /** Restores {@link GradientAutoScaler.toJSON} output (an object or its JSON text). */
  static fromJSON(json: AutoScalerJSON | string): GradientAutoScaler {
    const data: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new TypeError(`json: expected a GradientAutoScaler JSON object, found ${describe(data)}`);
    }
    const o = data as Record<string, unknown>;
    if (o.version !== 1) throw new RangeError(`json.version: expected 1, found ${describe(o.version)}`);
    let scaler: GradientAutoScaler;
    try {
      scaler = new GradientAutoScaler({
        threshold: o.threshold as number,
        window: o.window as number,
        maxMu: o.maxMu as number,
        minMu: o.minMu as number,
        initialMu: o.maxMu as number,
      });
    } catch (e) {
      // The constructor names the option; in a checkpoint it is a field of `json`.
      if (e instanceof RangeError) throw new RangeError(`json.${e.message}`);
      if (e instanceof TypeError) throw new TypeError(`json.${e.message}`);
      throw e;
    }
    const deficit = checkNonNegativeInteger(o.deficit, 'json.deficit');
    if (deficit > scaler.#maxDeficit) {
      throw new RangeError(`json.deficit: expected at most ${scaler.#maxDeficit}, found ${deficit}`);
    }
    scaler.#deficit = deficit;
    return scaler;
  }
}

/** μ at deficit `n`: the power-of-two part is exact, only the fractional binade goes through Math.pow. */
function muOnGrid(maxMu: number, minMu: number, window: number, n: number): number {
  const whole = Math.floor(n / window);
  const mu = Math.fround(maxMu * 2 ** -whole * 2 ** (-(n - whole * window) / window));
  return Math.max(mu, minMu);
}

function checkThreshold(value: unknown): number {
  assertNumber(value, 'threshold');
  if (!(value >= 0 && value < 1))
    throw new RangeError(`threshold: expected a fraction in [0, 1), found ${value}`);
  return value;
}

function checkFloat32Positive(value: unknown, argument: string): number {
  const v = Math.fround(checkPositiveFinite(value, argument));
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${argument}: expected a positive finite float32, found ${String(value)}`);
  }
  return v;
}
