import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CharTokenizer,
  CounterRng,
  generateSynthetic,
  loadTextFile,
  randomInt,
  splitTokens,
  syntheticDataset,
  syntheticEntropy,
  TokenDataset,
} from '@fp8lm/gpt';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'fp8lm-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iota = (n: number) => Uint16Array.from({ length: n }, (_, i) => i);

describe('CounterRng', () => {
  it('is deterministic per seed and resumes exactly from its state', () => {
    const a = new CounterRng(7);
    const first = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => new CounterRng(7).nextU32())[0]).toBe(first[0]);
    const saved = a.state();
    expect(saved).toEqual({ seed: 7, counter: 5 });
    const next = Array.from({ length: 5 }, () => a.nextU32());
    const b = CounterRng.fromState(JSON.parse(JSON.stringify(saved)));
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(next);
    expect(new CounterRng(8).nextU32()).not.toBe(first[0]);
    expect(() => new CounterRng(-1)).toThrow('seed: expected an integer in [0, 2^32), found -1');
    expect(() => a.restore({ seed: 1, counter: 1.5 })).toThrow(
      /state.counter: expected a non-negative safe integer/,
    );
  });

  it('draws uniform integers (chi-square over 10 bins) and floats in [0, 1)', () => {
    const rng = new CounterRng(123);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) bins[randomInt(rng, 10)]++;
    const chi2 = bins.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(30); // 9 dof: p ≈ 0.0005
    for (let i = 0; i < 1000; i++) {
      const u = rng.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
    }
    // words beyond 2^32 draws still work (the counter is 53-bit)
    const far = CounterRng.fromState({ seed: 1, counter: 2 ** 32 + 5 });
    expect(far.nextU32()).not.toBe(CounterRng.fromState({ seed: 1, counter: 5 }).nextU32());
  });
});

