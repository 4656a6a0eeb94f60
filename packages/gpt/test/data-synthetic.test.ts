import {
  DEFAULT_GRAMMAR,
  Gpt2Tokenizer,
  generateSynthetic,
  type SyntheticGrammar,
  syntheticEntropy,
  syntheticTokenizer,
  validateGrammar,
} from '@fp8lm/gpt';
import { describe, expect, it } from 'vitest';

/**
 * An independent parser: recovers from the text every choice the grammar made and sums
 * −ln p over them. Its per-character average is a Monte Carlo estimate of the entropy rate.
 */
function empiricalNats(
  text: string,
  grammar: SyntheticGrammar,
): { nats: number; chars: number; units: number } {
  const wordInfo = new Map<string, { cls: string; p: number }>();
  for (const [cls, words] of Object.entries(grammar.classes)) {
    const total = words.reduce((s, [, w]) => s + w, 0);
    for (const [word, w] of words) wordInfo.set(word.toLowerCase(), { cls, p: w / total });
  }
  const templateTotal = grammar.templates.reduce((s, t) => s + t.weight, 0);
  const templateP = new Map(
    grammar.templates.map((t) => [`${t.slots.join(' ')}${t.end}`, t.weight / templateTotal]),
  );
  const sepTotal = grammar.separators.reduce((s, [, w]) => s + w, 0);
  const sepP = new Map(grammar.separators.map(([s, w]) => [s, w / sepTotal]));
  let nats = 0;
  let chars = 0;
  let units = 0;
  for (const m of text.matchAll(/([^.?]+)([.?])(\s)/g)) {
    const words = m[1].split(' ');
    let classes = '';
    for (const w of words) {
      const info = wordInfo.get(w.toLowerCase());
      if (info === undefined) throw new Error(`unknown word ${w}`);
      nats -= Math.log(info.p);
      classes += classes === '' ? info.cls : ` ${info.cls}`;
    }
    const pt = templateP.get(classes + m[2]);
    if (pt === undefined) throw new Error(`no template for ${classes}${m[2]}`);
    nats -= Math.log(pt) + Math.log(sepP.get(m[3])!);
    chars += m[0].length;
    units++;
  }
  return { nats, chars, units };
}

