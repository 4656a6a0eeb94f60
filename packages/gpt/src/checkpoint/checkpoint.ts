import { assertStorageFor, type DType, isDType, type StorageArray } from '@fp8lm/tensor-interface';
import {
  assertSameVocabulary,
  type Tokenizer,
  type TokenizerJSON,
  tokenizerFromJSON,
} from '../data/tokenizer.js';
import { decodeJson, encodeJson } from './json.js';
import {
  readSafetensors,
  type SafetensorsDType,
  type SafetensorsTensor,
  writeSafetensors,
} from './safetensors.js';

/** A tensor in a checkpoint: a project dtype, a shape and its storage array. */
export interface CheckpointTensor {
  dtype: DType;
  shape: readonly number[];
  data: StorageArray;
}

/**
 * Optimizer state as `@fp8lm/optimizer`'s `stateDict()` returns it (a structural copy of its
 * `OptimizerState`, so this package need not depend on the optimizer).
 */
export interface CheckpointOptimizerState {
  metadata: object;
  tensors: Record<string, CheckpointTensor>;
}

/** Everything a training run needs to resume. Every field but `config` and `tensors` is optional. */
export interface Checkpoint {
  /** Model and run configuration (JSON). */
  config: Record<string, unknown>;
  /** Model tensors in their native dtypes (FP8 weights stay FP8, FP16 masters stay FP16). */
  tensors: Record<string, CheckpointTensor>;
  /** Optimizer state; its tensors are stored under `optimizer.<name>`. */
  optimizerState?: CheckpointOptimizerState;
  /** The vocabulary, checked against the data when the run resumes (a Tokenizer is saved as its JSON). */
  tokenizer?: TokenizerJSON | Tokenizer;
  /** Training step reached. */
  step?: number;
  /** FP8 scaling state: per-tensor scales (JSON). */
  scales?: unknown;
  /** FP8 scaling state: amax histories of delayed scaling (JSON; typed arrays become arrays). */
  amaxHistories?: unknown;
  /** RNG state(s) (JSON). */
  rng?: unknown;
  /** Data position, e.g. `TokenDataset.state()` (JSON). */
  data?: unknown;
  /** Anything else (JSON). */
  extra?: Record<string, unknown>;
}

/** A loaded checkpoint, with the raw `__metadata__` strings too. */
export interface LoadedCheckpoint extends Checkpoint {
  tokenizer?: TokenizerJSON;
  tensors: Record<string, CheckpointTensor & { shape: number[] }>;
  optimizerState?: { metadata: object; tensors: Record<string, CheckpointTensor & { shape: number[] }> };
  metadata: Record<string, string>;
}

/** Version of the checkpoint layout, stored as `__metadata__["fp8lm.version"]`. */
export const CHECKPOINT_VERSION = '1';

/** Prefix of optimizer tensors in the file. */
export const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * `__metadata__` keys (values are JSON strings, written with {@link encodeJson} so NaN, ±Infinity
 * and −0 survive). `format: "pt"` is what Hugging Face loaders expect of PyTorch-readable files.
 */
export const CHECKPOINT_KEYS = {
  version: 'fp8lm.version',
  config: 'fp8lm.config',
  tokenizer: 'fp8lm.tokenizer',
  step: 'fp8lm.step',
  scales: 'fp8lm.scales',
  amaxHistories: 'fp8lm.amax_histories',
  rng: 'fp8lm.rng',
  data: 'fp8lm.data',
  optimizer: 'fp8lm.optimizer',
  extra: 'fp8lm.extra',
  /** `{ tensorName: dtype }` for tensors of dtypes safetensors lacks, stored as U8 codes. */
  dtypes: 'fp8lm.dtypes',
} as const;

/** Project dtype → safetensors dtype; the others (FNUZ, E8M0, FP6, FP4 codes) are stored as U8. */
export const SAFETENSORS_DTYPE_OF: Partial<Record<DType, SafetensorsDType>> = {
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
  e4m3: 'F8_E4M3',
  e5m2: 'F8_E5M2',
  i32: 'I32',
};

const DTYPE_OF: Partial<Record<SafetensorsDType, DType>> = Object.fromEntries(
  Object.entries(SAFETENSORS_DTYPE_OF).map(([d, s]) => [s, d]),
);

const OPTIONAL_FIELDS = ['step', 'scales', 'amaxHistories', 'rng', 'data', 'extra', 'tokenizer'] as const;

