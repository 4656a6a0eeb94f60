import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { prepareShakespeare } from '../data/prepare.js';
import { assertSameVocabulary } from '../data/tokenizer.js';
import { MODEL_PRESET_NAMES, type ModelPreset, parameterCount } from '../model/config.js';
import { generate } from '../model/sample.js';
import { writeReport } from '../report/report.js';
import { BACKENDS } from '../train/backend.js';
import { TRAIN_DEFAULTS, type TrainSpec } from '../train/config.js';
import { loadData } from '../train/data.js';
import { GRAD_SCALINGS, LEVELS, type Level, OPTIMIZER_STATES, SCALING_RECIPES } from '../train/levels.js';
import { loadTrainedModel } from '../train/load.js';
import { checkData, RUN_FILES, runTraining } from '../train/run.js';
import { createProgress } from './progress.js';

/** What the commands print to and how they learn about the terminal (tests pass their own). */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

/** Folds a message onto one line (commander's "(Did you mean ...?)" hint included). */
const oneLine = (text: string) => `${text.trim().replace(/\s*\n\s*/g, ' ')}\n`;

const defaultIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY) && !process.env.CI,
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

const integer = (min: number, what: string) => (value: string) => {
  const n = Number(value);
  if (!/^\s*[+-]?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`expected ${what}.`);
  }
  return n;
};
const positiveInt = integer(1, 'a positive integer');
const nonNegativeInt = integer(0, 'a non-negative integer');
const number = (min: number, max: number, what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new InvalidArgumentError(`expected ${what}.`);
  return n;
};
const positiveNumber = (value: string) => {
  const n = number(0, Infinity, 'a positive number')(value);
  if (n === 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
};
const nonNegativeNumber = number(0, Infinity, 'a non-negative number');
const fraction = number(0, 0.999999, 'a number in [0, 1)');
const seed = integer(0, 'an integer in [0, 2^32)');
const seedArg = (value: string) => {
  const n = seed(value);
  if (n >= 2 ** 32) throw new InvalidArgumentError('expected an integer in [0, 2^32).');
  return n;
};

/** Train flags that map one-to-one onto {@link TrainSpec} fields. */
const SPEC_FLAGS = {
  level: 'level',
  scaling: 'scaling',
  gradScaling: 'gradScaling',
  optimizerState: 'optimizerState',
  backend: 'backend',
  preset: 'preset',
  steps: 'steps',
  batchSize: 'batchSize',
  lr: 'lr',
  minLr: 'minLr',
  warmup: 'warmup',
  weightDecay: 'weightDecay',
  gradClip: 'gradClip',
  beta1: 'beta1',
  beta2: 'beta2',
  seed: 'seed',
  evalInterval: 'evalInterval',
  evalBatches: 'evalBatches',
  checkpointInterval: 'checkpointInterval',
} as const;
const MODEL_FLAGS = ['nLayer', 'nHead', 'nEmbd', 'blockSize'] as const;
const DATA_FLAGS = ['data', 'tokenizer', 'syntheticLength'] as const;

type Opts = Record<string, unknown>;

function trainCommand(io: CliIO): Command {
  const d = TRAIN_DEFAULTS;
  const cmd = new Command('train')
    .description(
      'Train a GPT-2 model; writes DIR/config.json, DIR/metrics.jsonl (one JSON object per step), DIR/checkpoint.safetensors and DIR/report.html',
    )
    .option(
      '--data <source>',
      "'synthetic' (the built-in corpus), a UTF-8 text file, an llm.c .bin shard or a folder of shards",
      d.data.source,
    )
    .addOption(
      new Option('--tokenizer <name>', 'tokenizer of text data')
        .choices(['char', 'gpt2'])
        .default(d.data.tokenizer),
    )
    .option(
      '--synthetic-length <chars>',
      'characters of the synthetic corpus',
      positiveInt,
      d.data.syntheticLength,
    )
    .addOption(new Option('--preset <name>', 'model size').choices(MODEL_PRESET_NAMES).default(d.preset))
    .option('--n-layer <n>', 'transformer blocks (default: from the preset)', positiveInt)
    .option('--n-head <n>', 'attention heads (default: from the preset)', positiveInt)
    .option('--n-embd <n>', 'channels, a multiple of --n-head (default: from the preset)', positiveInt)
    .option('--block-size <n>', 'context length in tokens (default: from the preset)', positiveInt)
    .addOption(
      new Option('--level <level>', 'precision level (DESIGN.md recipe table)')
        .choices(LEVELS)
        .default(d.level),
    )
    .addOption(
      new Option('--scaling <recipe>', 'scaling recipe of the FP8 tensors (FP8 levels only)')
        .choices(SCALING_RECIPES)
        .default(d.scaling),
    )
    .addOption(
      new Option(
        '--grad-scaling <mode>',
        "gradient pre-scale μ (FP8 levels only): 'auto' is FP8-LM's automatic μ, 'fixed' MS-AMP's 1/sqrt(ranks) (1 on one rank)",
      )
        .choices(GRAD_SCALINGS)
        .default(d.gradScaling),
    )
    .addOption(
      new Option(
        '--optimizer-state <layout>',
        "AdamW state layout: 'level' (the level's: 16 bytes/param at fp32 and bf16, 11 at O1, 6 at O2 and O3) or an optimizer preset, e.g. 'O2+fp8v' (5: O2 with a per-group E4M3 second moment)",
      )
        .choices(OPTIMIZER_STATES)
        .default(d.optimizerState),
    )
    .addOption(
      new Option(
        '--backend <name>',
        "compute backend ('cpu-reference': the TypeScript reference kernels; 'webgpu': the GPU through Dawn, SwiftShader without one)",
      )
        .choices(BACKENDS)
        .default(d.backend),
    )
    .option('--steps <n>', 'training steps', positiveInt, d.steps)
    .option('--batch-size <n>', 'sequences per step', positiveInt, d.batchSize)
    .option('--lr <lr>', 'peak learning rate', positiveNumber, d.lr)
    .option('--min-lr <lr>', 'final learning rate of the cosine decay (default: lr / 10)', nonNegativeNumber)
    .option('--warmup <n>', `linear warm-up steps (default: ${d.warmup}, at most steps / 10)`, nonNegativeInt)
    .option(
      '--weight-decay <wd>',
      'AdamW weight decay of 2-D tensors (linear weights, embeddings)',
      nonNegativeNumber,
      d.weightDecay,
    )
    .option('--grad-clip <norm>', 'clip the global gradient norm (0: off)', nonNegativeNumber, d.gradClip)
    .option('--beta1 <b>', 'AdamW beta1', fraction, d.beta1)
    .option('--beta2 <b>', 'AdamW beta2', fraction, d.beta2)
    .option('--seed <n>', 'seed of the initialization and the batch sampler', seedArg, d.seed)
    .option(
      '--eval-interval <n>',
      'evaluate on val every n steps (0: only at the end)',
      nonNegativeInt,
      d.evalInterval,
    )
    .option('--eval-batches <n>', 'val batches per evaluation', positiveInt, d.evalBatches)
    .option(
      '--checkpoint-interval <n>',
      'write the checkpoint every n steps (0: at every eval and at the end)',
      nonNegativeInt,
      d.checkpointInterval,
    )
    .option('--out <dir>', 'run folder (default: runs/<preset>-<level>, or the --resume folder)')
    .option(
      '--resume <dir>',
      'continue the run in this folder (or from this checkpoint file); only --steps, --eval-*, --checkpoint-interval and --data may change (default: a fresh run)',
    )
    .option('--overwrite', 'start over in a folder that already holds a run', false)
    .option(
      '--stop-at <step>',
      'stop after this step with a checkpoint, to --resume later (default: run all --steps)',
      positiveInt,
    )
    .option('--sample-tokens <n>', 'print a sample of n tokens at the end', nonNegativeInt, 0)
    .option('--sample-prompt <text>', 'prompt of that sample (default: the first token of the val split)')
    .option('--no-report', 'skip report.html at the end (default: write it)')
    .option('--log-interval <n>', 'without a TTY: a log line every n steps', positiveInt, 10)
    .action(async (opts: Opts, command: Command) => {
      const given = (flag: string) => command.getOptionValueSource(flag) === 'cli';
      const spec: TrainSpec = {
        ...TRAIN_DEFAULTS,
        data: {
          source: opts.data as string,
          tokenizer: opts.tokenizer as 'char' | 'gpt2',
          syntheticLength: opts.syntheticLength as number,
        },
        model: Object.fromEntries(MODEL_FLAGS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]])),
      };
      for (const [flag, field] of Object.entries(SPEC_FLAGS)) {
        (spec as unknown as Opts)[field] = opts[flag];
      }
      spec.minLr = (opts.minLr as number | undefined) ?? spec.lr / 10;
      spec.warmup = (opts.warmup as number | undefined) ?? Math.min(d.warmup, Math.floor(spec.steps / 10));
      const resume = opts.resume as string | undefined;
      if (resume === undefined && spec.minLr > spec.lr)
        throw new Error(`--min-lr ${spec.minLr} is above --lr ${spec.lr}`);
      if (resume === undefined && spec.warmup > spec.steps) {
        throw new Error(`--warmup ${spec.warmup} is above --steps ${spec.steps}`);
      }
      const explicit = [
        ...Object.keys(SPEC_FLAGS).filter(given),
        ...MODEL_FLAGS.filter(given).map((k) => `model.${k}`),
        ...(DATA_FLAGS.some(given) ? ['data'] : []),
      ];
      const out =
        (opts.out as string | undefined) ??
        (resume !== undefined
          ? resume.endsWith('.safetensors')
            ? dirname(resume)
            : resume
          : join('runs', `${spec.preset}-${spec.level}`));
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
        io.err('interrupted: stopping after this step with a checkpoint (Ctrl-C again to quit at once)\n');
      };
      process.on('SIGINT', onSigint);
      let progress: ReturnType<typeof createProgress> | undefined;
      let floor: number | undefined;
      try {
        const result = await runTraining(
          {
            spec,
            out,
            resume,
            explicit,
            overwrite: opts.overwrite as boolean,
            stopAt: opts.stopAt as number | undefined,
            signal: controller.signal,
            sampleTokens: opts.sampleTokens as number,
            samplePrompt: opts.samplePrompt as string | undefined,
            report: opts.report as boolean,
          },
          {
            onStart(info) {
              floor = info.entropyFloor;
              const c = info.config;
              const m = c.model;
              io.out(
                `fp8lm train: ${c.preset} (${m.nLayer} layers, ${m.nHead} heads, ${m.nEmbd} channels, block ${m.blockSize}, vocab ${m.vocabSize}; ${(parameterCount(m) / 1e6).toFixed(2)}M params) at ${c.level}${c.optimizerState === 'level' ? '' : ` with ${c.optimizerState} optimizer state`} on ${c.backend}\n` +
                  `  data ${c.data.source} (${info.trainTokens} train / ${info.valTokens} val tokens${info.entropyFloor !== undefined ? `, loss floor ${info.entropyFloor.toFixed(3)}` : ''}), ${c.steps} steps of ${c.batchSize}×${m.blockSize} tokens, lr ${c.lr.toPrecision(3)} → ${c.minLr.toPrecision(3)}, out ${out}\n` +
                  (info.startStep > 0 ? `  resuming after step ${info.startStep}\n` : ''),
              );
              progress = createProgress({
                total: c.steps,
                start: info.startStep,
                tty: io.isTTY,
                logInterval: opts.logInterval as number,
                write: (line) => io.out(`${line}\n`),
              });
            },
            onStep: (m) => progress?.step(m),
          },
        );
        progress?.stop();
        progress = undefined;
        const r = result;
        io.out(
          `${r.stopped ? 'stopped' : 'done'} at step ${r.step}: loss ${r.finalLoss.toFixed(4)}` +
            `${r.finalValLoss !== undefined ? `, val loss ${r.finalValLoss.toFixed(4)}` : ''}` +
            `${floor !== undefined ? ` (floor ${floor.toFixed(3)})` : ''}, ${Math.round(r.tokensPerSec)} tokens/s\n` +
            `  checkpoint ${r.files.checkpoint}\n  metrics    ${r.files.metrics}\n`,
        );
        if (r.stopped) io.out(`  resume with: fp8lm train --resume ${out}\n`);
        if (r.sample !== undefined) io.out(`sample:\n${r.sample}\n`);
        if (r.files.report) io.out(`report: ${r.files.report} (open it in a browser)\n`);
        if (controller.signal.aborted) process.exitCode = 130;
      } finally {
        progress?.stop();
        process.off('SIGINT', onSigint);
      }
    });
  return cmd;
}

