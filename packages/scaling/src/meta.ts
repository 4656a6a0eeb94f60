import { type FloatFormat, type FormatLike, type FormatName, resolveFormat } from '@fp8lm/fp8-format';
import type { CodeDType } from '@fp8lm/tensor-interface';
import { checkScale } from './compute-scale.js';
import { inverseScale } from './float32.js';
import { assertNumber, checkOptions, checkPositiveInteger, describe } from './validate.js';

/** Which amax of the history window a delayed scale is computed from (TransformerEngine's `amax_compute_algo`). */
export type AmaxAlgorithm = 'max' | 'most-recent';

/** Options of the {@link ScalingMeta} constructor. */
export interface ScalingMetaOptions {
  /** Length of the amax history window (default 1024, TransformerEngine's `amax_history_len`). */
  historyLength?: number;
  /** Initial scale (default 1). */
  scale?: number;
}

/**
 * The JSON form of a {@link ScalingMeta}, for checkpoints. Every number is a float32 value (or an
 * integer), and JSON numbers print the shortest decimal that parses back to the same double, so the
 * round trip is bit-exact (denormals included). `amaxHistory` is the raw ring buffer; with `step` it
 * restores the ring position.
 */
export interface ScalingMetaJSON {
  readonly version: 1;
  readonly format: CodeDType;
  readonly historyLength: number;
  readonly amaxHistory: readonly number[];
  readonly scale: number;
  readonly scaleInv: number;
  readonly step: number;
}

/**
 * The scaling state of one tensor (MS-AMP's `ScalingMeta`, TransformerEngine's `FP8TensorMeta` entry):
 * its format, a ring buffer of past amaxes, the current `scale` and `scaleInv`, and a step counter.
 *
 * `step` counts the amaxes recorded since construction or the last {@link ScalingMeta.reset}; the next
 * amax goes to slot `step % historyLength`. While `step < historyLength` the window is not full yet
 * ({@link ScalingMeta.isWarmup}) and only the first `step` slots hold amaxes. Recipes decide the scale;
 * the meta only stores state, so it can be checkpointed with {@link ScalingMeta.toJSON}.
 *
 * @example
 * const meta = new ScalingMeta(E4M3, { historyLength: 16 });
 * meta.record(3.5);
 * meta.setScale(computeScale(meta.format.maxFinite, meta.windowAmax())); // scale 128, scaleInv 1/128
 */
export class ScalingMeta {
  /** The FP8 (or other) format the tensor is quantized to; its `maxFinite` is the `fpMax` of scaling. */
  readonly format: FloatFormat;
  /** Number of slots in {@link ScalingMeta.amaxHistory}. */
  readonly historyLength: number;
  /**
   * The ring buffer of recorded amaxes (float32, never negative, never NaN/Inf). Read it freely; write it
   * only through {@link ScalingMeta.record} and {@link ScalingMeta.reset}, which keep `step` consistent.
   */
  readonly amaxHistory: Float32Array;
  #scale: number;
  #scaleInv: number;
  #step = 0;

  constructor(format: FormatLike, options?: ScalingMetaOptions) {
    this.format = resolveFormat(format);
    const opts = checkOptions(options);
    this.historyLength = checkPositiveInteger(opts.historyLength ?? 1024, 'historyLength');
    this.amaxHistory = new Float32Array(this.historyLength);
    this.#scale = checkScale(opts.scale ?? 1, 'scale');
    this.#scaleInv = inverseScale(this.#scale);
  }

  /** The multiplier before the cast: `q = cast(x * scale)`. A positive finite float32. */
  get scale(): number {
    return this.#scale;
  }

  /** `1 / scale` as a float32: `x ≈ decode(q) * scaleInv`. */
  get scaleInv(): number {
    return this.#scaleInv;
  }

  /** Amaxes recorded since construction or the last reset. */
  get step(): number {
    return this.#step;
  }

