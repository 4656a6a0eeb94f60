import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic, loadBinShards, loadTextFile, prepareShakespeare, readBinShard } from '@fp8lm/gpt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fp8lm-prepare-'));
  // Tests never touch the network: a download attempt fails loudly.
  vi.stubGlobal('fetch', () =>
    Promise.reject(new TypeError('fetch failed', { cause: new Error('ENOTFOUND') })),
  );
});
afterEach(async () => {
  vi.unstubAllGlobals();
  await rm(dir, { recursive: true, force: true });
});

/** A small Shakespeare-like text with a character outside ASCII. */
function sampleText(): string {
  return `First Citizen:\nBefore we proceed any further, hear me speak—\n\n${generateSynthetic(4000, { seed: 11 })}`;
}

describe('prepareShakespeare', () => {
  it('with `from`: writes input.txt, llm.c train/val shards and meta.json like nanoGPT prepare.py', async () => {
    const src = join(dir, 'source.txt');
    const text = sampleText();
    writeFileSync(src, text);
    const out = join(dir, 'out', 'shakespeare_char');
    const r = await prepareShakespeare({ out, from: src });
    expect(readdirSync(out).sort()).toEqual(['input.txt', 'meta.json', 'train.bin', 'val.bin']);
    expect(readFileSync(join(out, 'input.txt'), 'utf8')).toBe(text);
    const n = [...text].length;
    expect(r.characters).toBe(n);
    expect(r.trainTokens).toBe(Math.floor(n * 0.9));
    expect(r.valTokens).toBe(n - Math.floor(n * 0.9));
    expect(r.source).toBe(src);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    expect(meta.vocab_size).toBe(chars.length);
    expect(meta.itos['0']).toBe('\n');
    expect(meta.stoi['—']).toBe(chars.indexOf('—'));
    expect(meta.tokenizer).toEqual({ name: 'char', chars });
    const train = await readBinShard(r.files.train);
    expect(r.tokenizer.decode(train)).toBe([...text].slice(0, r.trainTokens).join(''));

    // the prepared folder loads back with its vocabulary, and matches loading the text directly
    const ds = await loadBinShards(out);
    expect(ds.tokenizer!.toJSON()).toEqual(meta.tokenizer);
    const direct = await loadTextFile(src);
    expect(ds.train).toEqual(direct.train);
    expect(ds.val).toEqual(direct.val);
  });

  it('reuses an existing out/input.txt instead of downloading, and supports GPT-2 BPE', async () => {
    const out = join(dir, 'shakespeare');
    writeFileSync(join(dir, 's.txt'), sampleText());
    await prepareShakespeare({ out, from: join(dir, 's.txt') });
    const r = await prepareShakespeare({ out, tokenizer: 'gpt2' });
    expect(r.source).toBe(join(out, 'input.txt'));
    expect(r.tokenizer.name).toBe('gpt2');
    const ds = await loadBinShards(out);
    expect(ds.tokenizer!.name).toBe('gpt2');
    expect(ds.tokenizer!.decode(ds.train).startsWith('First Citizen:\nBefore we proceed')).toBe(true);
  });

  it('downloads with fetch when there is no local copy, and explains an offline failure', async () => {
    await expect(prepareShakespeare({ out: join(dir, 'x') })).rejects.toThrow(
      'could not download tinyshakespeare from https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt: ENOTFOUND (offline? pass --from FILE with a local copy)',
    );
    const calls: string[] = [];
    const r = await prepareShakespeare({
      out: join(dir, 'y'),
      fetch: async (url) => {
        calls.push(url);
        return {
          ok: true,
          status: 200,
          statusText: 'OK',
          text: async () => 'To be, or not to be: that is the question.',
        };
      },
    });
    expect(calls).toEqual([
      'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
    ]);
    expect(readFileSync(r.files.input, 'utf8')).toBe('To be, or not to be: that is the question.');
    await expect(
      prepareShakespeare({
        out: join(dir, 'z'),
        fetch: async () => ({ ok: false, status: 404, statusText: 'Not Found', text: async () => '' }),
      }),
    ).rejects.toThrow(/expected HTTP 200, found 404 Not Found/);
  });

  it('names a missing or empty source file', async () => {
    await expect(prepareShakespeare({ out: join(dir, 'o'), from: join(dir, 'none.txt') })).rejects.toThrow(
      `data file ${join(dir, 'none.txt')} does not exist`,
    );
    writeFileSync(join(dir, 'empty.txt'), '');
    await expect(prepareShakespeare({ out: join(dir, 'o'), from: join(dir, 'empty.txt') })).rejects.toThrow(
      /is empty \(0 bytes\)/,
    );
    await expect(prepareShakespeare({} as { out: string })).rejects.toThrow(
      /options.out: expected an output folder path/,
    );
  });
});
