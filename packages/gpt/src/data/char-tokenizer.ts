// The tokenizer contract and the character-level tokenizer: no dependencies, so the browser-safe
// entry (core.ts) has them without GPT-2's BPE tables (tokenizer.ts adds those).

/** The tokenizers fp8lm knows. */
export type TokenizerName = 'char' | 'gpt2';

/** A tokenizer as plain JSON: what checkpoints and `meta.json` store. */
export type TokenizerJSON =
  | {
      name: 'char';
      /** The vocabulary: `chars[id]` is the character (one Unicode code point) of token `id`. */
      chars: string[];
    }
  | { name: 'gpt2' };

/** Text ↔ token ids. */
export interface Tokenizer {
  readonly name: TokenizerName;
  /** Number of token ids; every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** Token ids of `text`; throws if `text` holds something outside the vocabulary. */
  encode(text: string): Int32Array;
  /** The text of `ids`; throws a RangeError on an id outside [0, vocabSize). */
  decode(ids: ArrayLike<number>): string;
  /** The vocabulary as JSON, enough for {@link tokenizerFromJSON} to rebuild the tokenizer. */
  toJSON(): TokenizerJSON;
}

function compareCodePoints(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/** A character with its code point, for error messages: `"K" (U+004B)`. */
export function describeChar(c: string): string {
  return `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** Throws a RangeError unless `id` (element `index` of the ids) is a token id below `vocabSize`. */
export function checkId(id: number, vocabSize: number, index: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new RangeError(`ids[${index}]: expected a token id in [0, ${vocabSize}), found ${id}`);
  }
}

/**
 * Character-level tokenizer: one token per Unicode code point, ids in code-point order of the
 * vocabulary, as nanoGPT's `shakespeare_char` builds it (`sorted(list(set(data)))`).
 */
export class CharTokenizer implements Tokenizer {
  readonly name = 'char' as const;
  readonly #chars: readonly string[];
  readonly #ids: Map<string, number>;

  /**
   * @param chars the vocabulary, one code point per entry, no duplicates; `chars[id]` is the
   *   character of token `id`.
   */
  constructor(chars: readonly string[]) {
    if (!Array.isArray(chars)) {
      throw new TypeError(`chars: expected an array of single characters, found ${typeof chars}`);
    }
    if (chars.length === 0) throw new RangeError('chars: expected at least one character, found 0');
    const ids = new Map<string, number>();
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) {
        throw new TypeError(
          `chars[${i}]: expected a string of one Unicode code point, found ${JSON.stringify(c)}`,
        );
      }
      const previous = ids.get(c);
      if (previous !== undefined) {
        throw new RangeError(`chars[${i}]: ${describeChar(c)} duplicates chars[${previous}]`);
      }
      ids.set(c, i);
    });
    this.#chars = [...chars];
    this.#ids = ids;
  }

  /** The sorted unique characters of `text` as the vocabulary. */
  static fromText(text: string): CharTokenizer {
    if (typeof text !== 'string') throw new TypeError(`text: expected a string, found ${typeof text}`);
    if (text.length === 0) throw new RangeError('text: expected a non-empty string, found ""');
    return new CharTokenizer([...new Set(text)].sort(compareCodePoints));
  }

  /** Rebuilds a tokenizer from {@link CharTokenizer.toJSON}'s output. */
  static fromJSON(json: unknown): CharTokenizer {
    const t = checkTokenizerJSON(json);
    if (t.name !== 'char')
      throw new TypeError(`json: expected a char tokenizer, found ${JSON.stringify(t.name)}`);
    return new CharTokenizer(t.chars);
  }

  get vocabSize(): number {
    return this.#chars.length;
  }

  /** The vocabulary (`chars[id]`). */
  get chars(): readonly string[] {
    return this.#chars;
  }

  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // ≥ the number of code points
    let n = 0;
    let offset = 0;
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) {
        throw new RangeError(
          `text: character ${describeChar(c)} at offset ${offset} is not in the vocabulary of ${this.#chars.length} characters`,
        );
      }
      out[n++] = id;
      offset += c.length;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  decode(ids: ArrayLike<number>): string {
    const parts = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      checkId(ids[i], this.#chars.length, i);
      parts[i] = this.#chars[ids[i]];
    }
    return parts.join('');
  }

  toJSON(): TokenizerJSON {
    return { name: 'char', chars: [...this.#chars] };
  }
}

/** Checks a tokenizer's JSON form (what {@link Tokenizer.toJSON} writes); a TypeError names what is wrong. */
export function checkTokenizerJSON(json: unknown): TokenizerJSON {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(
      `tokenizer: expected an object { name: 'char' | 'gpt2', ... }, found ${String(json)}`,
    );
  }
  const o = json as Record<string, unknown>;
  if (o.name === 'gpt2') return { name: 'gpt2' };
  if (o.name === 'char') {
    if (!Array.isArray(o.chars)) {
      throw new TypeError(`tokenizer.chars: expected an array of characters, found ${typeof o.chars}`);
    }
    return { name: 'char', chars: o.chars as string[] };
  }
  throw new TypeError(`tokenizer.name: expected 'char' or 'gpt2', found ${JSON.stringify(o.name)}`);
}
