import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import {
  CharTokenizer,
  checkId,
  checkTokenizerJSON,
  describeChar,
  type Tokenizer,
  type TokenizerJSON,
  type TokenizerName,
} from './char-tokenizer.js';

// GPT-2's BPE and the functions over every tokenizer; the contract and the char tokenizer are in
// char-tokenizer.ts (re-exported here, so this module has the whole tokenizer API).
export {
  CharTokenizer,
  checkTokenizerJSON,
  type Tokenizer,
  type TokenizerJSON,
  type TokenizerName,
} from './char-tokenizer.js';

let tiktoken: Tiktoken | undefined;

/**
 * GPT-2's byte-level BPE (vocabulary 50257, `<|endoftext|>` = 50256) through `js-tiktoken`, whose
 * ranks ship inside the package: nothing is downloaded. The encoder tables are built on first use
 * (about a second) and shared by every instance. `<|endoftext|>` in the text encodes as the
 * special token, as llm.c's data scripts allow it.
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly name = 'gpt2' as const;
  readonly vocabSize = 50257;
  /** Id of `<|endoftext|>`. */
  readonly eotToken = 50256;

  #encoder(): Tiktoken {
    tiktoken ??= new Tiktoken(gpt2Ranks);
    return tiktoken;
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`text: expected a string, found ${typeof text}`);
    return Int32Array.from(this.#encoder().encode(text, 'all'));
  }

  decode(ids: ArrayLike<number>): string {
    const list = new Array<number>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      checkId(ids[i], this.vocabSize, i);
      list[i] = ids[i];
    }
    return this.#encoder().decode(list);
  }

  toJSON(): TokenizerJSON {
    return { name: 'gpt2' };
  }
}

/** Builds a tokenizer from its JSON form; a TypeError names what is wrong otherwise. */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const t = checkTokenizerJSON(json);
  return t.name === 'gpt2' ? new Gpt2Tokenizer() : new CharTokenizer(t.chars);
}

/** A tokenizer by name (`'gpt2'`), or built from `text` (`'char'`); a Tokenizer passes through. */
export function resolveTokenizer(tokenizer: Tokenizer | TokenizerName, text?: string): Tokenizer {
  if (tokenizer === 'gpt2') return new Gpt2Tokenizer();
  if (tokenizer === 'char') {
    if (text === undefined) throw new TypeError("tokenizer: 'char' needs the text to build its vocabulary");
    return CharTokenizer.fromText(text);
  }
  if (typeof tokenizer === 'object' && tokenizer !== null && typeof tokenizer.encode === 'function') {
    return tokenizer;
  }
  throw new TypeError(`tokenizer: expected 'char', 'gpt2' or a Tokenizer, found ${String(tokenizer)}`);
}

function asJSON(t: Tokenizer | TokenizerJSON): TokenizerJSON {
  return 'toJSON' in t && typeof t.toJSON === 'function' ? t.toJSON() : (t as TokenizerJSON);
}

function describeVocab(t: TokenizerJSON): string {
  return t.name === 'char' ? `a char vocabulary of ${t.chars.length} characters` : 'GPT-2 BPE (50257 tokens)';
}

/**
 * Throws an Error unless two tokenizers have the same vocabulary, naming both sources and the
 * first difference, e.g. `vocabulary mismatch: checkpoint ckpt.safetensors has a char vocabulary
 * of 65 characters, data input.txt has a char vocabulary of 70 characters (first difference at
 * id 10: "K" vs "J")`.
 */
export function assertSameVocabulary(
  expected: Tokenizer | TokenizerJSON,
  found: Tokenizer | TokenizerJSON,
  labels: { expected: string; found: string } = { expected: 'expected', found: 'found' },
): void {
  const a = asJSON(expected);
  const b = asJSON(found);
  const head = `vocabulary mismatch: ${labels.expected} has ${describeVocab(a)}, ${labels.found} has ${describeVocab(b)}`;
  if (a.name !== b.name) throw new Error(head);
  if (a.name === 'char' && b.name === 'char') {
    const n = Math.max(a.chars.length, b.chars.length);
    for (let i = 0; i < n; i++) {
      if (a.chars[i] !== b.chars[i]) {
        const show = (c: string | undefined) => (c === undefined ? 'none' : describeChar(c));
        throw new Error(`${head} (first difference at id ${i}: ${show(a.chars[i])} vs ${show(b.chars[i])})`);
      }
    }
  }
}
