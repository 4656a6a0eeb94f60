import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHECKPOINT_KEYS,
  CharTokenizer,
  type Checkpoint,
  Gpt2Tokenizer,
  loadCheckpoint,
  readSafetensors,
  saveCheckpoint,
  syntheticDataset,
  type TokenDataset,
  writeSafetensors,
} from '@fp8lm/gpt';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { AdamW } from '@fp8lm/optimizer';
import type { DType, StorageArray } from '@fp8lm/tensor-interface';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fp8lm-ckpt-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bits = (a: ArrayBufferView) => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

function tensor(dtype: DType, shape: number[], data: StorageArray) {
  return { dtype, shape, data };
}

function sampleCheckpoint(): Checkpoint {
  return {
    config: { nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 64, vocabSize: 48, level: 'O2' },
    tensors: {
      'wte.weight': tensor(
        'f16',
        [4, 2],
        Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0xfc00, 0x7e01, 0x8000, 1, 0x7bff]),
      ),
      'h.0.attn.qkv.weight': tensor('e4m3', [2, 3], Uint8Array.from([0x00, 0x7e, 0x7f, 0xff, 0x80, 0x38])),
      'h.0.attn.qkv.grad': tensor('e5m2', [3], Uint8Array.from([0x7c, 0x7d, 0x3c])),
      'ln_f.weight': tensor('f32', [3], Float32Array.from([1, -0, Number.NaN])),
      'h.0.mlp.fc.bf16': tensor('bf16', [2], Uint16Array.from([0x3f80, 0xff81])),
      'tokens.seen': tensor('i32', [2], Int32Array.from([-7, 2 ** 31 - 1])),
      'mx.scales': tensor('e8m0', [2], Uint8Array.from([127, 255])),
      'mx.fp4': tensor('e2m1', [3], Uint8Array.from([0, 7, 15])),
    },
    tokenizer: CharTokenizer.fromText('abc\n '),
    step: 1234,
    scales: {
      'h.0.attn.qkv': { scale: 448 / 3.5, scaleInv: 3.5 / 448 },
      weird: [Number.NaN, Infinity, -Infinity, -0],
    },
    amaxHistories: { 'h.0.attn.qkv': Float32Array.from([0.1, 3.5, 0]) },
    rng: { seed: 1337, counter: 99 },
    data: { trainTokens: 900, valTokens: 100 },
    extra: { note: 'resume me', nested: { ok: true } },
  };
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips tensors bit-exactly in their dtypes, and all metadata', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const ckpt = sampleCheckpoint();
    await saveCheckpoint(path, ckpt);
    const back = await loadCheckpoint(path);
    for (const [name, t] of Object.entries(ckpt.tensors)) {
      expect(back.tensors[name].dtype).toBe(t.dtype);
      expect(back.tensors[name].shape).toEqual(t.shape);
      expect(back.tensors[name].data.constructor).toBe(t.data.constructor);
      expect(bits(back.tensors[name].data)).toEqual(bits(t.data));
    }
    expect(back.config).toEqual(ckpt.config);
    expect(back.tokenizer).toEqual({ name: 'char', chars: ['\n', ' ', 'a', 'b', 'c'] });
    expect(back.step).toBe(1234);
    expect(back.rng).toEqual(ckpt.rng);
    expect(back.data).toEqual(ckpt.data);
    expect(back.extra).toEqual(ckpt.extra);
    const scales = back.scales as { 'h.0.attn.qkv': { scale: number }; weird: number[] };
    expect(scales['h.0.attn.qkv'].scale).toBe(448 / 3.5);
    expect(Object.is(scales.weird[3], -0)).toBe(true);
    expect(scales.weird.slice(0, 3)).toEqual([Number.NaN, Infinity, -Infinity]);
    // float32 values survive JSON exactly
    expect(back.amaxHistories).toEqual({ 'h.0.attn.qkv': [...Float32Array.from([0.1, 3.5, 0])] });
    expect(back.optimizerState).toBeUndefined();
  });

  it('stores native safetensors dtypes and documented metadata keys (what Python sees)', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await saveCheckpoint(path, sampleCheckpoint());
    const raw = await readSafetensors(path);
    const dtypes = Object.fromEntries(Object.entries(raw.tensors).map(([k, t]) => [k, t.dtype]));
    expect(dtypes).toEqual({
      'wte.weight': 'F16',
      'h.0.attn.qkv.weight': 'F8_E4M3',
      'h.0.attn.qkv.grad': 'F8_E5M2',
      'ln_f.weight': 'F32',
      'h.0.mlp.fc.bf16': 'BF16',
      'tokens.seen': 'I32',
      'mx.scales': 'U8',
      'mx.fp4': 'U8',
    });
    expect(raw.metadata.format).toBe('pt');
    expect(raw.metadata[CHECKPOINT_KEYS.version]).toBe('1');
    expect(JSON.parse(raw.metadata[CHECKPOINT_KEYS.config]).nEmbd).toBe(32);
    expect(JSON.parse(raw.metadata[CHECKPOINT_KEYS.dtypes])).toEqual({
      'mx.scales': 'e8m0',
      'mx.fp4': 'e2m1',
    });
    expect(JSON.parse(raw.metadata[CHECKPOINT_KEYS.step])).toBe(1234);
    expect(Object.keys(raw.metadata).sort()).toEqual(
      [
        'format',
        'fp8lm.version',
        'fp8lm.config',
        'fp8lm.tokenizer',
        'fp8lm.step',
        'fp8lm.scales',
        'fp8lm.amax_histories',
        'fp8lm.rng',
        'fp8lm.data',
        'fp8lm.extra',
        'fp8lm.dtypes',
      ].sort(),
    );
  });

  it('carries @fp8lm/optimizer state: a restored optimizer continues bit-exactly', async () => {
    const make = () => {
      const opt = new AdamW(createCpuBackend(), { preset: 'O2+fp8v', lr: 1e-2 });
      opt.addParam(
        'w',
        Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)),
        { shape: [300] },
      );
      opt.addParam('b', new Float32Array(4));
      return opt;
    };
    const grads = (step: number) => ({
      w: Float32Array.from({ length: 300 }, (_, i) => Math.cos(i * step) * 0.1),
      b: Float32Array.from([0.1, -0.2, 0.3, step]),
    });
    const opt = make();
    for (let s = 1; s <= 3; s++) {
      for (const [k, g] of Object.entries(grads(s))) await opt.writeGrad(k, g);
      await opt.step();
    }
    const path = join(dir, 'opt.safetensors');
    await saveCheckpoint(path, { config: {}, tensors: {}, optimizerState: await opt.stateDict() });
    const raw = await readSafetensors(path);
    expect(raw.tensors['optimizer.w.m'].dtype).toBe('F8_E4M3');
    expect(raw.tensors['optimizer.w.master'].dtype).toBe('F16');

    const back = await loadCheckpoint(path);
    const again = make();
    // the checkpoint holds the optimizer's own state dict (typed structurally as { metadata: object })
    again.loadStateDict(back.optimizerState as unknown as Parameters<AdamW['loadStateDict']>[0]);
    for (const o of [opt, again]) {
      for (const [k, g] of Object.entries(grads(4))) await o.writeGrad(k, g);
      await o.step();
    }
    expect(bits(await again.readParam('w'))).toEqual(bits(await opt.readParam('w')));
    expect(bits(await again.readParam('b'))).toEqual(bits(await opt.readParam('b')));
  });

  it('carries the data position: a resumed dataset draws the same batches', async () => {
    const ds = syntheticDataset({ length: 20_000, seed: 5 });
    ds.batch('train', 4, 32);
    const path = join(dir, 'data.safetensors');
    await saveCheckpoint(path, { config: {}, tensors: {}, data: ds.state(), tokenizer: ds.tokenizer });
    const expected = ds.batch('train', 4, 32);
    const back = await loadCheckpoint(path, { tokenizer: ds.tokenizer });
    const resumed = syntheticDataset({ length: 20_000, seed: 5 });
    resumed.restore(back.data as ReturnType<TokenDataset['state']>);
    expect(resumed.batch('train', 4, 32)).toEqual(expected);
  });

  it('rejects a vocabulary that does not match the checkpoint, naming the file', async () => {
    const path = join(dir, 'v.safetensors');
    await saveCheckpoint(path, { config: {}, tensors: {}, tokenizer: CharTokenizer.fromText('abc') });
    await expect(
      loadCheckpoint(path, { tokenizer: CharTokenizer.fromText('abd'), tokenizerSource: 'data input.txt' }),
    ).rejects.toThrow(
      `vocabulary mismatch: checkpoint ${path} has a char vocabulary of 3 characters, data input.txt has a char vocabulary of 3 characters (first difference at id 2: "c" (U+0063) vs "d" (U+0064))`,
    );
    await expect(loadCheckpoint(path, { tokenizer: new Gpt2Tokenizer() })).rejects.toThrow(
      /vocabulary mismatch: .* has a char vocabulary of 3 characters, the data has GPT-2 BPE \(50257 tokens\)/,
    );
    await saveCheckpoint(path, { config: {}, tensors: {} });
    await expect(loadCheckpoint(path, { tokenizer: new Gpt2Tokenizer() })).rejects.toThrow(
      `checkpoint ${path}: it records no tokenizer, so its vocabulary cannot be checked against the data`,
    );
  });

  it('rejects a truncated or corrupt checkpoint with one clear error naming the file', async () => {
    const path = join(dir, 'c.safetensors');
    await saveCheckpoint(path, sampleCheckpoint());
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 10));
    await expect(loadCheckpoint(path)).rejects.toThrow(
      new RegExp(`^${path}: tensor ".*": data_offsets .* run past the end`),
    );
    writeFileSync(path, full.subarray(0, 100));
    await expect(loadCheckpoint(path)).rejects.toThrow(`${path}: truncated: the header length is`);
    const corrupt = Buffer.from(full);
    corrupt[8] = 0x78; // the header's opening '{' becomes 'x'
    writeFileSync(path, corrupt);
    await expect(loadCheckpoint(path)).rejects.toThrow(`${path}: header is not valid JSON`);
    corrupt[8] = full[8];
    corrupt[12] = 0x7b; // "__metadata__" becomes "__{etadata__": an entry that is no tensor
    writeFileSync(path, corrupt);
    await expect(loadCheckpoint(path)).rejects.toThrow(
      `${path}: tensor "__{etadata__": unknown field "format" (expected dtype, shape, data_offsets)`,
    );
    await expect(loadCheckpoint(join(dir, 'none.safetensors'))).rejects.toThrow(/does not exist/);
  });

  it('rejects files that are safetensors but not (this version of) an fp8lm checkpoint', async () => {
    const path = join(dir, 'p.safetensors');
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    await expect(loadCheckpoint(path)).rejects.toThrow(
      `checkpoint ${path}: not an fp8lm checkpoint: __metadata__ has no "fp8lm.version" (a plain safetensors file? read it with readSafetensors)`,
    );
    const meta = { 'fp8lm.version': '1', 'fp8lm.config': '{}' };
    await writeSafetensors(path, {}, { ...meta, 'fp8lm.version': '2' });
    await expect(loadCheckpoint(path)).rejects.toThrow(
      'unsupported checkpoint version: expected 1, found "2"',
    );
    await writeSafetensors(path, {}, { ...meta, 'fp8lm.rng': '{bad' });
    await expect(loadCheckpoint(path)).rejects.toThrow(/__metadata__\["fp8lm.rng"\] is not valid JSON/);
    await writeSafetensors(path, {}, { ...meta, 'fp8lm.config': '[1]' });
    await expect(loadCheckpoint(path)).rejects.toThrow(
      '__metadata__["fp8lm.config"]: expected a JSON object, found [1]',
    );
    await writeSafetensors(path, { x: { dtype: 'F64', shape: [1], data: new Float64Array(1) } }, meta);
    await expect(loadCheckpoint(path)).rejects.toThrow(
      `checkpoint ${path}: tensor "x" has dtype F64, which fp8lm cannot hold (expected F32, F16, BF16, F8_E4M3, F8_E5M2, I32, or U8 listed in "fp8lm.dtypes")`,
    );
    await writeSafetensors(
      path,
      { x: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } },
      { ...meta, 'fp8lm.dtypes': '{"x":"e4m3"}' },
    );
    await expect(loadCheckpoint(path)).rejects.toThrow(
      /tensor "x": recorded dtype "e4m3" does not fit its stored dtype U8/,
    );
    await writeSafetensors(path, {}, { ...meta, 'fp8lm.tokenizer': '{"name":"sentencepiece"}' });
    await expect(loadCheckpoint(path)).rejects.toThrow(
      /__metadata__\["fp8lm.tokenizer"\]: tokenizer.name: expected 'char' or 'gpt2'/,
    );
    await writeSafetensors(path, {}, { ...meta, 'fp8lm.step': '-1' });
    await expect(loadCheckpoint(path)).rejects.toThrow(
      '__metadata__["fp8lm.step"]: expected a non-negative integer, found -1',
    );
  });

  it('validates what it saves, before writing anything', async () => {
    const path = join(dir, 'bad.safetensors');
    const save = (c: unknown) => saveCheckpoint(path, c as Checkpoint);
    await expect(
      save({ config: {}, tensors: { 'optimizer.x': tensor('f32', [1], new Float32Array(1)) } }),
    ).rejects.toThrow(/checkpoint.tensors\["optimizer.x"\]: names starting with "optimizer." are reserved/);
    await expect(
      save({ config: {}, tensors: { w: tensor('f16', [1], new Float32Array(1)) } }),
    ).rejects.toThrow(
      'checkpoint.tensors["w"].data: dtype f16 is stored in a Uint16Array, found Float32Array',
    );
    await expect(
      save({ config: {}, tensors: { w: tensor('f9' as DType, [1], new Float32Array(1)) } }),
    ).rejects.toThrow('checkpoint.tensors["w"].dtype: expected an fp8lm dtype, found "f9"');
    await expect(save({ config: null, tensors: {} })).rejects.toThrow(
      'checkpoint.config: expected a JSON object, found null',
    );
    await expect(save({ config: {}, tensors: {}, extra: { n: 10n } })).rejects.toThrow(
      /checkpoint.extra: expected a JSON-serializable value/,
    );
    await expect(save({ config: {}, tensors: {}, tokenizer: { name: 'x' } })).rejects.toThrow(
      /tokenizer.name/,
    );
    await expect(readSafetensors(path)).rejects.toThrow(/does not exist/);
  });
});