function toSafetensors(
  out: Record<string, SafetensorsTensor>,
  dtypes: Record<string, DType>,
  name: string,
  t: CheckpointTensor,
  argument: string,
): void {
  if (typeof t !== 'object' || t === null)
    throw new TypeError(`${argument}: expected { dtype, shape, data }, found ${String(t)}`);
  if (!isDType(t.dtype))
    throw new TypeError(`${argument}.dtype: expected an fp8lm dtype, found ${JSON.stringify(t.dtype)}`);
  assertStorageFor(t.dtype, t.data, `${argument}.data`);
  const native = SAFETENSORS_DTYPE_OF[t.dtype];
  if (native === undefined) dtypes[name] = t.dtype;
  out[name] = { dtype: native ?? 'U8', shape: t.shape, data: t.data };
}

/**
 * Saves a checkpoint as one safetensors file, atomically (temp file, fsync, rename): model tensors
 * under their names and optimizer tensors under `optimizer.<name>`, each in its native dtype
 * (`F32`, `F16`, `BF16`, `F8_E4M3`, `F8_E5M2`, `I32`; other code formats as `U8` plus a
 * `fp8lm.dtypes` entry), so Python's safetensors opens the file; everything else goes into
 * `__metadata__` as JSON under the keys of {@link CHECKPOINT_KEYS}.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  if (typeof checkpoint !== 'object' || checkpoint === null) {
    throw new TypeError(`checkpoint: expected { config, tensors, ... }, found ${String(checkpoint)}`);
  }
  const { config, tensors, optimizerState } = checkpoint;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(
      `checkpoint.config: expected a JSON object, found ${config === null ? 'null' : typeof config}`,
    );
  }
  if (typeof tensors !== 'object' || tensors === null) {
    throw new TypeError(`checkpoint.tensors: expected an object of named tensors, found ${String(tensors)}`);
  }
  const out: Record<string, SafetensorsTensor> = Object.create(null);
  const dtypes: Record<string, DType> = Object.create(null);
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) {
      throw new RangeError(
        `checkpoint.tensors[${JSON.stringify(name)}]: names starting with "${OPTIMIZER_PREFIX}" are reserved for optimizer state`,
      );
    }
    toSafetensors(out, dtypes, name, t, `checkpoint.tensors[${JSON.stringify(name)}]`);
  }
  const metadata: Record<string, string> = {
    format: 'pt',
    [CHECKPOINT_KEYS.version]: CHECKPOINT_VERSION,
    [CHECKPOINT_KEYS.config]: encodeJson(config, 'checkpoint.config'),
  };
  if (optimizerState !== undefined) {
    if (
      typeof optimizerState !== 'object' ||
      optimizerState === null ||
      typeof optimizerState.tensors !== 'object'
    ) {
      throw new TypeError(
        `checkpoint.optimizerState: expected { metadata, tensors }, found ${String(optimizerState)}`,
      );
    }
    metadata[CHECKPOINT_KEYS.optimizer] = encodeJson(
      optimizerState.metadata ?? {},
      'checkpoint.optimizerState.metadata',
    );
    for (const [name, t] of Object.entries(optimizerState.tensors)) {
      toSafetensors(
        out,
        dtypes,
        OPTIMIZER_PREFIX + name,
        t,
        `checkpoint.optimizerState.tensors[${JSON.stringify(name)}]`,
      );
    }
  }
  for (const field of OPTIONAL_FIELDS) {
    const value = checkpoint[field];
    if (value !== undefined) metadata[CHECKPOINT_KEYS[field]] = encodeJson(value, `checkpoint.${field}`);
  }
  if (checkpoint.tokenizer !== undefined) tokenizerFromJSON(checkpoint.tokenizer); // validates
  if (Object.keys(dtypes).length > 0) metadata[CHECKPOINT_KEYS.dtypes] = JSON.stringify(dtypes);
  await writeSafetensors(path, out, metadata);
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** The tokenizer of the data the run will use: must match the checkpoint's vocabulary. */
  tokenizer?: Tokenizer | TokenizerJSON;
  /** Where that tokenizer came from, for the mismatch error (default "the data"). */
  tokenizerSource?: string;
}

/**
 * Loads a checkpoint written by {@link saveCheckpoint}. The file is validated by
 * `readSafetensors` (truncation, corrupt header, offsets...); then the fp8lm metadata is checked:
 * a missing or different `fp8lm.version`, metadata that is not valid JSON, a tensor dtype fp8lm
 * cannot hold, or (with `options.tokenizer`) a different vocabulary are each an Error naming the
 * file and expected vs found.
 */
