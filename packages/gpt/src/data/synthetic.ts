import { CharTokenizer, type Tokenizer } from './char-tokenizer.js';
import { CounterRng, type RandomSource, randomInt } from './rng.js';

/**
 * A small stochastic grammar of English-like sentences. Every choice is made with a fixed
 * probability (integer weights ÷ their sum), so the entropy of the text it generates is known
 * exactly: {@link syntheticEntropy} computes the floor that no language model can go below.
 */
export interface SyntheticGrammar {
  /** Word classes: each word is drawn with probability `weight / Σ weights` of its class. */
  readonly classes: Readonly<Record<string, readonly (readonly [word: string, weight: number])[]>>;
  /** Sentence templates: a sequence of class names, the closing punctuation, and a weight. */
  readonly templates: readonly {
    readonly slots: readonly string[];
    readonly end: string;
    readonly weight: number;
  }[];
  /** What follows each sentence, with weights (e.g. a space or a newline). */
  readonly separators: readonly (readonly [text: string, weight: number])[];
}

/**
 * The built-in grammar: 52 words in 11 classes, 9 sentence templates, a space or a newline
 * between sentences ("The old cat sees a bird near the garden.\nAlice sings again and Tom waits.").
 */
export const DEFAULT_GRAMMAR: SyntheticGrammar = {
  classes: {
    DET: [
      ['the', 6],
      ['a', 3],
      ['every', 1],
    ],
    ADJ: [
      ['small', 4],
      ['old', 3],
      ['red', 2],
      ['quiet', 2],
      ['happy', 2],
      ['dark', 1],
      ['young', 1],
    ],
    NOUN: [
      ['cat', 6],
      ['dog', 5],
      ['bird', 4],
      ['king', 3],
      ['child', 3],
      ['horse', 2],
      ['farmer', 2],
      ['queen', 1],
    ],
    PLACE: [
      ['house', 4],
      ['garden', 3],
      ['forest', 2],
      ['town', 2],
      ['river', 1],
    ],
    VI: [
      ['sleeps', 4],
      ['runs', 3],
      ['sings', 2],
      ['waits', 2],
      ['falls', 1],
    ],
    VT: [
      ['sees', 5],
      ['likes', 3],
      ['finds', 2],
      ['follows', 2],
      ['carries', 1],
      ['calls', 1],
    ],
    PREP: [
      ['in', 4],
      ['near', 3],
      ['under', 2],
      ['behind', 1],
    ],
    ADV: [
      ['slowly', 3],
      ['quickly', 3],
      ['again', 2],
      ['today', 2],
    ],
    NAME: [
      ['Alice', 3],
      ['Bob', 3],
      ['Mary', 2],
      ['Tom', 2],
    ],
    AND: [['and', 1]],
    IS: [['is', 1]],
  },
  templates: [
    { slots: ['DET', 'NOUN', 'VI'], end: '.', weight: 20 },
    { slots: ['DET', 'ADJ', 'NOUN', 'VI', 'ADV'], end: '.', weight: 15 },
    { slots: ['DET', 'NOUN', 'VT', 'DET', 'NOUN'], end: '.', weight: 20 },
    { slots: ['DET', 'ADJ', 'NOUN', 'VT', 'DET', 'NOUN', 'PREP', 'DET', 'PLACE'], end: '.', weight: 10 },
    { slots: ['NAME', 'VT', 'DET', 'ADJ', 'NOUN'], end: '.', weight: 10 },
    { slots: ['DET', 'NOUN', 'VI', 'PREP', 'DET', 'PLACE'], end: '.', weight: 10 },
    { slots: ['NAME', 'VI', 'ADV', 'AND', 'NAME', 'VI'], end: '.', weight: 5 },
    { slots: ['IS', 'DET', 'NOUN', 'ADJ'], end: '?', weight: 5 },
    { slots: ['DET', 'NOUN', 'VT', 'NAME'], end: '.', weight: 5 },
  ],
  separators: [
    [' ', 4],
    ['\n', 1],
  ],
};

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function checkWeight(weight: unknown, where: string): void {
  if (typeof weight !== 'number' || !Number.isSafeInteger(weight) || weight <= 0) {
    throw new RangeError(`${where}: expected a positive integer weight, found ${String(weight)}`);
  }
}

/**
 * Checks that `grammar` is well formed and unambiguous (the text determines every choice made to
 * generate it, which {@link syntheticEntropy} relies on): weights are positive integers, words are
 * letters only and distinct across all classes ignoring case, template class sequences are
 * distinct, end marks are non-letter non-space text, separators are whitespace.
 */