describe('TokenDataset', () => {
  it('splits nanoGPT-style: the first ⌊0.9·n⌋ tokens train, the rest val', () => {
    const ds = TokenDataset.fromTokens(iota(1001));
    expect(ds.size('train')).toBe(900);
    expect(ds.size('val')).toBe(101);
    expect(ds.train[899]).toBe(899);
    expect(ds.val[0]).toBe(900);
    expect(splitTokens(iota(10)).train.length).toBe(9);
  });

  it('draws random windows like get_batch: targets are inputs shifted by one', () => {
    const ds = TokenDataset.fromTokens(iota(1000));
    const { inputs, targets } = ds.batch('train', 4, 8);
    expect(inputs).toBeInstanceOf(Int32Array);
    expect(inputs.length).toBe(32);
    for (let b = 0; b < 4; b++) {
      const start = inputs[b * 8];
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThan(900 - 8);
      for (let t = 0; t < 8; t++) {
        expect(inputs[b * 8 + t]).toBe(start + t);
        expect(targets[b * 8 + t]).toBe(start + t + 1);
      }
    }
    const val = ds.batch('val', 2, 8);
    expect(val.inputs[0]).toBeGreaterThanOrEqual(900);
  });

  it('covers every start position, including the last one (n − T − 1)', () => {
    const ds = new TokenDataset({ train: iota(12), val: iota(12) });
    const starts = new Set<number>();
    for (let i = 0; i < 200; i++) starts.add(ds.batch('train', 1, 8).inputs[0]);
    expect([...starts].sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });

  it('is deterministic per seed, and state()/restore() resume the same batches', () => {
    const make = () => TokenDataset.fromTokens(iota(5000), { seed: 99 });
    const a = make();
    const b = make();
    expect(a.batch('train', 3, 16)).toEqual(b.batch('train', 3, 16));
    a.batch('val', 2, 16);
    a.nextBatch('train', 2, 16);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const expected = [a.batch('train', 3, 16), a.batch('val', 2, 16), a.nextBatch('train', 2, 16)];
    const resumed = make();
    resumed.restore(saved);
    expect([
      resumed.batch('train', 3, 16),
      resumed.batch('val', 2, 16),
      resumed.nextBatch('train', 2, 16),
    ]).toEqual(expected);
    expect(TokenDataset.fromTokens(iota(5000), { seed: 100 }).batch('train', 3, 16)).not.toEqual(
      make().batch('train', 3, 16),
    );
  });

  it('reads sequentially like llm.c, wrapping when fewer than B·T + 1 tokens remain', () => {
    const ds = new TokenDataset({ train: iota(50), val: iota(20) });
    expect(ds.nextBatch('train', 2, 10).inputs[0]).toBe(0);
    expect(ds.nextBatch('train', 2, 10).inputs[0]).toBe(20);
    const third = ds.nextBatch('train', 2, 10); // 40 + 21 > 50: wraps
    expect(third.inputs[0]).toBe(0);
    expect(third.targets[19]).toBe(20);
    ds.resetPosition('train');
    expect(ds.state().train.position).toBe(0);
  });

  it('accepts an external random source', () => {
    const ds = TokenDataset.fromTokens(iota(1000));
    const r1 = ds.batch('train', 2, 4, new CounterRng(5));
    const r2 = ds.batch('train', 2, 4, new CounterRng(5));
    expect(r1).toEqual(r2);
    expect(ds.state().train.rng.counter).toBe(0); // its own stream untouched
  });

  it('rejects data smaller than one block, naming the source and sizes', () => {
    const ds = new TokenDataset({ train: iota(100), val: iota(8) }, { source: 'tiny.txt' });
    expect(() => ds.batch('val', 1, 8)).toThrow(
      'tiny.txt: the val split has 8 tokens, fewer than one block needs (block size 8 + 1 = 9 tokens)',
    );
    expect(() => ds.assertBlockSize(8)).toThrow(/the val split has 8 tokens/);
    expect(() => ds.assertBlockSize(7)).not.toThrow();
    expect(() => ds.batch('train', 0, 8)).toThrow('B: expected a positive integer, found 0');
    expect(() => ds.batch('train', 1, 0)).toThrow('T: expected a positive integer, found 0');
    expect(() => ds.batch('test' as 'val', 1, 4)).toThrow(`split: expected 'train' or 'val', found "test"`);
    expect(() => ds.nextBatch('train', 20, 8)).toThrow(
      /fewer than one sequential batch needs \(B·T \+ 1 = 161\)/,
    );
  });

  it('refuses a saved state that belongs to other data', () => {
    const a = TokenDataset.fromTokens(iota(1000), { source: 'a.bin' });
    const state = TokenDataset.fromTokens(iota(2000)).state();
    expect(() => a.restore(state)).toThrow(
      'a.bin: the saved data position belongs to a train split of 1800 tokens, this one has 900 (different data?)',
    );
    expect(() => a.restore({ ...a.state(), train: { rng: { seed: 1, counter: 0 }, position: 901 } })).toThrow(
      'state.train.position: expected an integer in [0, 900], found 901',
    );
  });

  it('checks token ids against a vocabulary size', () => {
    const ds = TokenDataset.fromTokens(Uint16Array.from([1, 2, 70, 3, 4, 5, 6, 7, 8, 9]), {
      source: 'x.bin',
    });
    expect(ds.maxTokenId()).toBe(70);
    expect(() => ds.assertVocabulary(65)).toThrow(
      "x.bin: token id 70 does not fit the model's vocabulary of 65 tokens (expected ids in [0, 65))",
    );
    expect(() => ds.assertVocabulary(71)).not.toThrow();
  });
});

describe('loadTextFile', () => {
  it('tokenizes a text file char-level (default) or with GPT-2, split 90/10', async () => {
    const path = join(dir, 'text.txt');
    const text = generateSynthetic(3000, { seed: 4 });
    writeFileSync(path, text);
    const ds = await loadTextFile(path);
    expect(ds.tokenizer).toBeInstanceOf(CharTokenizer);
    expect(ds.size('train') + ds.size('val')).toBe(3000);
    expect(ds.size('train')).toBe(2700);
    expect(ds.tokenizer!.decode(ds.train)).toBe(text.slice(0, 2700));
    expect(ds.source).toBe(path);
    const bpe = await loadTextFile(path, 'gpt2');
    expect(bpe.tokenizer!.decode([...bpe.train, ...bpe.val])).toBe(text);
    const fixed = CharTokenizer.fromText(`${text}XYZ`);
    expect((await loadTextFile(path, fixed)).tokenizer).toBe(fixed);
  });

  it('names a missing, empty, binary or out-of-vocabulary file', async () => {
    await expect(loadTextFile(join(dir, 'nope.txt'))).rejects.toThrow(
      `data file ${join(dir, 'nope.txt')} does not exist`,
    );
    writeFileSync(join(dir, 'empty.txt'), '');
    await expect(loadTextFile(join(dir, 'empty.txt'))).rejects.toThrow(
      `data file ${join(dir, 'empty.txt')} is empty (0 bytes)`,
    );
    writeFileSync(join(dir, 'bin.txt'), Uint8Array.from([0xff, 0xfe, 0x00, 0x80]));
    await expect(loadTextFile(join(dir, 'bin.txt'))).rejects.toThrow(/is not UTF-8 text/);
    writeFileSync(join(dir, 'q.txt'), 'abcq');
    await expect(loadTextFile(join(dir, 'q.txt'), CharTokenizer.fromText('abc'))).rejects.toThrow(
      /q\.txt: text: character "q" \(U\+0071\) at offset 3 is not in the vocabulary of 3 characters/,
    );
    await expect(loadTextFile(dir)).rejects.toThrow(/is a directory, expected a file/);
  });

  it('a file smaller than one block loads, then fails at batch time naming it', async () => {
    const path = join(dir, 'small.txt');
    writeFileSync(path, 'hello world, tiny');
    const ds = await loadTextFile(path);
    expect(() => ds.batch('train', 1, 64)).toThrow(
      `${path}: the train split has 15 tokens, fewer than one block needs (block size 64 + 1 = 65 tokens)`,
    );
  });
});

describe('syntheticDataset', () => {
  it('is the zero-setup default: deterministic, with the grammar vocabulary and its loss floor', () => {
    const a = syntheticDataset({ length: 20_000 });
    const b = syntheticDataset({ length: 20_000 });
    expect(a.train).toEqual(b.train);
    expect(a.size('train')).toBe(18_000);
    expect(a.tokenizer!.decode(a.train.subarray(0, 24))).toBe('The farmer sees the cat.');
    expect(a.entropyFloor).toBe(syntheticEntropy().natsPerChar);
    expect(syntheticDataset({ length: 20_000, textSeed: 2 }).train).not.toEqual(a.train);
    const bpe = syntheticDataset({ length: 20_000, tokenizer: 'gpt2' });
    expect(bpe.tokenizer!.name).toBe('gpt2');
    expect(bpe.entropyFloor).toBeGreaterThan(1);
  });
});
