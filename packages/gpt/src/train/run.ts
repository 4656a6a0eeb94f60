import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Backend } from '@fp8lm/tensor-interface';
import { writeBytesAtomic } from '../checkpoint/atomic.js';
import { type LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint.js';
import { decodeJson, encodeJson } from '../checkpoint/json.js';
import type { TokenDataset } from '../data/dataset.js';
import { assertSameVocabulary } from '../data/tokenizer.js';
import { generate } from '../model/sample.js';
import { makeBackend } from './backend.js';
import { checkTrainConfig, resolveTrainConfig, type TrainConfig, type TrainSpec } from './config.js';
import { loadData } from './data.js';
import { type StepMetrics, Trainer } from './trainer.js';

/** File names inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  checkpoint: 'checkpoint.safetensors',
  report: 'report.html',
} as const;

/** Config fields a resumed run may change; every other field must match the checkpoint's. */
export const RESUMABLE_FIELDS = [
  'steps',
  'evalInterval',
  'evalBatches',
  'checkpointInterval',
  'data',
] as const;

/** `batchSize` → `--batch-size`, for messages. */
export function flagOf(field: string): string {
  return `--${field.replace(/^model\./, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Options of {@link runTraining}. */
export interface RunOptions {
  /** The run as asked for (for a resumed run, only its `explicit` fields count, checked against the checkpoint). */
  spec: TrainSpec;
  /** Run folder: config.json, metrics.jsonl, checkpoint.safetensors, report.html. */
  out: string;
  /** Continue the run in this folder (or from this checkpoint file). */
  resume?: string;
  /**
   * With `resume`: the spec fields that were given explicitly (`model.nLayer` for a size); the others come
   * from the checkpoint. Default: none.
   */
  explicit?: readonly string[];
  /** Start over in a folder that already holds a run. Default false: that is an error. */
  overwrite?: boolean;
  /** Stop after this step (with a checkpoint), as if interrupted; resume later with `resume`. */
  stopAt?: number;
  /** Stops the run after the current step, with a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  /** Generate this many tokens from the trained model at the end (default 0). */
  sampleTokens?: number;
  /** Prompt of that sample (default: the first token of the validation split). */
  samplePrompt?: string;
  /** Write report.html at the end (default true). */
  report?: boolean;
  /** A backend to use instead of making one from `config.backend` (tests). */
  backend?: Backend;
  /** Test hook, see `TrainerOptions.injectNonFiniteAt`. */
  injectNonFiniteAt?: readonly number[];
}

/** What {@link runTraining} reports as it goes. */
export interface RunHooks {
  /** After validation, before the first step. */
  onStart?(info: {
    config: TrainConfig;
    startStep: number;
    params: number;
    trainTokens: number;
    valTokens: number;
    /** The data's loss floor in nats per token, when known (the synthetic corpus). */
    entropyFloor?: number;
  }): void;
  onStep?(metrics: StepMetrics): void;
  onCheckpoint?(path: string, step: number): void;
}

/** What a finished (or stopped) run produced. */
export interface RunResult {
  config: TrainConfig;
  /** The last completed step. */
  step: number;
  /** True when it stopped before `config.steps` (stopAt or the signal). */
  stopped: boolean;
  finalLoss: number;
  finalValLoss: number | undefined;
  /** Mean tokens/s over the steps of this invocation. */
  tokensPerSec: number;
  files: { config: string; metrics: string; checkpoint: string; report?: string };
  sample?: string;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

function checkpointPath(resume: string, isDir: boolean): string {
  return isDir ? join(resume, RUN_FILES.checkpoint) : resume;
}

/**
 * The config of a resumed run: the checkpoint's, with the resumable fields the user gave explicitly;
 * any other explicit field must equal the checkpoint's.
 */
export function resumedConfig(
  saved: TrainConfig,
  spec: TrainSpec,
  explicit: readonly string[],
  source: string,
): TrainConfig {
  const config: TrainConfig = { ...saved };
  const mismatch = (field: string, given: unknown, had: unknown) =>
    new Error(
      `${flagOf(field)} ${JSON.stringify(given)} does not match the checkpoint ${source}, which has ${JSON.stringify(had)} (a resumed run keeps its config; only ${RESUMABLE_FIELDS.map(flagOf).join(', ')} may change)`,
    );
  for (const field of explicit) {
    if (field.startsWith('model.')) {
      const key = field.slice(6) as keyof TrainSpec['model'];
      if (spec.model[key] !== undefined && spec.model[key] !== saved.model[key]) {
        throw mismatch(field, spec.model[key], saved.model[key]);
      }
    } else if ((RESUMABLE_FIELDS as readonly string[]).includes(field)) {
      (config as unknown as Record<string, unknown>)[field] = spec[field as keyof TrainSpec];
    } else {
      const given = spec[field as keyof TrainSpec];
      const had = saved[field as keyof TrainConfig];
      if (JSON.stringify(given) !== JSON.stringify(had)) throw mismatch(field, given, had);
    }
  }
  if (config.warmup > config.steps) {
    throw new Error(`--steps ${config.steps} is shorter than the run's warm-up of ${config.warmup} steps`);
  }
  return checkTrainConfig(config);
}