function sampleCommand(io: CliIO): Command {
  return new Command('sample')
    .description('Generate text from a checkpoint')
    .requiredOption('--checkpoint <file>', 'checkpoint.safetensors written by fp8lm train (required)')
    .requiredOption('--prompt <text>', 'text to continue (required)')
    .option('--tokens <n>', 'tokens to generate', positiveInt, 200)
    .option('--temperature <t>', 'softmax temperature (0: greedy)', nonNegativeNumber, 1)
    .option('--top-k <k>', 'sample among the k most likely tokens (default: all of them)', positiveInt)
    .option('--seed <n>', 'seed of the sampler', seedArg, 1337)
    .action(async (opts: Opts) => {
      const trained = await loadTrainedModel(opts.checkpoint as string);
      try {
        let prompt: Int32Array;
        try {
          prompt = trained.tokenizer.encode(opts.prompt as string);
        } catch (error) {
          throw new Error(`--prompt: ${(error as Error).message}`);
        }
        if (prompt.length === 0) throw new Error('--prompt: expected at least one token of text');
        const ids = await generate(trained.model, prompt, {
          tokens: opts.tokens as number,
          temperature: opts.temperature as number,
          topK: opts.topK as number | undefined,
          seed: opts.seed as number,
        });
        io.out(`${opts.prompt as string}${trained.tokenizer.decode(ids)}\n`);
      } finally {
        trained.dispose();
      }
    });
}

