import type { Tokenizer } from './char-tokenizer.js';
import { assertRngState, CounterRng, type RandomSource, type RngState, randomInt } from './rng.js';

/** Token storage: llm.c shards hold uint16 ids; larger vocabularies use int32. */
export type TokenArray = Uint16Array | Int32Array;

/** The two splits. */
export type Split = 'train' | 'val';

/** One batch: `B·T` inputs and the next-token targets, row-major `[B, T]`. */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
}

/** Where each split's sampling stands: what a checkpoint stores to resume the same batches. */
export interface DatasetState {
  /** Sizes of the splits the state belongs to (checked on restore). */
  trainTokens: number;
  valTokens: number;
  /** Random-window generator and sequential cursor of each split. */
  train: { rng: RngState; position: number };
  val: { rng: RngState; position: number };
}

/** Options of {@link TokenDataset}. */
export interface TokenDatasetOptions {
  /** Where the tokens came from, used in error messages (a path, or e.g. "synthetic corpus"). */
  source?: string;
  /** The tokenizer that produced the ids, if known. */
  tokenizer?: Tokenizer;
  /** Seed of the random-window generators (val uses `seed + 1`). Default 1337. */
  seed?: number;
  /** The loss floor in nats per token, when it is known (the synthetic corpus). */
  entropyFloor?: number;
}

/** Splits `tokens` nanoGPT's way: the first ⌊0.9·n⌋ for train, the rest for val. */
export function splitTokens(tokens: TokenArray, trainFraction = 0.9): { train: TokenArray; val: TokenArray } {
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new RangeError(`trainFraction: expected a number in (0, 1), found ${trainFraction}`);
  }
  const n = Math.floor(tokens.length * trainFraction);
  return { train: tokens.subarray(0, n), val: tokens.subarray(n) };
}

/** The smallest dtype that holds ids below `vocabSize`. */
export function toTokenArray(ids: ArrayLike<number>, vocabSize: number): TokenArray {
  if (vocabSize <= 65536) return ids instanceof Uint16Array ? ids : Uint16Array.from(ids);
  return ids instanceof Int32Array ? ids : Int32Array.from(ids);
}

/**
 * Token ids in a train and a val split, with nanoGPT's `get_batch` (random windows) and llm.c's
 * sequential reader, both deterministic and resumable: {@link TokenDataset.state} /
 * {@link TokenDataset.restore} save and restore where each split stands, so a resumed run draws
 * exactly the batches the uninterrupted run would have.
 */
export class TokenDataset {
  readonly train: TokenArray;
  readonly val: TokenArray;
  readonly source: string;
  readonly tokenizer: Tokenizer | undefined;
  readonly entropyFloor: number | undefined;
  readonly #rng: Record<Split, CounterRng>;
  readonly #position: Record<Split, number> = { train: 0, val: 0 };

  /**
   * @param splits the token ids of each split (kept, not copied).
   */
  constructor(splits: { train: TokenArray; val: TokenArray }, options: TokenDatasetOptions = {}) {
    for (const split of ['train', 'val'] as const) {
      const a = splits?.[split];
      if (!(a instanceof Uint16Array || a instanceof Int32Array)) {
        throw new TypeError(
          `splits.${split}: expected a Uint16Array or Int32Array of token ids, found ${describe(a)}`,
        );
      }
    }
    this.train = splits.train;
    this.val = splits.val;
    this.source = options.source ?? 'token dataset';
    this.tokenizer = options.tokenizer;
    this.entropyFloor = options.entropyFloor;
    const seed = options.seed ?? 1337;
    this.#rng = { train: new CounterRng(seed), val: new CounterRng((seed + 1) % 4294967296) };
  }

  /** Splits one token sequence 90/10 (nanoGPT's `train_data = data[:int(n*0.9)]`). */
  static fromTokens(tokens: TokenArray, options: TokenDatasetOptions = {}): TokenDataset {
    return new TokenDataset(splitTokens(tokens), options);
  }

  /** Token count of a split. */
  size(split: Split): number {
    return this.#split(split).length;
  }

  /** The largest token id in the data, or -1 if it is empty. */
  maxTokenId(): number {
    let max = -1;
    for (const a of [this.train, this.val]) for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
    return max;
  }

  /**
   * Throws an Error naming the source unless every token id is below `vocabSize` (data made with
   * another tokenizer than the model's).
   */
  assertVocabulary(vocabSize: number): void {
    const max = this.maxTokenId();
    if (max >= vocabSize) {
      throw new Error(
        `${this.source}: token id ${max} does not fit the model's vocabulary of ${vocabSize} tokens (expected ids in [0, ${vocabSize}))`,
      );
    }
  }

