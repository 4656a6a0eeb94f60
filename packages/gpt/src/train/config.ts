import type { TokenizerName } from '../data/char-tokenizer.js';
import {
  checkConfig,
  type GPTConfig,
  MODEL_PRESET_NAMES,
  type ModelPreset,
  type ModelSize,
  resolveConfig,
} from '../model/config.js';
import { BACKENDS, type BackendName } from './backend-names.js';
import {
  GRAD_SCALINGS,
  type GradScalingName,
  LEVELS,
  type Level,
  OPTIMIZER_STATES,
  type OptimizerStateName,
  SCALING_RECIPES,
  type ScalingRecipeName,
} from './levels.js';

/** Where the tokens come from. */
export interface DataSpec {
  /** `synthetic` (the built-in corpus), a text file, an llm.c `.bin` shard, or a folder of shards. */
  source: string;
  tokenizer: TokenizerName;
  /** Characters of the synthetic corpus. */
  syntheticLength: number;
}

/** Everything that defines a training run; written to `config.json` and into every checkpoint. */
export interface TrainConfig {
  preset: ModelPreset;
  model: GPTConfig;
  level: Level;
  /** Scaling recipe of the FP8 tensors (FP8 levels only). */
  scaling: ScalingRecipeName;
  /** Gradient pre-scaling μ (FP8 levels only; fp32 and bf16 always use μ = 1). */
  gradScaling: GradScalingName;
  /** AdamW's state layout: the level's (`level`), or an optimizer preset such as `O2+fp8v`. */
  optimizerState: OptimizerStateName;
  backend: BackendName;
  data: DataSpec;
  steps: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  gradClip: number;
  beta1: number;
  beta2: number;
  seed: number;
  evalInterval: number;
  evalBatches: number;
  checkpointInterval: number;
}

/**
 * A run as asked for, before the data is read: the model is a preset plus size overrides, and the
 * vocabulary comes from the data's tokenizer ({@link resolveTrainConfig}).
 */
export interface TrainSpec extends Omit<TrainConfig, 'model'> {
  /** Sizes that override the preset's (nLayer, nHead, nEmbd, blockSize). */
  model: Partial<ModelSize>;
}

/** The full config of a spec, for data whose tokenizer has `vocabSize` tokens. */
export function resolveTrainConfig(spec: TrainSpec, vocabSize: number): TrainConfig {
  return checkTrainConfig({ ...spec, model: resolveConfig(spec.preset, vocabSize, spec.model) });
}

/** The defaults of every field (the CLI's defaults); frozen, spread it to make a spec. */
export const TRAIN_DEFAULTS: Readonly<TrainSpec> = deepFreeze({
  preset: 'tiny',
  model: {},
  level: 'O2',
  scaling: 'delayed',
  gradScaling: 'none',
  optimizerState: 'level',
  backend: 'cpu',
  data: { source: 'synthetic', tokenizer: 'char', syntheticLength: 1_000_000 },
  steps: 1000,
  batchSize: 16,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: 100,
  weightDecay: 0.1,
  gradClip: 1,
  beta1: 0.9,
  beta2: 0.99,
  seed: 1337,
  evalInterval: 100,
  evalBatches: 10,
  checkpointInterval: 0,
});

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

function check(ok: boolean, field: string, expected: string, value: unknown): void {
  if (!ok) throw new RangeError(`${field}: expected ${expected}, found ${JSON.stringify(value)}`);
}

const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isNum = (v: unknown, min: number, max = Infinity) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/** Checks a whole run config (also one read back from a checkpoint); a RangeError names the bad field. */
export function checkTrainConfig(config: TrainConfig): TrainConfig {
  check(typeof config === 'object' && config !== null, 'config', 'an object', config);
  // Checkpoints written before optimizerState existed trained with the level's layout.
  const c = config.optimizerState === undefined ? { ...config, optimizerState: 'level' as const } : config;
  check(MODEL_PRESET_NAMES.includes(c.preset), 'preset', `one of ${MODEL_PRESET_NAMES.join(', ')}`, c.preset);
  check(LEVELS.includes(c.level), 'level', `one of ${LEVELS.join(', ')}`, c.level);
  check(SCALING_RECIPES.includes(c.scaling), 'scaling', `one of ${SCALING_RECIPES.join(', ')}`, c.scaling);
  check(
    GRAD_SCALINGS.includes(c.gradScaling),
    'gradScaling',
    `one of ${GRAD_SCALINGS.join(', ')}`,
    c.gradScaling,
  );
  check(
    OPTIMIZER_STATES.includes(c.optimizerState),
    'optimizerState',
    `one of ${OPTIMIZER_STATES.join(', ')}`,
    c.optimizerState,
  );
  check(BACKENDS.includes(c.backend), 'backend', `one of ${BACKENDS.join(', ')}`, c.backend);
  check(
    typeof c.data?.source === 'string' && c.data.source.length > 0,
    'data.source',
    'a path or synthetic',
    c.data?.source,
  );
  check(['char', 'gpt2'].includes(c.data.tokenizer), 'data.tokenizer', 'char or gpt2', c.data.tokenizer);
  check(
    isInt(c.data.syntheticLength, 1),
    'data.syntheticLength',
    'a positive integer',
    c.data.syntheticLength,
  );
  check(isInt(c.steps, 1), 'steps', 'a positive integer', c.steps);
  check(isInt(c.batchSize, 1), 'batchSize', 'a positive integer', c.batchSize);
  check(isNum(c.lr, 0) && c.lr > 0, 'lr', 'a positive number', c.lr);
  check(isNum(c.minLr, 0, c.lr), 'minLr', `a number in [0, lr = ${c.lr}]`, c.minLr);
  check(
    isInt(c.warmup, 0) && c.warmup <= c.steps,
    'warmup',
    `an integer in [0, steps = ${c.steps}]`,
    c.warmup,
  );
  check(isNum(c.weightDecay, 0), 'weightDecay', 'a non-negative number', c.weightDecay);
  check(isNum(c.gradClip, 0), 'gradClip', 'a non-negative number (0: no clipping)', c.gradClip);
  check(isNum(c.beta1, 0, 0.999999), 'beta1', 'a number in [0, 1)', c.beta1);
  check(isNum(c.beta2, 0, 0.999999), 'beta2', 'a number in [0, 1)', c.beta2);
  check(isInt(c.seed, 0) && c.seed < 2 ** 32, 'seed', 'an integer in [0, 2^32)', c.seed);
  check(
    isInt(c.evalInterval, 0),
    'evalInterval',
    'a non-negative integer (0: only at the end)',
    c.evalInterval,
  );
  check(isInt(c.evalBatches, 1), 'evalBatches', 'a positive integer', c.evalBatches);
  check(
    isInt(c.checkpointInterval, 0),
    'checkpointInterval',
    'a non-negative integer (0: at every eval)',
    c.checkpointInterval,
  );
  check(typeof c.model === 'object' && c.model !== null, 'model', 'a model config', c.model);
  checkConfig(c.model);
  return c;
}
