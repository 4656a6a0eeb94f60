// A short training run on `@fp8lm/gpt/core` alone: the synthetic corpus, the char tokenizer and the
// Trainer, on whatever backend it is given. The browser page runs it on WebGPU and on kernels-cpu;
// the Node test runs the same file on kernels-cpu for the reference losses.
import {
  generateSynthetic,
  resolveTrainConfig,
  syntheticTokenizer,
  TokenDataset,
  Trainer,
  toTokenArray,
} from '@fp8lm/gpt/core';

/**
 * Trains `spec` (a TrainSpec) for spec.steps steps on `syntheticLength` characters of the synthetic
 * corpus; returns each step's loss.
 * @param {import('@fp8lm/tensor-interface').Backend} backend
 * @param {import('@fp8lm/gpt/core').TrainSpec} spec
 * @param {number} syntheticLength
 */
export async function trainLosses(backend, spec, syntheticLength) {
  const tokenizer = syntheticTokenizer();
  const text = generateSynthetic(syntheticLength, { seed: 1337 });
  const tokens = toTokenArray(tokenizer.encode(text), tokenizer.vocabSize);
  const data = TokenDataset.fromTokens(tokens, { tokenizer, seed: spec.seed });
  const trainer = new Trainer(backend, resolveTrainConfig(spec, tokenizer.vocabSize), data);
  try {
    const losses = [];
    for (let i = 0; i < spec.steps; i++) losses.push((await trainer.trainStep()).loss);
    return losses;
  } finally {
    trainer.dispose();
  }
}
