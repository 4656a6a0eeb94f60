import {
  assertSameVocabulary,
  CharTokenizer,
  Gpt2Tokenizer,
  resolveTokenizer,
  tokenizerFromJSON,
} from '@fp8lm/gpt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

describe('CharTokenizer', () => {
  it('builds the sorted unique characters of the text, like nanoGPT shakespeare_char', () => {
    const t = CharTokenizer.fromText('hello world\n');
    expect(t.name).toBe('char');
    expect(t.chars).toEqual(['\n', ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(t.vocabSize).toBe(9);
    expect([...t.encode('hello')]).toEqual([4, 3, 5, 5, 6]);
  });

  it('round-trips text, including astral characters, sorted by code point', () => {
    const text = 'Zoë 😀 and \uffff! ∑x²';
    const t = CharTokenizer.fromText(text);
    const ids = t.encode(text);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe([...text].length);
    expect(t.decode(ids)).toBe(text);
    // code-point order puts U+FFFF before U+1F600 (UTF-16 code-unit order would not)
    expect(t.chars.indexOf('\uffff')).toBeLessThan(t.chars.indexOf('😀'));
  });

  it('round-trips through JSON (the form checkpoints store)', () => {
    const t = CharTokenizer.fromText('abcabc xyz');
    const json = JSON.parse(JSON.stringify(t.toJSON()));
    expect(json).toEqual({ name: 'char', chars: [' ', 'a', 'b', 'c', 'x', 'y', 'z'] });
    const back = CharTokenizer.fromJSON(json);
    expect(back.decode(back.encode('cab zyx'))).toBe('cab zyx');
    expect(tokenizerFromJSON(json)).toBeInstanceOf(CharTokenizer);
  });

  it('rejects unknown characters, bad ids and bad vocabularies with clear errors', () => {
    const t = CharTokenizer.fromText('ab');
    expect(() => t.encode('abc')).toThrow(
      /text: character "c" \(U\+0063\) at offset 2 is not in the vocabulary of 2 characters/,
    );
    expect(() => t.decode([0, 2])).toThrow(RangeError);
    expect(() => t.decode([0, 2])).toThrow('ids[1]: expected a token id in [0, 2), found 2');
    expect(() => new CharTokenizer(['a', 'a'])).toThrow(/chars\[1\]: "a" \(U\+0061\) duplicates chars\[0\]/);
    expect(() => new CharTokenizer(['ab'])).toThrow(
      /chars\[0\]: expected a string of one Unicode code point/,
    );
    expect(() => CharTokenizer.fromText('')).toThrow(/text: expected a non-empty string/);
    expect(() => tokenizerFromJSON({ name: 'bpe' })).toThrow(
      /tokenizer.name: expected 'char' or 'gpt2', found "bpe"/,
    );
    expect(() => tokenizerFromJSON(null)).toThrow(TypeError);
    expect(() => CharTokenizer.fromJSON({ name: 'gpt2' })).toThrow(/expected a char tokenizer, found "gpt2"/);
  });
});

describe('Gpt2Tokenizer', () => {
  const t = new Gpt2Tokenizer();
  // The BPE ranks are a JS module inside js-tiktoken: any download attempt fails the test.
  beforeAll(() => {
    vi.stubGlobal('fetch', () => {
      throw new Error('Gpt2Tokenizer must not use the network');
    });
  });
  afterAll(() => {
    vi.unstubAllGlobals();
  });

  it('encodes "Hello world" to [15496, 995] offline, from the ranks bundled in js-tiktoken', () => {
    expect([...t.encode('Hello world')]).toEqual([15496, 995]);
    expect(t.decode([15496, 995])).toBe('Hello world');
    expect(t.vocabSize).toBe(50257);
    expect(t.toJSON()).toEqual({ name: 'gpt2' });
  });

  it('round-trips text and encodes <|endoftext|> as the special token 50256', () => {
    const text = 'First Citizen:\nBefore we proceed any further, hear me speak. Ünïcödé 😀';
    expect(t.decode(t.encode(text))).toBe(text);
    expect([...t.encode('<|endoftext|>')]).toEqual([50256]);
    expect(() => t.decode([50257])).toThrow('ids[0]: expected a token id in [0, 50257), found 50257');
  });

  it('is rebuilt from JSON and by name', () => {
    expect(tokenizerFromJSON({ name: 'gpt2' })).toBeInstanceOf(Gpt2Tokenizer);
    expect(resolveTokenizer('gpt2').name).toBe('gpt2');
    expect(resolveTokenizer('char', 'ba').vocabSize).toBe(2);
    expect(() => resolveTokenizer('char')).toThrow(/'char' needs the text/);
  });
});

describe('assertSameVocabulary', () => {
  it('accepts equal vocabularies and names both sources and the first difference otherwise', () => {
    const a = CharTokenizer.fromText('abc');
    expect(() => assertSameVocabulary(a, a.toJSON())).not.toThrow();
    expect(() =>
      assertSameVocabulary(a, CharTokenizer.fromText('abd'), {
        expected: 'checkpoint c.st',
        found: 'data x.txt',
      }),
    ).toThrow(
      'vocabulary mismatch: checkpoint c.st has a char vocabulary of 3 characters, data x.txt has a char vocabulary of 3 characters (first difference at id 2: "c" (U+0063) vs "d" (U+0064))',
    );
    expect(() => assertSameVocabulary(a, new Gpt2Tokenizer())).toThrow(
      'vocabulary mismatch: expected has a char vocabulary of 3 characters, found has GPT-2 BPE (50257 tokens)',
    );
    expect(() => assertSameVocabulary(a, CharTokenizer.fromText('abcd'))).toThrow(
      /first difference at id 3: none vs "d"/,
    );
  });
});
