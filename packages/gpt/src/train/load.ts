import type { AdamW, OptimizerState } from '@fp8lm/optimizer';
import type { Backend } from '@fp8lm/tensor-interface';
import { type LoadedCheckpoint, loadCheckpoint } from '../checkpoint/checkpoint.js';
import { type Tokenizer, tokenizerFromJSON } from '../data/tokenizer.js';
import type { GPT } from '../model/gpt.js';
import { makeBackend } from './backend.js';
import { checkTrainConfig, type TrainConfig } from './config.js';
import { createModel } from './trainer.js';

/** A trained model read back from a checkpoint. */
export interface TrainedModel {
  config: TrainConfig;
  model: GPT;
  optimizer: AdamW;
  tokenizer: Tokenizer;
  checkpoint: LoadedCheckpoint;
  backend: Backend;
  /** Frees the model's device tensors. */
  dispose(): void;
}

/**
 * Loads a training checkpoint for sampling or evaluation: the model of its config, with the optimizer's
 * master weights (exactly the weights training used) and the linear layers' scaling state, so the
 * forward pass computes as it did in training (FP8 GEMMs at FP8 levels).
 */
export async function loadTrainedModel(
  path: string,
  options: { backend?: Backend } = {},
): Promise<TrainedModel> {
  const checkpoint = await loadCheckpoint(path);
  let config: TrainConfig;
  try {
    config = checkTrainConfig(checkpoint.config as unknown as TrainConfig);
  } catch (error) {
    throw new Error(
      `checkpoint ${path}: its config is not an fp8lm training config: ${(error as Error).message}`,
    );
  }
  if (checkpoint.tokenizer === undefined) throw new Error(`checkpoint ${path} records no tokenizer`);
  if (checkpoint.optimizerState === undefined)
    throw new Error(`checkpoint ${path} holds no optimizer state (master weights)`);
  const tokenizer = tokenizerFromJSON(checkpoint.tokenizer);
  if (tokenizer.vocabSize !== config.model.vocabSize) {
    throw new Error(
      `checkpoint ${path}: its tokenizer has ${tokenizer.vocabSize} tokens, its model ${config.model.vocabSize}`,
    );
  }
  const backend = options.backend ?? (await makeBackend(config.backend));
  const { model, optimizer } = createModel(backend, config);
  try {
    optimizer.loadStateDict(checkpoint.optimizerState as unknown as OptimizerState);
    model.restoreScalingState(checkpoint.scales as Record<string, unknown>);
  } catch (error) {
    model.dispose();
    optimizer.dispose();
    throw new Error(`checkpoint ${path}: ${(error as Error).message}`);
  }
  return {
    config,
    model,
    optimizer,
    tokenizer,
    checkpoint,
    backend,
    dispose() {
      model.dispose();
      optimizer.dispose();
    },
  };
}