export function validateGrammar(grammar: SyntheticGrammar): void {
  const seen = new Map<string, string>();
  for (const [cls, words] of Object.entries(grammar.classes)) {
    if (words.length === 0)
      throw new RangeError(`grammar.classes.${cls}: expected at least one word, found 0`);
    for (const [word, weight] of words) {
      checkWeight(weight, `grammar.classes.${cls} "${word}"`);
      if (!/^\p{L}+$/u.test(word)) {
        throw new RangeError(
          `grammar.classes.${cls}: expected words of letters only, found ${JSON.stringify(word)}`,
        );
      }
      const key = word.toLowerCase();
      const other = seen.get(key);
      if (other !== undefined) {
        throw new RangeError(
          `grammar.classes.${cls}: word "${word}" is also in class ${other}, which makes the text ambiguous`,
        );
      }
      seen.set(key, cls);
    }
  }
  const sequences = new Set<string>();
  grammar.templates.forEach((t, i) => {
    checkWeight(t.weight, `grammar.templates[${i}].weight`);
    if (t.slots.length === 0)
      throw new RangeError(`grammar.templates[${i}].slots: expected at least one slot, found 0`);
    for (const s of t.slots) {
      if (!Object.hasOwn(grammar.classes, s)) {
        throw new RangeError(`grammar.templates[${i}].slots: class ${JSON.stringify(s)} is not defined`);
      }
    }
    if (!/^[^\p{L}\s]+$/u.test(t.end)) {
      throw new RangeError(
        `grammar.templates[${i}].end: expected punctuation, found ${JSON.stringify(t.end)}`,
      );
    }
    const key = `${t.slots.join(' ')}${t.end}`;
    if (sequences.has(key))
      throw new RangeError(`grammar.templates[${i}]: duplicates an earlier template (${key})`);
    sequences.add(key);
  });
  if (grammar.templates.length === 0)
    throw new RangeError('grammar.templates: expected at least one template, found 0');
  if (grammar.separators.length === 0)
    throw new RangeError('grammar.separators: expected at least one, found 0');
  const separators = new Set<string>();
  for (const [text, weight] of grammar.separators) {
    checkWeight(weight, `grammar.separators ${JSON.stringify(text)}`);
    if (!/^\s+$/u.test(text) || separators.has(text)) {
      throw new RangeError(
        `grammar.separators: expected distinct whitespace strings, found ${JSON.stringify(text)}`,
      );
    }
    separators.add(text);
  }
}

function pick<T>(rng: RandomSource, items: readonly (readonly [T, number])[], total: number): T {
  let r = randomInt(rng, total);
  for (const [item, weight] of items) {
    if (r < weight) return item;
    r -= weight;
  }
  throw new Error('unreachable: weights changed while sampling');
}

function sum(items: readonly (readonly [unknown, number])[]): number {
  return items.reduce((s, [, w]) => s + w, 0);
}

/** Options of {@link generateSynthetic}. */
export interface SyntheticOptions {
  /** Seed of the generator, an integer in [0, 2^32). Default 1337. */
  seed?: number;
  /** The grammar. Default {@link DEFAULT_GRAMMAR}. */
  grammar?: SyntheticGrammar;
}

/**
 * Generates `length` characters (UTF-16 code units; the default grammar is ASCII) of text from the
 * grammar: i.i.d. sentences, each followed by a separator, cut at `length`. Deterministic: the same
 * seed gives the same text on every platform, and a shorter text is a prefix of a longer one.
 */
export function generateSynthetic(length: number, options: SyntheticOptions = {}): string {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`length: expected a non-negative integer, found ${String(length)}`);
  }
  const grammar = options.grammar ?? DEFAULT_GRAMMAR;
  validateGrammar(grammar);
  const rng = new CounterRng(options.seed ?? 1337);
  const templates = grammar.templates.map((t) => [t, t.weight] as const);
  const templateTotal = sum(templates);
  const classTotals = new Map(Object.entries(grammar.classes).map(([c, w]) => [c, sum(w)]));
  const sepTotal = sum(grammar.separators);
  const parts: string[] = [];
  let n = 0;
  while (n < length) {
    const t = pick(rng, templates, templateTotal);
    const words = t.slots.map((c) => pick(rng, grammar.classes[c], classTotals.get(c)!));
    words[0] = capitalize(words[0]);
    const sentence = `${words.join(' ')}${t.end}${pick(rng, grammar.separators, sepTotal)}`;
    parts.push(sentence);
    n += sentence.length;
  }
  return parts.join('').slice(0, length);
}

