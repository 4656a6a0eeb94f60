/**
 * GPT-2 model sizes. The vocabulary comes from the tokenizer; everything else from a preset, each size
 * overridable.
 */

/** The shape of a GPT-2 model (llm.c's `GPT2Config`, nanoGPT's `GPTConfig`). */
export interface GPTConfig {
  /** Token ids are in `[0, vocabSize)`. */
  readonly vocabSize: number;
  /** The longest sequence (rows of the position embedding). */
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  /** Channels; a multiple of `nHead`. */
  readonly nEmbd: number;
}

/** The sizes a preset fixes (the vocabulary comes from the tokenizer). */
export type ModelSize = Omit<GPTConfig, 'vocabSize'>;

/**
 * Model presets:
 * - `tiny`: the default run and the tests, small enough to learn the synthetic corpus visibly in about two
 *   minutes on two CPU cores;
 * - `shakespeare`: nanoGPT's small CPU config for `shakespeare_char` (4 layers, 4 heads, 128 channels, block 64);
 * - `gpt2-124m`: GPT-2 small (12 layers, 12 heads, 768 channels, block 1024).
 */
export const MODEL_PRESETS = {
  tiny: { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 32 },
  shakespeare: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 },
  'gpt2-124m': { nLayer: 12, nHead: 12, nEmbd: 768, blockSize: 1024 },
} as const satisfies Record<string, ModelSize>;

/** A preset name. */
export type ModelPreset = keyof typeof MODEL_PRESETS;

/** Every preset name, in size order. */
export const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as ModelPreset[];

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name}: expected a positive integer, found ${String(value)}`);
  }
  return value;
}

/** Checks a config; a RangeError names the bad field. */
export function checkConfig(config: GPTConfig): GPTConfig {
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    positiveInteger(config?.[key], key);
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new RangeError(
      `nEmbd: expected a multiple of nHead (${config.nHead}), found ${config.nEmbd} (the head size is nEmbd / nHead)`,
    );
  }
  return config;
}

/**
 * The config of a preset with the tokenizer's vocabulary and any overrides.
 * @example resolveConfig('tiny', 65, { nLayer: 4 }) // → { vocabSize: 65, blockSize: 32, nLayer: 4, nHead: 2, nEmbd: 64 }
 */
export function resolveConfig(
  preset: ModelPreset,
  vocabSize: number,
  overrides: Partial<ModelSize> = {},
): GPTConfig {
  if (!Object.hasOwn(MODEL_PRESETS, preset)) {
    throw new RangeError(
      `preset: expected one of ${MODEL_PRESET_NAMES.join(', ')}, found ${JSON.stringify(preset)}`,
    );
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return checkConfig({ vocabSize, ...MODEL_PRESETS[preset], ...defined });
}

/** Parameters of the model (the LM head is tied to `wte` and not counted twice). */
export function parameterCount(config: GPTConfig): number {
  const { vocabSize: V, blockSize: T, nLayer: L, nEmbd: C } = config;
  const perLayer = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (4 * C * C + 4 * C) + (4 * C * C + C);
  return V * C + T * C + L * perLayer + 2 * C;
}