function evalCommand(io: CliIO): Command {
  return new Command('eval')
    .description("Print a checkpoint's validation loss")
    .requiredOption('--checkpoint <file>', 'checkpoint.safetensors written by fp8lm train (required)')
    .option('--data <source>', "data as for train (default: the checkpoint's)")
    .addOption(
      new Option('--tokenizer <name>', "tokenizer of text data (default: the checkpoint's)").choices([
        'char',
        'gpt2',
      ]),
    )
    .option('--eval-batches <n>', "val batches (default: the checkpoint's --eval-batches)", positiveInt)
    .option('--batch-size <n>', "sequences per batch (default: the checkpoint's)", positiveInt)
    .option('--seed <n>', 'seed of the val batch sampler', seedArg, 1337)
    .action(async (opts: Opts) => {
      const path = opts.checkpoint as string;
      const trained = await loadTrainedModel(path);
      try {
        const c = trained.config;
        const spec = {
          ...c.data,
          ...(opts.data !== undefined ? { source: opts.data as string } : {}),
          ...(opts.tokenizer !== undefined ? { tokenizer: opts.tokenizer as 'char' | 'gpt2' } : {}),
        };
        const data = await loadData(spec, opts.seed as number);
        if (data.tokenizer !== undefined) {
          assertSameVocabulary(trained.tokenizer, data.tokenizer, {
            expected: `checkpoint ${path}`,
            found: `data ${data.source}`,
          });
        }
        checkData(c, data);
        const B = (opts.batchSize as number | undefined) ?? c.batchSize;
        const T = c.model.blockSize;
        const batches = (opts.evalBatches as number | undefined) ?? c.evalBatches;
        let sum = 0;
        for (let i = 0; i < batches; i++) {
          const { inputs, targets } = data.batch('val', B, T);
          sum += await trained.model.forward(inputs, targets, B, T);
        }
        io.out(
          `val loss ${(sum / batches).toFixed(4)} (${batches} batches of ${B}×${T} tokens of ${data.source}, ${c.level})\n`,
        );
      } finally {
        trained.dispose();
      }
    });
}