/** Every character the grammar can produce, as a char tokenizer (independent of any sample). */
export function syntheticTokenizer(grammar: SyntheticGrammar = DEFAULT_GRAMMAR): CharTokenizer {
  validateGrammar(grammar);
  const chars = new Set<string>();
  const add = (s: string) => {
    for (const c of s) chars.add(c);
  };
  for (const t of grammar.templates) {
    t.slots.forEach((c, i) => {
      for (const [w] of grammar.classes[c]) add(i === 0 ? capitalize(w) : w);
    });
    add(t.end);
  }
  for (const [s] of grammar.separators) add(s);
  return CharTokenizer.fromText([...chars].join(''));
}

/** The exact entropy of the synthetic corpus (see {@link syntheticEntropy}). */
export interface SyntheticEntropy {
  /** Entropy of one sentence with its separator, in nats. */
  natsPerSentence: number;
  /** Expected characters per sentence with its separator. */
  charsPerSentence: number;
  /** Expected tokens per sentence with its separator, for the tokenizer asked for. */
  tokensPerSentence: number;
  /** The floor of the per-character loss: natsPerSentence / charsPerSentence. */
  natsPerChar: number;
  /** The same in bits. */
  bitsPerChar: number;
  /** The floor of the per-token loss: natsPerSentence / tokensPerSentence. */
  natsPerToken: number;
}

function entropy(weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const w of weights) h -= (w / total) * Math.log(w / total);
  return h;
}

function expectation<T>(items: readonly (readonly [T, number])[], f: (item: T) => number): number {
  const total = sum(items);
  return items.reduce((s, [item, w]) => s + (w / total) * f(item), 0);
}

/**
 * The entropy floor of text generated by {@link generateSynthetic}, exactly from the grammar.
 *
 * The text is an i.i.d. sequence of units (a sentence and its separator). The grammar is
 * unambiguous ({@link validateGrammar}), so a unit's text determines the choices that made it and
 * its entropy is the entropy of those choices:
 *
 *   H(unit) = H(template) + Σ_t p_t Σ_{slots c of t} H(class c) + H(separator),
 *   H(class) = −Σ_w p_w ln p_w with p_w = weight_w / Σ weights.
 *
 * For a renewal process of i.i.d. uniquely decodable units, the entropy rate per character is
 * H(unit) / E[chars per unit] (and per token H(unit) / E[tokens per unit], since tokenizing is
 * invertible), with E[chars per unit] = Σ_t p_t (Σ_c E[len of a word of c] + slots − 1 + len(end))
 * + E[len(separator)]. This rate is the cross-entropy floor of any predictor; a model with a finite
 * context pays slightly more at the start of a window, where it has not seen the sentence begin.
 *
 * Tokens per unit: a unit is tokenized piece by piece — separator + capitalized first word, then
 * " " + word for every other word, then the end mark — and E[tokens] is the expectation of the
 * sum. That is exact for the char tokenizer (tokens = characters) and for GPT-2 BPE, whose
 * pre-tokenizer splits these sentences at the same places (the tests check both).
 *
 * @param options.tokenizer the tokenizer for `natsPerToken` (default: characters, so
 *   natsPerToken = natsPerChar).
 */
export function syntheticEntropy(
  options: { grammar?: SyntheticGrammar; tokenizer?: Tokenizer } = {},
): SyntheticEntropy {
  const grammar = options.grammar ?? DEFAULT_GRAMMAR;
  validateGrammar(grammar);
  const tok = options.tokenizer;
  const count = (s: string) =>
    tok === undefined || tok.name === 'char' ? [...s].length : tok.encode(s).length;
  const templates = grammar.templates.map((t) => [t, t.weight] as const);
  const classItems = (c: string) => grammar.classes[c];
  const classEntropy = (c: string) => entropy(classItems(c).map(([, w]) => w));

  let nats = entropy(grammar.templates.map((t) => t.weight)) + entropy(grammar.separators.map(([, w]) => w));
  nats += expectation(templates, (t) => t.slots.reduce((s, c) => s + classEntropy(c), 0));

  const chars =
    expectation(templates, (t) =>
      t.slots.reduce(
        (s, c) => s + expectation(classItems(c), (w) => w.length),
        t.slots.length - 1 + t.end.length,
      ),
    ) + expectation(grammar.separators, (s) => s.length);

  // separator of the previous unit + first word (pieces that GPT-2's pre-tokenizer may join)
  const tokens = expectation(templates, (t) => {
    const first = expectation(grammar.separators, (sep) =>
      expectation(classItems(t.slots[0]), (w) => count(sep + capitalize(w))),
    );
    const rest = t.slots.slice(1).reduce((s, c) => s + expectation(classItems(c), (w) => count(` ${w}`)), 0);
    return first + rest + count(t.end);
  });

  return {
    natsPerSentence: nats,
    charsPerSentence: chars,
    tokensPerSentence: tokens,
    natsPerChar: nats / chars,
    bitsPerChar: nats / chars / Math.LN2,
    natsPerToken: nats / tokens,
  };
}