export async function loadCheckpoint(
  path: string,
  options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  const file = await readSafetensors(path);
  const meta = file.metadata;
  const fail = (message: string): never => {
    throw new Error(`checkpoint ${path}: ${message}`);
  };
  const version = meta[CHECKPOINT_KEYS.version];
  if (version === undefined) {
    fail(
      `not an fp8lm checkpoint: __metadata__ has no "${CHECKPOINT_KEYS.version}" (a plain safetensors file? read it with readSafetensors)`,
    );
  }
  if (version !== CHECKPOINT_VERSION) {
    fail(`unsupported checkpoint version: expected ${CHECKPOINT_VERSION}, found ${JSON.stringify(version)}`);
  }
  const parse = (key: string): unknown => {
    const text = meta[key];
    if (text === undefined) return undefined;
    try {
      return decodeJson(text);
    } catch (error) {
      return fail(`__metadata__["${key}"] is not valid JSON: ${(error as Error).message}`);
    }
  };
  const config = parse(CHECKPOINT_KEYS.config);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    fail(
      `__metadata__["${CHECKPOINT_KEYS.config}"]: expected a JSON object, found ${config === undefined ? 'nothing' : JSON.stringify(config)}`,
    );
  }
  const dtypes = (parse(CHECKPOINT_KEYS.dtypes) ?? {}) as Record<string, unknown>;
  if (typeof dtypes !== 'object' || dtypes === null || Array.isArray(dtypes)) {
    fail(
      `__metadata__["${CHECKPOINT_KEYS.dtypes}"]: expected an object of dtypes, found ${JSON.stringify(dtypes)}`,
    );
  }
  for (const [name, d] of Object.entries(dtypes)) {
    const t = file.tensors[name];
    if (t === undefined)
      fail(
        `__metadata__["${CHECKPOINT_KEYS.dtypes}"] names tensor ${JSON.stringify(name)}, which the file does not hold`,
      );
    if (!isDType(d) || SAFETENSORS_DTYPE_OF[d] !== undefined || t.dtype !== 'U8') {
      fail(
        `tensor ${JSON.stringify(name)}: recorded dtype ${JSON.stringify(d)} does not fit its stored dtype ${t.dtype} (expected a non-native fp8lm dtype stored as U8)`,
      );
    }
  }
  const tensors: LoadedCheckpoint['tensors'] = Object.create(null);
  const optTensors: LoadedCheckpoint['tensors'] = Object.create(null);
  for (const [name, t] of Object.entries(file.tensors)) {
    const dtype = Object.hasOwn(dtypes, name) ? (dtypes[name] as DType) : DTYPE_OF[t.dtype];
    if (dtype === undefined) {
      fail(
        `tensor ${JSON.stringify(name)} has dtype ${t.dtype}, which fp8lm cannot hold (expected ${Object.values(SAFETENSORS_DTYPE_OF).join(', ')}, or U8 listed in "${CHECKPOINT_KEYS.dtypes}")`,
      );
    }
    const entry = { dtype: dtype!, shape: t.shape, data: t.data as StorageArray };
    if (name.startsWith(OPTIMIZER_PREFIX)) optTensors[name.slice(OPTIMIZER_PREFIX.length)] = entry;
    else tensors[name] = entry;
  }
  const result: LoadedCheckpoint = {
    config: config as Record<string, unknown>,
    tensors,
    metadata: { ...meta },
  };
  const optMeta = parse(CHECKPOINT_KEYS.optimizer);
  if (optMeta !== undefined || Object.keys(optTensors).length > 0) {
    if (optMeta !== undefined && (typeof optMeta !== 'object' || optMeta === null)) {
      fail(
        `__metadata__["${CHECKPOINT_KEYS.optimizer}"]: expected a JSON object, found ${JSON.stringify(optMeta)}`,
      );
    }
    result.optimizerState = { metadata: (optMeta ?? {}) as object, tensors: optTensors };
  }
  for (const field of OPTIONAL_FIELDS) {
    const value = parse(CHECKPOINT_KEYS[field]);
    if (value !== undefined) (result as unknown as Record<string, unknown>)[field] = value;
  }
  if (result.step !== undefined && (!Number.isSafeInteger(result.step) || result.step < 0)) {
    fail(
      `__metadata__["${CHECKPOINT_KEYS.step}"]: expected a non-negative integer, found ${JSON.stringify(result.step)}`,
    );
  }
  if (result.tokenizer !== undefined) {
    try {
      tokenizerFromJSON(result.tokenizer);
    } catch (error) {
      fail(`__metadata__["${CHECKPOINT_KEYS.tokenizer}"]: ${(error as Error).message}`);
    }
  }
  if (options.tokenizer !== undefined) {
    if (result.tokenizer === undefined)
      fail('it records no tokenizer, so its vocabulary cannot be checked against the data');
    assertSameVocabulary(result.tokenizer!, options.tokenizer, {
      expected: `checkpoint ${path}`,
      found: options.tokenizerSource ?? 'the data',
    });
  }
  return result;
}