describe('synthetic corpus', () => {
  it('is deterministic per seed, and a shorter text is a prefix of a longer one', () => {
    const a = generateSynthetic(5000, { seed: 42 });
    expect(a).toHaveLength(5000);
    expect(generateSynthetic(5000, { seed: 42 })).toBe(a);
    expect(generateSynthetic(20_000, { seed: 42 }).startsWith(a)).toBe(true);
    expect(generateSynthetic(5000, { seed: 43 })).not.toBe(a);
    expect(generateSynthetic(0)).toBe('');
    // a fixed point: the default seed's first sentences never change
    expect(generateSynthetic(60)).toBe('The farmer sees the cat. The cat runs. The dark bird sings s');
  });

  it('reads like English sentences and fits the grammar tokenizer', () => {
    const text = generateSynthetic(20_000, { seed: 1 });
    expect(text).toMatch(/^[A-Z][a-z]*( [A-Za-z]+)*[.?]\s/);
    const tok = syntheticTokenizer();
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.vocabSize).toBeLessThan(50);
  });

  it('has an exact entropy floor that matches a Monte Carlo estimate from 2M characters', () => {
    const floor = syntheticEntropy();
    const text = generateSynthetic(2_000_000, { seed: 9 });
    const { nats, chars, units } = empiricalNats(text, DEFAULT_GRAMMAR);
    expect(units).toBeGreaterThan(70_000);
    expect(Math.abs(chars / units - floor.charsPerSentence) / floor.charsPerSentence).toBeLessThan(0.005);
    expect(Math.abs(nats / units - floor.natsPerSentence) / floor.natsPerSentence).toBeLessThan(0.01);
    expect(Math.abs(nats / chars - floor.natsPerChar) / floor.natsPerChar).toBeLessThan(0.01);
    expect(floor.bitsPerChar).toBeCloseTo(floor.natsPerChar / Math.LN2, 12);
    expect(floor.natsPerToken).toBe(floor.natsPerChar); // char-level: one token per character
  });

  it('floor is below what a fitted character n-gram model reaches on held-out text', () => {
    const floor = syntheticEntropy().natsPerChar;
    const text = generateSynthetic(600_000, { seed: 3 });
    const train = text.slice(0, 540_000);
    const val = text.slice(540_000);
    const k = 8;
    const vocab = syntheticTokenizer().vocabSize;
    const counts = new Map<string, number>();
    const contexts = new Map<string, number>();
    for (let i = k; i < train.length; i++) {
      const ctx = train.slice(i - k, i);
      counts.set(ctx + train[i], (counts.get(ctx + train[i]) ?? 0) + 1);
      contexts.set(ctx, (contexts.get(ctx) ?? 0) + 1);
    }
    let nll = 0;
    for (let i = k; i < val.length; i++) {
      const ctx = val.slice(i - k, i);
      nll -= Math.log(((counts.get(ctx + val[i]) ?? 0) + 0.01) / ((contexts.get(ctx) ?? 0) + 0.01 * vocab));
    }
    const ce = nll / (val.length - k);
    expect(ce).toBeGreaterThan(floor);
    expect(ce).toBeLessThan(floor * 1.5);
  });

  it('gives the per-token floor for GPT-2 BPE, matching the token count of real text', () => {
    const gpt2 = new Gpt2Tokenizer();
    const e = syntheticEntropy({ tokenizer: gpt2 });
    const text = generateSynthetic(400_000, { seed: 5 });
    const cut = text.lastIndexOf('.', text.length - 1) + 2; // whole units only
    const units = empiricalNats(text.slice(0, cut), DEFAULT_GRAMMAR).units;
    const tokens = gpt2.encode(text.slice(0, cut)).length;
    expect(Math.abs(tokens / units - e.tokensPerSentence) / e.tokensPerSentence).toBeLessThan(0.01);
    expect(e.natsPerToken).toBeCloseTo(e.natsPerSentence / e.tokensPerSentence, 12);
    expect(e.natsPerChar).toBe(syntheticEntropy().natsPerChar);
  });

  it('computes the floor of a tiny grammar by hand', () => {
    // one template "W." with W ∈ {ab (p=1/4), c (p=3/4)}, separator " " or "\n" with p = 1/2
    const g: SyntheticGrammar = {
      classes: {
        W: [
          ['ab', 1],
          ['c', 3],
        ],
      },
      templates: [{ slots: ['W'], end: '.', weight: 1 }],
      separators: [
        [' ', 1],
        ['\n', 1],
      ],
    };
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)) + Math.log(2);
    const len = 0.25 * 2 + 0.75 * 1 + 1 + 1;
    const e = syntheticEntropy({ grammar: g });
    expect(e.natsPerSentence).toBeCloseTo(h, 14);
    expect(e.charsPerSentence).toBeCloseTo(len, 14);
    expect(e.natsPerChar).toBeCloseTo(h / len, 14);
    const sample = generateSynthetic(200_000, { grammar: g, seed: 2 });
    expect(sample).toMatch(/^(Ab|C)\.\s/);
  });

  it('rejects ambiguous or malformed grammars', () => {
    const base = DEFAULT_GRAMMAR;
    expect(() => validateGrammar({ ...base, classes: { ...base.classes, X: [['Cat', 1]] } })).toThrow(
      /word "Cat" is also in class NOUN/,
    );
    expect(() =>
      validateGrammar({
        ...base,
        templates: [...base.templates, { slots: ['DET', 'NOUN', 'VI'], end: '.', weight: 1 }],
      }),
    ).toThrow(/duplicates an earlier template/);
    expect(() => validateGrammar({ ...base, templates: [{ slots: ['NOPE'], end: '.', weight: 1 }] })).toThrow(
      /class "NOPE" is not defined/,
    );
    expect(() => validateGrammar({ ...base, separators: [[' ', 0.5]] })).toThrow(
      /expected a positive integer weight, found 0.5/,
    );
    expect(() => generateSynthetic(-1)).toThrow(RangeError);
  });
});