/** Checks a config's data: both splits hold a block, the vocabulary fits the model. */
export function checkData(config: TrainConfig, data: TokenDataset): TokenDataset {
  data.assertBlockSize(config.model.blockSize);
  if (data.tokenizer !== undefined && data.tokenizer.vocabSize !== config.model.vocabSize) {
    throw new Error(
      `${data.source}: its tokenizer has ${data.tokenizer.vocabSize} tokens, the model's vocabulary has ${config.model.vocabSize}`,
    );
  }
  data.assertVocabulary(config.model.vocabSize);
  return data;
}

/**
 * A training run with its files: checks everything first (config, data, checkpoint, output folder) so
 * that bad input fails before anything is written, then trains, appending one line per step to
 * `metrics.jsonl`, evaluating every `evalInterval` steps and at the end, and writing
 * `checkpoint.safetensors` atomically at every eval (or every `checkpointInterval` steps) and at the end.
 * A resumed run truncates `metrics.jsonl` to the checkpoint's step and continues exactly as the
 * uninterrupted run would have.
 */
export async function runTraining(options: RunOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const out = options.out;
  let ckpt: LoadedCheckpoint | undefined;
  let config: TrainConfig | undefined;
  let priorMetrics: string[] = [];
  if (options.resume !== undefined) {
    const info = await stat(options.resume).catch(() => undefined);
    if (info === undefined) throw new Error(`--resume ${options.resume} does not exist`);
    const path = checkpointPath(options.resume, info.isDirectory());
    ckpt = await loadCheckpoint(path);
    let saved: TrainConfig;
    try {
      saved = checkTrainConfig(ckpt.config as unknown as TrainConfig);
    } catch (error) {
      throw new Error(`checkpoint ${path}: its config is not a training config: ${(error as Error).message}`);
    }
    config = resumedConfig(saved, options.spec, options.explicit ?? [], path);
    if ((ckpt.step ?? 0) >= config.steps) {
      throw new Error(
        `checkpoint ${path} is at step ${ckpt.step}, and the run has ${config.steps} steps: nothing to do (raise --steps to train longer)`,
      );
    }
    const metricsPath = join(info.isDirectory() ? options.resume : resolve(path, '..'), RUN_FILES.metrics);
    if (await exists(metricsPath)) {
      const lines = (await readFile(metricsPath, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      priorMetrics = lines.filter((l) => {
        try {
          return ((decodeJson(l) as { step?: number }).step ?? Infinity) <= (ckpt!.step ?? 0);
        } catch {
          return false;
        }
      });
    }
  }
  if (options.stopAt !== undefined && !(Number.isSafeInteger(options.stopAt) && options.stopAt >= 1)) {
    throw new RangeError(`stopAt: expected a positive integer, found ${options.stopAt}`);
  }
  const data = await loadData(config?.data ?? options.spec.data, config?.seed ?? options.spec.seed);
  if (ckpt !== undefined) {
    if (ckpt.tokenizer === undefined) throw new Error('the checkpoint records no tokenizer');
    if (data.tokenizer !== undefined) {
      assertSameVocabulary(ckpt.tokenizer, data.tokenizer, {
        expected: `checkpoint ${options.resume}`,
        found: `data ${data.source}`,
      });
    }
  }
  config ??= resolveTrainConfig(options.spec, data.tokenizer?.vocabSize ?? data.maxTokenId() + 1);
  checkData(config, data);
  const files = {
    config: join(out, RUN_FILES.config),
    metrics: join(out, RUN_FILES.metrics),
    checkpoint: join(out, RUN_FILES.checkpoint),
  };
  const resumingHere =
    options.resume !== undefined &&
    resolve(options.resume).replace(/\/checkpoint\.safetensors$/, '') === resolve(out);
  if (!options.overwrite && !resumingHere) {
    for (const f of [files.checkpoint, files.metrics]) {
      if (await exists(f)) {
        throw new Error(
          `${out} already holds a run (${f}); pass --resume ${out} to continue it, --overwrite to start over, or another --out`,
        );
      }
    }
  }
  const backend = options.backend ?? (await makeBackend(config.backend));
  const trainer = new Trainer(backend, config, data, { injectNonFiniteAt: options.injectNonFiniteAt });
  try {
    if (ckpt !== undefined) trainer.restore(ckpt);
    // Everything is checked: from here on the run writes its files.
    await mkdir(out, { recursive: true });
    await writeBytesAtomic(files.config, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
    await writeBytesAtomic(
      files.metrics,
      new TextEncoder().encode(priorMetrics.length > 0 ? `${priorMetrics.join('\n')}\n` : ''),
    );
    const params = trainer.model.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    hooks.onStart?.({
      config,
      startStep: trainer.step,
      params,
      trainTokens: data.size('train'),
      valTokens: data.size('val'),
      entropyFloor: data.entropyFloor,
    });
    const saveAt = async () => {
      await saveCheckpoint(files.checkpoint, await trainer.checkpoint());
      hooks.onCheckpoint?.(files.checkpoint, trainer.step);
    };
    let last: StepMetrics | undefined;
    let lastVal: number | undefined;
    let tokens = 0;
    let seconds = 0;
    let stopped = false;
    while (trainer.step < config.steps) {
      const m = await trainer.trainStep();
      const s = m.step;
      const isLast = s === config.steps;
      const stopping = s === options.stopAt || (options.signal?.aborted ?? false);
      if ((config.evalInterval > 0 && s % config.evalInterval === 0) || isLast) {
        m.valLoss = await trainer.evaluate();
        lastVal = m.valLoss;
      }
      await appendFile(files.metrics, `${encodeJson(m, 'metrics')}\n`);
      tokens += trainer.tokensPerStep;
      seconds += m.stepTime;
      last = m;
      hooks.onStep?.(m);
      const interval = config.checkpointInterval > 0 ? config.checkpointInterval : config.evalInterval;
      if (isLast || stopping || (interval > 0 && s % interval === 0)) await saveAt();
      if (stopping && !isLast) {
        stopped = true;
        break;
      }
    }
    const result: RunResult = {
      config,
      step: trainer.step,
      stopped,
      finalLoss: last?.loss ?? Number.NaN,
      finalValLoss: lastVal,
      tokensPerSec: seconds > 0 ? tokens / seconds : 0,
      files,
    };
    if ((options.sampleTokens ?? 0) > 0 && data.tokenizer !== undefined) {
      const prompt =
        options.samplePrompt !== undefined
          ? data.tokenizer.encode(options.samplePrompt)
          : Int32Array.of(data.val[0]);
      if (prompt.length === 0) throw new Error('--sample-prompt: the prompt encodes to no tokens');
      const ids = await generate(trainer.model, prompt, { tokens: options.sampleTokens!, seed: config.seed });
      result.sample = data.tokenizer.decode(prompt) + data.tokenizer.decode(ids);
    }
    if (options.report !== false) {
      const { writeReport } = await import('../report/report.js');
      result.files.report = await writeReport([out], join(out, RUN_FILES.report));
    }
    return result;
  } finally {
    trainer.dispose();
    // A backend made here is ours to free (a GPU device holds driver resources until destroyed).
    if (options.backend === undefined) backend.destroy();
  }
}
