// @fp8lm/gpt/core: what trains a model without Node — the GPT model, the FP8 linear layer, the trainer,
// the token dataset, the synthetic corpus and the char tokenizer, sampling — for browsers (with
// kernels-webgpu's `createWebGpuBackend()` or kernels-cpu) and any other JavaScript runtime. Nothing
// here imports `node:` modules or GPT-2's BPE tables (test/core-entry.test.ts checks the built files);
// files, checkpoints on disk, the report and the CLI are in the main entry, which exports all of this
// too. This file lists the browser-safe API of data/ and train/; their index.ts files list the rest.
export {
  CharTokenizer,
  checkTokenizerJSON,
  type Tokenizer,
  type TokenizerJSON,
  type TokenizerName,
} from './data/char-tokenizer.js';
export {
  type Batch,
  type DatasetState,
  type Split,
  splitTokens,
  type TokenArray,
  TokenDataset,
  type TokenDatasetOptions,
  toTokenArray,
} from './data/dataset.js';
export {
  assertRngState,
  CounterRng,
  type RandomSource,
  type RngState,
  randomFloat,
  randomInt,
} from './data/rng.js';
export {
  DEFAULT_GRAMMAR,
  generateSynthetic,
  type SyntheticEntropy,
  type SyntheticGrammar,
  type SyntheticOptions,
  syntheticEntropy,
  syntheticTokenizer,
  validateGrammar,
} from './data/synthetic.js';
export * from './layers/index.js';
export * from './model/index.js';
export {
  checkTrainConfig,
  type DataSpec,
  resolveTrainConfig,
  TRAIN_DEFAULTS,
  type TrainConfig,
  type TrainSpec,
} from './train/config.js';
export {
  GRAD_SCALINGS,
  type GradScalingName,
  LEVELS,
  type Level,
  type LevelPlan,
  levelPlan,
  OPTIMIZER_STATES,
  type OptimizerStateName,
  SCALING_RECIPES,
  type ScalingRecipeName,
} from './train/levels.js';
export { countParams, createModel, type StepMetrics, Trainer, type TrainerOptions } from './train/trainer.js';
