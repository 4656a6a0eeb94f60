import {
  CounterRng,
  GPT,
  type GPTConfig,
  generate,
  initParams,
  MODEL_PRESETS,
  type ParamSource,
  parameterCount,
  paramSpecs,
  resolveConfig,
  sampleToken,
} from '@fp8lm/gpt';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

/** Parameters held as f32 device tensors the test can change. */
class HostParams implements ParamSource {
  readonly values: Map<string, Float32Array>;
  readonly #b: Backend;
  readonly #tensors = new Map<string, DeviceTensor<'f32'>>();

  constructor(backend: Backend, values: Map<string, Float32Array>) {
    this.#b = backend;
    this.values = values;
    for (const [name, v] of values) this.#tensors.set(name, backend.upload('f32', [v.length], v));
  }

  master(name: string) {
    return { tensor: this.#tensors.get(name)!, scaleInv: 1 };
  }

  set(name: string, index: number, value: number): void {
    const v = this.values.get(name)!;
    v[index] = value;
    this.#b.dispose(this.#tensors.get(name)!);
    this.#tensors.set(name, this.#b.upload('f32', [v.length], v));
  }
}

const small: GPTConfig = { vocabSize: 11, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8 };

function tokens(n: number, V: number, seed: number): Int32Array {
  const rng = new CounterRng(seed);
  return Int32Array.from({ length: n }, () => rng.nextInt(V));
}

describe('model config and parameters', () => {
  it('resolves presets with the tokenizer vocabulary and overrides, and rejects bad sizes', () => {
    expect(resolveConfig('tiny', 33)).toEqual({ vocabSize: 33, ...MODEL_PRESETS.tiny });
    expect(resolveConfig('shakespeare', 65)).toEqual({
      vocabSize: 65,
      nLayer: 4,
      nHead: 4,
      nEmbd: 128,
      blockSize: 64,
    });
    expect(resolveConfig('gpt2-124m', 50257)).toMatchObject({
      nLayer: 12,
      nHead: 12,
      nEmbd: 768,
      blockSize: 1024,
    });
    expect(resolveConfig('tiny', 33, { nLayer: 3, nEmbd: undefined })).toMatchObject({
      nLayer: 3,
      nEmbd: 64,
    });
    expect(() => resolveConfig('tiny', 33, { nHead: 3 })).toThrow(
      /nEmbd: expected a multiple of nHead \(3\)/,
    );
    expect(() => resolveConfig('huge' as 'tiny', 33)).toThrow(
      /preset: expected one of tiny, shakespeare, gpt2-124m/,
    );
    expect(() => resolveConfig('tiny', 0)).toThrow(/vocabSize: expected a positive integer/);
  });

  it('counts GPT-2 small at 124M parameters (tied LM head)', () => {
    const c = resolveConfig('gpt2-124m', 50257);
    expect(parameterCount(c)).toBe(124_439_808);
    const specs = paramSpecs(small);
    expect(specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)).toBe(parameterCount(small));
    expect(specs.find((s) => s.name === 'h.1.attn.c_attn.weight')?.shape).toEqual([24, 8]); // [out, in]
    expect(specs.find((s) => s.name === 'h.0.mlp.c_proj.weight')?.shape).toEqual([8, 32]);
    expect(specs.filter((s) => s.decay).map((s) => s.kind)).not.toContain('bias');
    expect(specs.filter((s) => !s.decay).every((s) => s.kind === 'bias' || s.kind === 'layernorm')).toBe(
      true,
    );
  });

  it('initializes like GPT-2: N(0, 0.02), residual projections / sqrt(2·nLayer), zero biases, unit LayerNorm gains', () => {
    const c = resolveConfig('shakespeare', 65);
    const p = initParams(c, 1);
    const std = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(std(p.get('h.0.mlp.c_fc.weight')!)).toBeCloseTo(0.02, 3);
    expect(std(p.get('wte')!)).toBeCloseTo(0.02, 3);
    expect(std(p.get('h.0.mlp.c_proj.weight')!)).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    expect(std(p.get('h.3.attn.c_proj.weight')!)).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    expect(p.get('h.0.attn.c_attn.bias')!.every((x) => x === 0)).toBe(true);
    expect(p.get('ln_f.weight')!.every((x) => x === 1)).toBe(true);
    expect(p.get('ln_f.bias')!.every((x) => x === 0)).toBe(true);
    expect(initParams(c, 1).get('wpe')).toEqual(p.get('wpe'));
    expect(initParams(c, 2).get('wpe')).not.toEqual(p.get('wpe'));
  });
});