  /** How many history slots hold recorded amaxes: `min(step, historyLength)`. */
  get recorded(): number {
    return Math.min(this.#step, this.historyLength);
  }

  /**
   * True while the window is not full (`step < historyLength`). Recipes then scale from the amaxes seen so
   * far, the current one included, so a trainer can quantize "just in time" (amax → update → quantize)
   * instead of with a scale derived from too short a history.
   */
  get isWarmup(): boolean {
    return this.#step < this.historyLength;
  }

  /**
   * Sets `scale` (rounded to float32) and `scaleInv = fround(1 / scale)` together, so the two never
   * disagree. Throws a RangeError unless both are positive finite float32 values.
   */
  setScale(scale: number): void {
    this.#scale = checkScale(scale, 'scale');
    this.#scaleInv = inverseScale(this.#scale);
  }

  /**
   * Appends one amax to the history (as a float32, in slot `step % historyLength`) and advances `step`.
   * Does not touch the scale: recipes do that. NaN/Inf amaxes are the recipes' business (they reset);
   * here they are a RangeError, so the history only ever holds usable values.
   */
  record(amax: number): void {
    assertNumber(amax, 'amax');
    // +0 turns -0 into 0, so the JSON form (which cannot spell -0) round-trips.
    const a = Math.fround(amax) + 0;
    if (!Number.isFinite(a) || a < 0) {
      throw new RangeError(`amax: expected a finite non-negative float32, found ${amax}`);
    }
    this.amaxHistory[this.#step % this.historyLength] = a;
    this.#step++;
  }

  /**
   * The amax a delayed scale is computed from: the largest recorded amax of the window (`'max'`, the
   * default) or the last one recorded (`'most-recent'`); 0 when nothing is recorded.
   */
  windowAmax(algorithm: AmaxAlgorithm = 'max'): number {
    if (algorithm !== 'max' && algorithm !== 'most-recent') {
      throw new RangeError(`algorithm: expected 'max' or 'most-recent', found ${describe(algorithm)}`);
    }
    const n = this.recorded;
    if (n === 0) return 0;
    if (algorithm === 'most-recent') return this.amaxHistory[(this.#step - 1) % this.historyLength];
    let m = 0;
    // Before the window is full only slots 0..step-1 were written; the rest are zeros anyway, but an
    // explicit bound keeps this right for any buffer contents.
    for (let i = 0; i < n; i++) m = Math.max(m, this.amaxHistory[i]);
    return m;
  }

  /** Clears the history and the step counter; keeps the scale (the last good one). */
  reset(): void {
    this.amaxHistory.fill(0);
    this.#step = 0;
  }

  /** The checkpoint form; see {@link ScalingMetaJSON}. */
  toJSON(): ScalingMetaJSON {
    return {
      version: 1,
      format: this.format.name,
      historyLength: this.historyLength,
      amaxHistory: Array.from(this.amaxHistory),
      scale: this.#scale,
      scaleInv: this.#scaleInv,
      step: this.#step,
    };
  }

  /**
   * Restores a meta from {@link ScalingMeta.toJSON} output (an object or its JSON text), bit for bit.
   * `scaleInv` is restored as stored rather than recomputed, so a value written by a device survives.
   * Throws a TypeError/RangeError naming the first bad field.
   */
  static fromJSON(json: ScalingMetaJSON | string): ScalingMeta {
    const data: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new TypeError(`json: expected a ScalingMeta JSON object, found ${describe(data)}`);
    }
    const o = data as Record<string, unknown>;
    if (o.version !== 1) throw new RangeError(`json.version: expected 1, found ${describe(o.version)}`);
    const format = resolveFormat(o.format as FormatName, 'json.format');
    const historyLength = checkPositiveInteger(o.historyLength, 'json.historyLength');
    const scale = checkFloat32Scale(o.scale, 'json.scale');
    const scaleInv = checkFloat32Positive(o.scaleInv, 'json.scaleInv');
    const meta = new ScalingMeta(format, { historyLength, scale });
    const history = o.amaxHistory;
    if (!Array.isArray(history) || history.length !== historyLength) {
      throw new RangeError(
        `json.amaxHistory: expected an array of ${historyLength} numbers, found ${Array.isArray(history) ? `${history.length} entries` : describe(history)}`,
      );
    }
    history.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || Math.fround(v) !== v) {
        throw new RangeError(
          `json.amaxHistory[${i}]: expected a finite non-negative float32, found ${describe(v)}`,
        );
      }
      meta.amaxHistory[i] = v;
    });
    const step = o.step;
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`json.step: expected a non-negative integer, found ${describe(step)}`);
    }
    meta.#scaleInv = scaleInv;
    meta.#step = step;
    return meta;
  }
}

/** A stored scale: {@link checkScale}, and already exactly a float32 (a checkpoint is never rounded). */
function checkFloat32Scale(value: unknown, argument: string): number {
  const scale = checkScale(value, argument);
  if (scale !== value)
    throw new RangeError(`${argument}: expected a float32 value, found ${describe(value)}`);
  return scale;
}

/**
 * A stored scaleInv: a positive finite float32. Its own reciprocal may overflow (the scaleInv of the
 * largest scale is ~2.9e-39, whose float32 reciprocal rounds to Inf), so only the value itself is checked.
 */
function checkFloat32Positive(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || Math.fround(value) !== value) {
    throw new RangeError(`${argument}: expected a positive finite float32, found ${describe(value)}`);
  }
  return value;
}
