import { CounterRng, randomFloat } from '../data/rng.js';
import type { GPTConfig } from './config.js';

/** What a parameter is, which decides its precision and its weight decay. */
export type ParamKind = 'embedding' | 'linear' | 'bias' | 'layernorm';

/** One parameter tensor of the model. */
export interface ParamSpec {
  /** nanoGPT's names without the `transformer.` prefix: `wte`, `h.0.attn.c_attn.weight`, `ln_f.bias`, ... */
  readonly name: string;
  /** Linear weights are `[out, in]` (PyTorch's `nn.Linear`, llm.c). */
  readonly shape: readonly number[];
  readonly kind: ParamKind;
  /** nanoGPT's rule: every tensor of two or more dimensions decays (linear weights, wte, wpe); biases and LayerNorm don't. */
  readonly decay: boolean;
  /** Standard deviation of the initial values; 0 for zeros, and LayerNorm gains start at 1. */
  readonly initStd: number;
}

/** The four linear layers of a block, in forward order. */
export const BLOCK_LINEARS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
/** One of {@link BLOCK_LINEARS}. */
export type BlockLinear = (typeof BLOCK_LINEARS)[number];

/** `[out, in]` of a block's linear layer. */
export function linearShape(config: GPTConfig, which: BlockLinear): [number, number] {
  const C = config.nEmbd;
  switch (which) {
    case 'attn.c_attn':
      return [3 * C, C];
    case 'attn.c_proj':
      return [C, C];
    case 'mlp.c_fc':
      return [4 * C, C];
    case 'mlp.c_proj':
      return [C, 4 * C];
  }
}

/**
 * Every parameter in a fixed order (embeddings, then each block, then the final LayerNorm), with
 * GPT-2's initialization: N(0, 0.02) for weights and embeddings, N(0, 0.02/sqrt(2·nLayer)) for the two
 * projections that write into the residual stream (`attn.c_proj`, `mlp.c_proj`), zero biases,
 * LayerNorm gains 1 and shifts 0 (nanoGPT's `_init_weights`).
 */
export function paramSpecs(config: GPTConfig): ParamSpec[] {
  const { vocabSize: V, blockSize: T, nLayer: L, nEmbd: C } = config;
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * L);
  const specs: ParamSpec[] = [
    { name: 'wte', shape: [V, C], kind: 'embedding', decay: true, initStd: std },
    { name: 'wpe', shape: [T, C], kind: 'embedding', decay: true, initStd: std },
  ];
  const layernorm = (prefix: string) => {
    specs.push({ name: `${prefix}.weight`, shape: [C], kind: 'layernorm', decay: false, initStd: 0 });
    specs.push({ name: `${prefix}.bias`, shape: [C], kind: 'layernorm', decay: false, initStd: 0 });
  };
  const linear = (prefix: string, which: BlockLinear) => {
    const [out, inp] = linearShape(config, which);
    const s = which.endsWith('c_proj') ? residualStd : std;
    specs.push({
      name: `${prefix}.${which}.weight`,
      shape: [out, inp],
      kind: 'linear',
      decay: true,
      initStd: s,
    });
    specs.push({ name: `${prefix}.${which}.bias`, shape: [out], kind: 'bias', decay: false, initStd: 0 });
  };
  for (let l = 0; l < L; l++) {
    const h = `h.${l}`;
    layernorm(`${h}.ln_1`);
    linear(h, 'attn.c_attn');
    linear(h, 'attn.c_proj');
    layernorm(`${h}.ln_2`);
    linear(h, 'mlp.c_fc');
    linear(h, 'mlp.c_proj');
  }
  layernorm('ln_f');
  return specs;
}

/** Elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Initial values of every parameter (see {@link paramSpecs}), deterministic in `seed`: each tensor
 * draws from its own counter-based stream (seed, tensor index), Box–Muller over 53-bit uniforms.
 */
export function initParams(config: GPTConfig, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  paramSpecs(config).forEach((spec, index) => {
    const values = new Float32Array(sizeOf(spec.shape));
    if (spec.kind === 'layernorm') {
      if (spec.name.endsWith('.weight')) values.fill(1);
    } else if (spec.initStd > 0) {
      const rng = new CounterRng((Math.imul(seed >>> 0, 0x9e3779b1) + index * 0x85ebca6b) >>> 0);
      for (let i = 0; i < values.length; i += 2) {
        const u1 = 1 - randomFloat(rng); // (0, 1]
        const u2 = randomFloat(rng);
        const r = Math.sqrt(-2 * Math.log(u1)) * spec.initStd;
        values[i] = r * Math.cos(2 * Math.PI * u2);
        if (i + 1 < values.length) values[i + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    }
    out.set(spec.name, values);
  });
  return out;
}