function reportCommand(io: CliIO): Command {
  return new Command('report')
    .description(
      'Write report.html: loss curves of the runs overlaid, per-tensor FP8 scale, amax, underflow and saturation',
    )
    .argument('<dirs...>', 'run folders (written by fp8lm train)')
    .option('--out <file>', 'the report (default: DIR/report.html of the first folder)')
    .action(async (dirs: string[], opts: Opts) => {
      const out = (opts.out as string | undefined) ?? join(dirs[0], RUN_FILES.report);
      io.out(`report ${await writeReport(dirs, resolve(out))}\n`);
    });
}

function prepareCommand(io: CliIO): Command {
  return new Command('prepare')
    .description(
      "Prepare a dataset as nanoGPT's prepare.py does: DIR/input.txt, train.bin, val.bin (llm.c shards), meta.json",
    )
    .addArgument(new Argument('<dataset>', 'the dataset').choices(['shakespeare']))
    .requiredOption('--out <dir>', 'output folder (required)')
    .option('--from <file>', 'a local copy of the text (default: download it from the public URL)')
    .addOption(
      new Option('--tokenizer <name>', 'char-level or GPT-2 BPE').choices(['char', 'gpt2']).default('char'),
    )
    .action(async (_dataset: string, opts: Opts) => {
      const r = await prepareShakespeare({
        out: opts.out as string,
        from: opts.from as string | undefined,
        tokenizer: opts.tokenizer as 'char' | 'gpt2',
      });
      io.out(
        `prepared ${r.source}: ${r.characters} characters, vocabulary ${r.tokenizer.vocabSize}, ${r.trainTokens} train / ${r.valTokens} val tokens in ${opts.out as string}\n`,
      );
    });
}

/** The `fp8lm` program. */
export function buildProgram(io: CliIO = defaultIO): Command {
  const program = new Command('fp8lm')
    .description('FP8 training of GPT models after FP8-LM (arXiv 2310.18313)')
    .version(version())
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (text, write) => write(oneLine(text)),
    });
  for (const cmd of [
    trainCommand(io),
    sampleCommand(io),
    evalCommand(io),
    reportCommand(io),
    prepareCommand(io),
  ]) {
    cmd
      .configureOutput({
        writeOut: io.out,
        writeErr: io.err,
        outputError: (text, write) => write(oneLine(text)),
      })
      .showSuggestionAfterError(true);
    program.addCommand(cmd);
  }
  return program;
}

/** One line for an error: its message with line breaks folded. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return oneLine(`error: ${message}`);
}

/** Runs the program on `argv` (process.argv form); returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const program = buildProgram(io);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // Commander already printed its one-line message (or the help / version).
      return e.exitCode ?? 1;
    }
    io.err(errorLine(error));
    return 1;
  }
}

export type { Level, ModelPreset };
