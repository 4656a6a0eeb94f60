import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN_MAGIC,
  CharTokenizer,
  decodeBinShard,
  encodeBinShard,
  Gpt2Tokenizer,
  loadBinShards,
  readBinShard,
  writeBinShard,
} from '@fp8lm/gpt';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'fp8lm-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function header(magic: number, version: number, count: number): Uint8Array {
  const h = new Int32Array(256);
  h[0] = magic;
  h[1] = version;
  h[2] = count;
  return new Uint8Array(h.buffer);
}

describe('llm.c .bin token shards', () => {
  it('writes the llm.c layout byte for byte: 256 int32 header, then uint16 tokens', async () => {
    const path = join(dir, 'a.bin');
    await writeBinShard(path, [1, 65535, 258]);
    const bytes = new Uint8Array(readFileSync(path));
    const expected = new Uint8Array(1024 + 6);
    expected.set(header(20240520, 1, 3));
    expected.set([1, 0, 0xff, 0xff, 2, 1], 1024);
    expect(bytes).toEqual(expected);
    expect([...(await readBinShard(path))]).toEqual([1, 65535, 258]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('round-trips tokens in memory, including an empty shard', () => {
    const tokens = Uint16Array.from({ length: 1000 }, (_, i) => (i * 7919) % 65536);
    expect(decodeBinShard(encodeBinShard(tokens))).toEqual(tokens);
    expect(decodeBinShard(encodeBinShard([])).length).toBe(0);
    expect(() => encodeBinShard([1, 65536])).toThrow(
      'tokens[1]: expected a uint16 token id in [0, 65535], found 65536',
    );
    expect(() => encodeBinShard([-1])).toThrow(RangeError);
  });

  it('rejects a bad magic, a bad version, a truncated header or body, and trailing bytes', async () => {
    const ok = encodeBinShard([1, 2, 3, 4]);
    const withHeader = (h: Uint8Array) => {
      const b = ok.slice();
      b.set(h);
      return b;
    };
    expect(() => decodeBinShard(withHeader(header(1234, 1, 4)), 'x.bin')).toThrow(
      'x.bin: not an llm.c token shard: expected magic 20240520, found 1234',
    );
    expect(() => decodeBinShard(withHeader(header(20240801, 7, 4)), 'x.bin')).toThrow(
      /a llama-3 uint32 shard/,
    );
    expect(() => decodeBinShard(withHeader(header(BIN_MAGIC, 2, 4)), 'x.bin')).toThrow(
      'x.bin: unsupported llm.c shard version: expected 1 (uint16 tokens), found 2',
    );
    expect(() => decodeBinShard(ok.subarray(0, 1000), 'x.bin')).toThrow(
      'x.bin: truncated llm.c shard: expected a 1024-byte header, found a file of 1000 bytes',
    );
    expect(() => decodeBinShard(ok.subarray(0, 1030), 'x.bin')).toThrow(
      'x.bin: truncated llm.c shard: header says 4 tokens, so expected 1032 bytes, found 1030',
    );
    const long = new Uint8Array(1034);
    long.set(ok);
    expect(() => decodeBinShard(long, 'x.bin')).toThrow(
      'x.bin: corrupt llm.c shard: header says 4 tokens, so expected 1032 bytes, found 1034',
    );
    expect(() => decodeBinShard(withHeader(header(BIN_MAGIC, 1, -5)), 'x.bin')).toThrow(
      /token count -5 is negative/,
    );
    const path = join(dir, 'trunc.bin');
    writeFileSync(path, ok.subarray(0, 1027));
    await expect(readBinShard(path)).rejects.toThrow(`${path}: truncated llm.c shard`);
    await expect(readBinShard(join(dir, 'missing.bin'))).rejects.toThrow(/does not exist/);
  });

  it('loads a single shard split 90/10, or a folder of train/val shards', async () => {
    const one = join(dir, 'one');
    mkdirSync(one);
    await writeBinShard(
      join(one, 'all.bin'),
      Uint16Array.from({ length: 100 }, (_, i) => i),
    );
    const a = await loadBinShards(join(one, 'all.bin'));
    expect([a.size('train'), a.size('val')]).toEqual([90, 10]);
    expect(a.tokenizer).toBeInstanceOf(Gpt2Tokenizer); // llm.c shards hold GPT-2 tokens
    const b = await loadBinShards(one);
    expect(b.train).toEqual(a.train);

    const two = join(dir, 'two');
    mkdirSync(two);
    await writeBinShard(join(two, 'tiny_train_000001.bin'), [5, 6, 7]);
    await writeBinShard(join(two, 'tiny_train_000002.bin'), [8, 9]);
    await writeBinShard(join(two, 'tiny_val_000000.bin'), [1, 2]);
    writeFileSync(
      join(two, 'meta.json'),
      JSON.stringify({ tokenizer: { name: 'char', chars: [...'abcdefghij'] } }),
    );
    const c = await loadBinShards(two);
    expect([...c.train]).toEqual([5, 6, 7, 8, 9]);
    expect([...c.val]).toEqual([1, 2]);
    expect(c.tokenizer).toBeInstanceOf(CharTokenizer);
  });

  it('names an empty folder, a missing path, or tokens beyond the vocabulary', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(loadBinShards(empty)).rejects.toThrow(`data folder ${empty} holds no .bin token shards`);
    await expect(loadBinShards(join(dir, 'nothing'))).rejects.toThrow(
      `data path ${join(dir, 'nothing')} does not exist`,
    );
    const v = join(dir, 'vocab');
    mkdirSync(v);
    await writeBinShard(join(v, 'train.bin'), [0, 1, 2, 3, 40]);
    await writeBinShard(join(v, 'val.bin'), [0, 1]);
    await expect(loadBinShards(v, { tokenizer: CharTokenizer.fromText('abc') })).rejects.toThrow(
      `${v}: token id 40 does not fit the model's vocabulary of 3 tokens (expected ids in [0, 3))`,
    );
    const onlyVal = join(dir, 'onlyval');
    mkdirSync(onlyVal);
    await writeBinShard(join(onlyVal, 'val.bin'), [1]);
    await expect(loadBinShards(onlyVal)).rejects.toThrow(
      /holds only val shards \(val\.bin\), no train shard/,
    );
    expect(existsSync(join(v, 'train.bin'))).toBe(true);
  });
});