describe('GPT forward and backward', () => {
  it('starts near ln(V) and matches finite differences of the whole fp32 model', async () => {
    const backend = createCpuBackend();
    const values = initParams(small, 7);
    // Larger weights than GPT-2's init, so every path (attention, GELU, LayerNorm) carries gradient.
    const rng = new CounterRng(3);
    for (const [name, v] of values) {
      if (name.endsWith('ln_1.weight') || name.endsWith('ln_2.weight') || name === 'ln_f.weight') continue;
      for (let i = 0; i < v.length; i++) v[i] = (rng.nextFloat() - 0.5) * 0.8;
    }
    const params = new HostParams(backend, values);
    const model = new GPT(backend, small, { recipe: { precision: 'fp32' }, params });
    const B = 2;
    const T = 6;
    const inputs = tokens(B * T, small.vocabSize, 11);
    const targets = tokens(B * T, small.vocabSize, 12);
    const loss = await model.forward(inputs, targets, B, T);
    expect(Number.isFinite(loss)).toBe(true);
    model.backward(1 / (B * T));
    const analytic = new Map<string, Float32Array>();
    for (const spec of model.specs) {
      const g =
        spec.kind === 'linear'
          ? await backend.read((await model.linearGrad(spec.name)).tensor as DeviceTensor<'f32'>)
          : await backend.read(model.paramGrad(spec.name));
      analytic.set(spec.name, Float32Array.from(g));
    }
    const h = 1e-3;
    let checked = 0;
    for (const spec of model.specs) {
      const g = analytic.get(spec.name)!;
      // The two largest gradients of each tensor and one more chosen at random.
      const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
      for (const i of [order[0], order[1], order[2 + rng.nextInt(Math.max(1, order.length - 2))]]) {
        if (i === undefined) continue;
        const v0 = params.values.get(spec.name)![i];
        params.set(spec.name, i, v0 + h);
        const up = await model.forward(inputs, targets, B, T);
        params.set(spec.name, i, v0 - h);
        const down = await model.forward(inputs, targets, B, T);
        params.set(spec.name, i, v0);
        const fd = (up - down) / (2 * h);
        expect(
          Math.abs(fd - g[i]),
          `${spec.name}[${i}]: analytic ${g[i]}, finite difference ${fd}`,
        ).toBeLessThan(4e-4 + 0.03 * Math.abs(g[i]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3 * 20);
    model.dispose();
  });

  it('keeps the loss of a fresh GPT-2 init near ln(V) and rejects bad batches', async () => {
    const backend = createCpuBackend();
    const config = resolveConfig('tiny', 33, { nEmbd: 32 });
    const params = new HostParams(backend, initParams(config, 1));
    const model = new GPT(backend, config, { recipe: { precision: 'fp32' }, params });
    const ids = tokens(4 * 32, 33, 1);
    const loss = await model.forward(ids, tokens(4 * 32, 33, 2), 4, 32);
    expect(Math.abs(loss - Math.log(33))).toBeLessThan(0.1);
    await expect(model.forward(ids, undefined, 4, 33)).rejects.toThrow(
      /T: expected an integer in \[1, blockSize = 32\]/,
    );
    await expect(model.forward(Int32Array.of(40), undefined, 1, 1)).rejects.toThrow(
      /outside the vocabulary \[0, 33\)/,
    );
    expect(
      () => new GPT(backend, { ...config, nHead: 5 }, { recipe: { precision: 'fp32' }, params }),
    ).toThrow(/nEmbd: expected a multiple of nHead/);
    model.dispose();
  });
});

describe('activation memory', () => {
  it('FP8 linears keep E4M3 copies of their inputs, so the f32 inputs are one buffer shared by every block', async () => {
    const backend = createCpuBackend();
    const config = resolveConfig('tiny', 33, { nEmbd: 32, nLayer: 3 });
    const [B, T, C, L] = [4, 32, 32, 3];
    const bytes = async (precision: 'fp32' | 'fp8') => {
      const params = new HostParams(backend, initParams(config, 1));
      const model = new GPT(backend, config, { recipe: { precision }, params });
      const loss = await model.forward(tokens(B * T, 33, 1), tokens(B * T, 33, 2), B, T);
      model.backward(1 / (B * T));
      const result = { ...model.activationBytes(), loss };
      model.dispose();
      return result;
    };
    const fp32 = await bytes('fp32');
    const fp8 = await bytes('fp8');
    expect(fp32.linearInputCopies).toBe(0);
    // Linear inputs per block: ln1, atty, ln2 (C wide) and fchGelu (4C): 7·B·T·C values.
    const inputs = 7 * B * T * C;
    expect(fp8.linearInputCopies).toBe(L * inputs); // one byte each
    expect(fp32.tensors - fp8.tensors).toBe((L - 1) * inputs * 4);
    expect(fp32.total - fp8.total).toBe((L - 1) * inputs * 4 - L * inputs);
    expect(Math.abs(fp8.loss - fp32.loss)).toBeLessThan(0.05); // the same model, read in FP8
  });
});

describe('sampling', () => {
  it('is deterministic in the seed; temperature 0 and top-k 1 are greedy', async () => {
    const backend = createCpuBackend();
    const config = resolveConfig('tiny', 33, { nEmbd: 32, nLayer: 1 });
    const params = new HostParams(backend, initParams(config, 5));
    const model = new GPT(backend, config, { recipe: { precision: 'fp8' }, params });
    const prompt = Int32Array.of(3, 4, 5);
    const a = await generate(model, prompt, { tokens: 40, seed: 9 });
    const b = await generate(model, prompt, { tokens: 40, seed: 9 });
    const c = await generate(model, prompt, { tokens: 40, seed: 10 });
    expect(a).toHaveLength(40);
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
    const greedy = await generate(model, prompt, { tokens: 10, temperature: 0 });
    expect([...(await generate(model, prompt, { tokens: 10, topK: 1, seed: 4 }))]).toEqual([...greedy]);
    await expect(generate(model, prompt, { tokens: 1, temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(generate(model, [], { tokens: 1 })).rejects.toThrow(/prompt: expected at least one token/);
    model.dispose();
  });

  it('samples top-k only among the k largest logits, in proportion to softmax(logits / T)', () => {
    const logits = Float32Array.of(0, 2, 1, 3, -1);
    const rng = new CounterRng(1);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[sampleToken(logits, rng, 1, 2)]++;
    expect(counts[0] + counts[2] + counts[4]).toBe(0);
    expect(counts[3] / counts[1]).toBeCloseTo(Math.E, 0);
    expect(sampleToken(logits, rng, 0)).toBe(3);
  });
});
