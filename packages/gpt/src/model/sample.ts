import { CounterRng, randomFloat } from '../data/rng.js';
import type { GPT } from './gpt.js';

/** Options of {@link generate}. */
export interface SampleOptions {
  /** New tokens to generate. */
  tokens: number;
  /** Divides the logits (default 1); 0 picks the most likely token every time (greedy). */
  temperature?: number;
  /** Sample among the k most likely tokens only (default: all). */
  topK?: number;
  /** Seed of the sampling stream (default 1337): the same seed gives the same text. */
  seed?: number;
}

/**
 * Picks the next token from one row of logits: temperature, optional top-k, then a draw from the
 * softmax (nanoGPT's `generate`). Ties in top-k keep the lower id; temperature 0 is argmax.
 */
export function sampleToken(
  logits: Float32Array,
  rng: CounterRng,
  temperature: number,
  topK?: number,
): number {
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    return best;
  }
  let ids = Array.from({ length: V }, (_, v) => v);
  if (topK !== undefined && topK < V) {
    ids.sort((p, q) => logits[q] - logits[p] || p - q);
    ids = ids.slice(0, topK).sort((p, q) => p - q);
  }
  let max = -Infinity;
  for (const v of ids) max = Math.max(max, logits[v] / temperature);
  const weights = ids.map((v) => Math.exp(logits[v] / temperature - max));
  const total = weights.reduce((s, x) => s + x, 0);
  let r = randomFloat(rng) * total;
  for (let i = 0; i < ids.length; i++) {
    r -= weights[i];
    if (r < 0) return ids[i];
  }
  return ids[ids.length - 1];
}

/**
 * Continues `prompt` (token ids, at least one) by `options.tokens` tokens, one forward pass per token
 * over the last `blockSize` tokens (no KV cache, like llm.c's sampler). Deterministic in the seed.
 */
export async function generate(
  model: GPT,
  prompt: ArrayLike<number>,
  options: SampleOptions,
): Promise<Int32Array> {
  const { blockSize, vocabSize } = model.config;
  const { tokens } = options;
  const temperature = options.temperature ?? 1;
  if (!Number.isSafeInteger(tokens) || tokens < 0) {
    throw new RangeError(`tokens: expected a non-negative integer, found ${tokens}`);
  }
  if (!(temperature >= 0 && Number.isFinite(temperature))) {
    throw new RangeError(`temperature: expected a non-negative number, found ${temperature}`);
  }
  if (options.topK !== undefined && !(Number.isSafeInteger(options.topK) && options.topK >= 1)) {
    throw new RangeError(`topK: expected a positive integer, found ${options.topK}`);
  }
  if (prompt.length === 0) throw new RangeError('prompt: expected at least one token');
  const rng = new CounterRng(options.seed ?? 1337);
  const ids = Array.from(prompt);
  // One sequence length for every pass (padded after the context, which the causal mask ignores),
  // so the activations are allocated once.
  const T = Math.min(blockSize, ids.length + tokens);
  const window = new Int32Array(T);
  for (let n = 0; n < tokens; n++) {
    const context = ids.slice(-T);
    window.fill(0);
    window.set(context);
    await model.forward(window, undefined, 1, T);
    const logits = await model.logits();
    const row = logits.subarray((context.length - 1) * vocabSize, context.length * vocabSize);
    ids.push(sampleToken(row, rng, temperature, options.topK));
  }
  return Int32Array.from(ids.slice(prompt.length));
}