  /**
   * Throws an Error naming the source and sizes unless both splits hold at least one window of
   * `blockSize` inputs plus its shifted target (`blockSize + 1` tokens).
   */
  assertBlockSize(blockSize: number, splits: readonly Split[] = ['train', 'val']): void {
    if (!Number.isSafeInteger(blockSize) || blockSize <= 0) {
      throw new RangeError(`blockSize: expected a positive integer, found ${String(blockSize)}`);
    }
    for (const split of splits) {
      const n = this.size(split);
      if (n < blockSize + 1) {
        throw new Error(
          `${this.source}: the ${split} split has ${n} tokens, fewer than one block needs (block size ${blockSize} + 1 = ${blockSize + 1} tokens)`,
        );
      }
    }
  }

  /**
   * `B` random windows of `T` tokens, like nanoGPT's `get_batch`: starts uniform in
   * [0, n − T), `inputs[b, t] = data[s_b + t]`, `targets[b, t] = data[s_b + t + 1]`. Uses the split's
   * own generator (saved by {@link TokenDataset.state}) unless `rng` is given.
   */
  batch(split: Split, B: number, T: number, rng?: RandomSource): Batch {
    const data = this.#checkBatch(split, B, T);
    const source = rng ?? this.#rng[split];
    const out = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T) };
    for (let b = 0; b < B; b++) this.#copyWindow(data, randomInt(source, data.length - T), b, T, out);
    return out;
  }

  /**
   * The next `B` consecutive windows of `T` tokens, like llm.c's DataLoader: the cursor advances by
   * `B·T` and wraps to 0 when fewer than `B·T + 1` tokens remain.
   */
  nextBatch(split: Split, B: number, T: number): Batch {
    const data = this.#checkBatch(split, B, T);
    if (data.length < B * T + 1) {
      throw new Error(
        `${this.source}: the ${split} split has ${data.length} tokens, fewer than one sequential batch needs (B·T + 1 = ${B * T + 1})`,
      );
    }
    let p = this.#position[split];
    if (p + B * T + 1 > data.length) p = 0;
    const out = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T) };
    for (let b = 0; b < B; b++) this.#copyWindow(data, p + b * T, b, T, out);
    this.#position[split] = p + B * T;
    return out;
  }

  /** Moves a split's sequential cursor back to the start (llm.c resets val before each eval). */
  resetPosition(split: Split): void {
    this.#position[split] = 0;
  }

  /** Where both splits stand, as JSON. */
  state(): DatasetState {
    return {
      trainTokens: this.train.length,
      valTokens: this.val.length,
      train: { rng: this.#rng.train.state(), position: this.#position.train },
      val: { rng: this.#rng.val.state(), position: this.#position.val },
    };
  }

  /** Resumes from {@link TokenDataset.state}; the data must have the same split sizes. */
  restore(state: DatasetState): void {
    if (typeof state !== 'object' || state === null) {
      throw new TypeError(`state: expected a dataset state object, found ${String(state)}`);
    }
    for (const split of ['train', 'val'] as const) {
      const saved = state[`${split}Tokens`];
      if (saved !== this.size(split)) {
        throw new Error(
          `${this.source}: the saved data position belongs to a ${split} split of ${String(saved)} tokens, this one has ${this.size(split)} (different data?)`,
        );
      }
      const s = state[split];
      assertRngState(s?.rng, `state.${split}.rng`);
      if (!Number.isSafeInteger(s.position) || s.position < 0 || s.position > this.size(split)) {
        throw new RangeError(
          `state.${split}.position: expected an integer in [0, ${this.size(split)}], found ${String(s.position)}`,
        );
      }
    }
    for (const split of ['train', 'val'] as const) {
      this.#rng[split].restore(state[split].rng);
      this.#position[split] = state[split].position;
    }
  }

  #split(split: Split): TokenArray {
    if (split === 'train') return this.train;
    if (split === 'val') return this.val;
    throw new TypeError(`split: expected 'train' or 'val', found ${JSON.stringify(split)}`);
  }

  #checkBatch(split: Split, B: number, T: number): TokenArray {
    const data = this.#split(split);
    if (!Number.isSafeInteger(B) || B <= 0) {
      throw new RangeError(`B: expected a positive integer, found ${String(B)}`);
    }
    if (!Number.isSafeInteger(T) || T <= 0) {
      throw new RangeError(`T: expected a positive integer, found ${String(T)}`);
    }
    this.assertBlockSize(T, [split]);
    return data;
  }

  #copyWindow(data: TokenArray, start: number, b: number, T: number, out: Batch): void {
    const o = b * T;
    for (let t = 0; t < T; t++) {
      out.inputs[o + t] = data[start + t];
      out.targets[o + t] = data[start + t + 1];
    }
  }
}

function describe(value: unknown): string {
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return value === null ? 'null' : typeof value;
}
