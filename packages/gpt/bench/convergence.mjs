#!/usr/bin/env node
// Convergence benchmark (a script, not a test): nanoGPT's shakespeare_char CPU run — char-level
// tinyshakespeare, the `shakespeare` preset (4 layers, 4 heads, 128 channels, block 64), batch 12,
// lr 1e-3 with 100 warm-up steps and cosine to 1e-4, weight decay 0.1, grad clip 1.0 — at each level
// (fp32, bf16, O1, O2, O3, and O2+fp8v: O2 with the 5-byte optimizer state). nanoGPT's published run reaches val loss ≈1.88 after 2000 steps; the goal is
// fp32 ≤ 1.90 and every FP8 level within 1% of fp32.
//
// Prints one JSON object per line (the first says which machine and backend), writes each level's run
// folder under --out, and a report (report.html and figures/*.svg) over all levels.
//
// Usage:
//   node bench/convergence.mjs                 quick: 100 steps per level (a few minutes)
//   node bench/convergence.mjs --full          the 2000-step run (hours on 2 cores: use --max-minutes)
//   node bench/convergence.mjs --full --levels fp32,O2 --max-minutes 20
//   node bench/convergence.mjs --full          again: resumes every level from its checkpoint
// Flags: --levels LIST, --steps N, --data FILE (default ../shared/data/tinyshakespeare.txt),
// --out DIR (default node_modules/.cache/fp8lm-bench/convergence[-quick]), --max-minutes M (stop every run with a
// checkpoint when the time is up; run again to continue), --eval-interval N, --eval-batches N, --fresh.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createModel,
  decodeJson,
  LEVELS,
  lineChart,
  readRun,
  renderSvg,
  resolveConfig,
  runTraining,
  TRAIN_DEFAULTS,
  writeReport,
} from '@fp8lm/gpt';
import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    levels: { type: 'string', default: [...LEVELS, 'O2+fp8v'].join(',') },
    steps: { type: 'string' },
    data: { type: 'string', default: resolve(repo, '../shared/data/tinyshakespeare.txt') },
    out: { type: 'string' },
    'max-minutes': { type: 'string' },
    'eval-interval': { type: 'string' },
    'eval-batches': { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
});
const full = values.full;
const steps = Number(values.steps ?? (full ? 2000 : 100));
// A run is a level with its own optimizer state, or O2+fp8v: O2 with the 5-byte state
// (`--optimizer-state O2+fp8v`, the second moment in E4M3 per group).
const RUNS = {
  ...Object.fromEntries(LEVELS.map((level) => [level, { level, optimizerState: 'level' }])),
  'O2+fp8v': { level: 'O2', optimizerState: 'O2+fp8v' },
};
const levels = values.levels.split(',').map((l) => l.trim());
for (const l of levels)
  if (!Object.hasOwn(RUNS, l))
    throw new Error(`--levels: unknown level ${l} (have ${Object.keys(RUNS).join(', ')})`);
if (!existsSync(values.data)) {
  // A clone without ../shared has no data: skip (exit 0) so `npm run bench` still runs the others.
  console.error(
    `convergence: skipped, ${values.data} does not exist (pass --data FILE with tinyshakespeare's text)`,
  );
  process.exit(0);
}
// Run folders are large and generated: by default under node_modules/.cache, outside git and the linter.
const out = resolve(
  values.out ??
    join(repo, 'node_modules', '.cache', 'fp8lm-bench', full ? 'convergence' : 'convergence-quick'),
);
const deadline = values['max-minutes'] ? Date.now() + Number(values['max-minutes']) * 60_000 : undefined;

const spec = {
  ...TRAIN_DEFAULTS,
  data: { source: values.data, tokenizer: 'char', syntheticLength: TRAIN_DEFAULTS.data.syntheticLength },
  preset: 'shakespeare',
  model: {},
  steps,
  batchSize: 12,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: Math.min(100, Math.floor(steps / 10)),
  weightDecay: 0.1,
  gradClip: 1.0,
  beta1: 0.9,
  beta2: 0.99,
  seed: 1337,
  evalInterval: Number(values['eval-interval'] ?? (full ? 250 : 50)),
  evalBatches: Number(values['eval-batches'] ?? (full ? 50 : 10)),
  checkpointInterval: 0,
};

const fast = fastPathStatus();
console.log(
  JSON.stringify({
    bench: 'gpt/convergence',
    machine: os.cpus()[0]?.model.trim(),
    cores: os.cpus().length,
    node: process.version,
    backend: 'cpu',
    fastPath: fast.available ? fast.info.kernel : false,
    mode: full ? 'full' : 'quick',
    steps,
    data: values.data,
    config: {
      preset: spec.preset,
      batchSize: spec.batchSize,
      lr: spec.lr,
      minLr: spec.minLr,
      warmup: spec.warmup,
    },
  }),
);

mkdirSync(out, { recursive: true });
const results = {};
for (const level of levels) {
  const dir = join(out, level);
  if (values.fresh) rmSync(dir, { recursive: true, force: true });
  const ckpt = join(dir, 'checkpoint.safetensors');
  let done = false;
  if (existsSync(ckpt) && existsSync(join(dir, 'config.json'))) {
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    if (saved.steps !== steps)
      throw new Error(
        `${dir} holds a run of ${saved.steps} steps, not ${steps}: use --fresh or another --out`,
      );
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    done = decodeJson(metrics[metrics.length - 1]).step >= steps;
  }
  if (!done && (deadline === undefined || Date.now() < deadline)) {
    const signal =
      deadline === undefined ? undefined : AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    await runTraining({
      spec: { ...spec, ...RUNS[level] },
      out: dir,
      resume: existsSync(ckpt) ? dir : undefined,
      overwrite: !existsSync(ckpt),
      signal,
      report: false,
    });
  }
  if (!existsSync(join(dir, 'metrics.jsonl'))) continue;
  const run = await readRun(dir);
  const m = run.metrics;
  const last = m[m.length - 1];
  const vals = m.filter((x) => x.valLoss !== undefined);
  const tps = m
    .slice(1)
    .map((x) => x.tokensPerSec)
    .sort((a, b) => a - b);
  // Optimizer state bytes per parameter, from the device tensors the level's AdamW holds.
  const config = resolveConfig('shakespeare', 65);
  const { model, optimizer } = createModel(createCpuBackend({ fast: false }), {
    ...spec,
    ...RUNS[level],
    model: config,
  });
  const memory = optimizer.memoryReport().bytesPerParam;
  model.dispose();
  optimizer.dispose();
  results[level] = {
    step: last.step,
    complete: last.step >= steps,
    valLoss: vals.length > 0 ? vals[vals.length - 1].valLoss : undefined,
    valStep: vals.length > 0 ? vals[vals.length - 1].step : undefined,
    loss: last.loss,
    tokensPerSec: tps[Math.floor(tps.length / 2)],
    optimizerBytesPerParam: memory.state,
    optimizerBytesPerParamWithScales: memory.total,
    skipped: last.skippedSteps,
  };
}

const base = results.fp32;
for (const level of levels) {
  const r = results[level];
  if (r === undefined) continue;
  const ratio =
    base?.valLoss !== undefined && r.valLoss !== undefined && base.valStep === r.valStep
      ? r.valLoss / base.valLoss
      : undefined;
  console.log(
    JSON.stringify({
      bench: `gpt/convergence/${level}`,
      unit: 'val loss',
      value: r.valLoss,
      baseline: 'fp32',
      baselineValue: base?.valLoss,
      ratio,
      atStep: r.valStep,
      complete: r.complete,
      tokensPerSec: r.tokensPerSec,
      tokensPerSecRatio: base ? r.tokensPerSec / base.tokensPerSec : undefined,
      optimizerBytesPerParam: r.optimizerBytesPerParam,
      optimizerBytesRatio: base ? r.optimizerBytesPerParam / base.optimizerBytesPerParam : undefined,
      skippedSteps: r.skipped,
    }),
  );
}

const dirs = levels.map((l) => join(out, l)).filter((d) => existsSync(join(d, 'metrics.jsonl')));
if (dirs.length > 0) {
  await writeReport(dirs, join(out, 'report.html'));
  // The figures for the docs: loss curves of every level overlaid.
  const runs = await Promise.all(dirs.map((d) => readRun(d)));
  const figures = join(out, 'figures');
  mkdirSync(figures, { recursive: true });
  const train = [];
  const val = [];
  for (const [i, r] of runs.entries()) {
    const level = basename(dirs[i]); // the run's name: O2+fp8v apart from O2
    for (const m of r.metrics) {
      if (m.step % 10 === 0 && Number.isFinite(m.loss)) train.push({ step: m.step, loss: m.loss, level });
      if (m.valLoss !== undefined) val.push({ step: m.step, 'val loss': m.valLoss, level });
    }
  }
  const title = `tinyshakespeare char, preset shakespeare, batch 12 × 64`;
  // Standalone files: a <title> for screen readers, and no Vega ARIA roles on <g> groups (lint-clean).
  const figure = async (name, text, spec) => {
    const svg = (await renderSvg(spec))
      .replace(/ (role|aria-[a-z]+)="[^"]*"/g, '')
      .replace(/^<svg([^>]*)>/, (_, attrs) => `<svg${attrs}><title>${text}</title>`);
    writeFileSync(join(figures, name), svg);
  };
  const trainTitle = `Training loss — ${title}`;
  const valTitle = `Validation loss — ${title}`;
  await figure(
    'train-loss.svg',
    trainTitle,
    lineChart({ title: trainTitle, rows: train, x: 'step', y: 'loss', series: 'level' }),
  );
  await figure(
    'val-loss.svg',
    valTitle,
    lineChart({ title: valTitle, rows: val, x: 'step', y: 'val loss', series: 'level', points: true }),
  );
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ steps, spec, results }, null, 2)}\n`);
}
