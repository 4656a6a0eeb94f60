#!/usr/bin/env node
// Training throughput benchmark (a script, not a test): tokens/s of `fp8lm train` on each backend and
// level, with the cpu backend measured in the same run as the baseline. The first steps are left out
// (pipeline compilation on webgpu, the JIT on cpu); the figure is tokens over the time of the steps
// after them. Each run also prints its last loss, so a backend that is fast but wrong shows.
//
// Prints one JSON object per line: the machine and the backends first (the adapter, for webgpu), then
// one line per backend and level.
//
// With --profile N, the last N steps of each webgpu run are profiled (every dispatch timed on the device
// through timestamp-query): one line with the GPU time per step against the wall time (how busy the
// device was), then one line per kernel (pipeline key), most GPU time first. These are the N steps before the last (whose
// final evaluation would count), and they and the last are left out of the tokens/s.
//
// Usage: node bench/throughput.mjs [--backends cpu,webgpu] [--levels fp32,O2] [--preset shakespeare]
//        [--batch-size 12] [--block-size N] [--steps 30] [--skip 5] [--profile 0]
// A list without cpu has no baseline: its lines carry no ratio.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKENDS, LEVELS, MODEL_PRESET_NAMES, runTraining, TRAIN_DEFAULTS } from '@fp8lm/gpt';
import { fastPathStatus } from '@fp8lm/kernels-cpu';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'cpu,webgpu' },
    levels: { type: 'string', default: 'fp32,O2' },
    preset: { type: 'string', default: 'shakespeare' },
    'batch-size': { type: 'string', default: '12' },
    'block-size': { type: 'string' },
    steps: { type: 'string', default: '30' },
    skip: { type: 'string', default: '5' },
    profile: { type: 'string', default: '0' },
  },
});

function list(flag, value, allowed) {
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!allowed.includes(item)) {
      console.error(
        `throughput: --${flag}: unknown ${JSON.stringify(item)} (expected one of ${allowed.join(', ')})`,
      );
      process.exit(2);
    }
  }
  return items;
}
function count(flag, value, min) {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`throughput: --${flag}: expected an integer ≥ ${min}, found ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}
const backends = list('backends', values.backends, BACKENDS);
const levels = list('levels', values.levels, LEVELS);
const [preset] = list('preset', values.preset, MODEL_PRESET_NAMES);
const batchSize = count('batch-size', values['batch-size'], 1);
const blockSize =
  values['block-size'] === undefined ? undefined : count('block-size', values['block-size'], 1);
const skip = count('skip', values.skip, 0);
const profileSteps = count('profile', values.profile, 0);
const steps = count('steps', values.steps, skip + 1 + (profileSteps > 0 ? profileSteps + 1 : 0));

// One WebGPU backend for every webgpu run (Dawn starts once); runTraining frees only backends it made.
let webgpu;
if (backends.includes('webgpu')) {
  const { createNodeWebGpuBackend } = await import('@fp8lm/kernels-webgpu/node');
  webgpu = await createNodeWebGpuBackend({ profile: profileSteps > 0 });
  if ('unavailable' in webgpu) {
    console.error(`throughput: backend webgpu is unavailable: ${webgpu.unavailable}`);
    process.exit(1);
  }
  if (profileSteps > 0 && webgpu.info.profiling !== 'available') {
    console.error(`throughput: --profile: kernel timing is unavailable (${webgpu.info.profiling})`);
    process.exit(1);
  }
}
console.log(
  JSON.stringify({
    machine: os.cpus()[0]?.model.trim(),
    cores: os.cpus().length,
    node: process.version,
    backends,
    cpuFastPath: fastPathStatus(),
    ...(webgpu === undefined
      ? {}
      : { adapter: webgpu.info.adapter, shaderF16Status: webgpu.info.shaderF16Status }),
    preset,
    ...(profileSteps > 0 ? { profileSteps } : {}),
    batchSize,
    ...(blockSize === undefined ? {} : { blockSize }),
    steps,
    skip,
  }),
);

const root = mkdtempSync(join(os.tmpdir(), 'fp8lm-throughput-'));
async function measure(backend, level) {
  const times = [];
  const profiledTimes = [];
  const profiling = backend === 'webgpu' && profileSteps > 0;
  const lastTimed = profiling ? steps - profileSteps - 1 : steps;
  const lastProfiled = lastTimed + profileSteps;
  let profile;
  let tokensPerStep = 0;
  let lastLoss = Number.NaN;
  const result = await runTraining(
    {
      spec: {
        ...TRAIN_DEFAULTS,
        preset,
        model: blockSize === undefined ? {} : { blockSize },
        level,
        backend,
        steps,
        batchSize,
        warmup: Math.min(TRAIN_DEFAULTS.warmup, Math.floor(steps / 10)),
        evalInterval: 0,
        evalBatches: 1,
      },
      out: join(root, `${backend}-${level}`),
      report: false,
      ...(backend === 'webgpu' ? { backend: webgpu } : {}),
    },
    {
      onStart: ({ config }) => {
        tokensPerStep = config.batchSize * config.model.blockSize;
      },
      onStep: (m) => {
        if (m.step > skip && m.step <= lastTimed) times.push(m.stepTime);
        if (profiling && m.step > lastTimed && m.step <= lastProfiled) profiledTimes.push(m.stepTime);
        // Exactly steps lastTimed + 1 .. lastProfiled: a step's hook runs after all its work.
        if (profiling && m.step === lastTimed) webgpu.startProfile();
        if (profiling && m.step === lastProfiled) profile = webgpu.stopProfile();
        lastLoss = m.loss;
      },
    },
  );
  const seconds = times.reduce((a, b) => a + b, 0);
  return {
    tokensPerSec: (times.length * tokensPerStep) / seconds,
    msPerStep: (1000 * seconds) / times.length,
    lastLoss: result.finalLoss ?? lastLoss,
    profile: profile === undefined ? undefined : { ...(await profile), times: profiledTimes },
  };
}

/** The profile's lines: GPU time per step against wall time, then one per kernel, most time first. */
function printProfile(name, p) {
  const n = p.times.length;
  const wallMs = (1000 * p.times.reduce((a, b) => a + b, 0)) / n;
  const gpuMs = p.gpuMs / n;
  const round = (x, digits = 3) => Number(x.toFixed(digits));
  console.log(
    JSON.stringify({
      bench: `${name}/profile`,
      unit: 'GPU ms/step',
      value: round(gpuMs),
      wallMsPerStep: round(wallMs),
      gpuBusy: round(gpuMs / wallMs),
      dispatchesPerStep: round(p.dispatches / n, 1),
      steps: n,
    }),
  );
  for (const k of p.kernels) {
    console.log(
      JSON.stringify({
        bench: `${name}/kernel`,
        key: k.key,
        unit: 'GPU ms/step',
        value: round(k.gpuMs / n, 4),
        share: round(k.gpuMs / p.gpuMs),
        dispatchesPerStep: round(k.dispatches / n, 1),
        usPerDispatch: round((1000 * k.gpuMs) / k.dispatches, 1),
      }),
    );
  }
}

// cpu first, so that every other backend's line can carry the ratio; each line is printed as soon as
// its run ends (a run cut off by a time limit still leaves the earlier figures).
const order = [...backends].sort((a, b) => Number(b === 'cpu') - Number(a === 'cpu'));
try {
  for (const level of levels) {
    let base;
    for (const backend of order) {
      console.error(`throughput: ${preset} ${level} on ${backend}, ${steps} steps`);
      const r = await measure(backend, level);
      if (backend === 'cpu') base = r;
      const name = `gpt/train-${preset}-${level}-${backend}`;
      console.log(
        JSON.stringify({
          bench: name,
          unit: 'tokens/s',
          value: Math.round(r.tokensPerSec),
          msPerStep: Number(r.msPerStep.toFixed(2)),
          lastLoss: Number(r.lastLoss.toFixed(4)),
          ...(base === undefined
            ? {}
            : {
                baseline: 'cpu',
                baselineValue: Math.round(base.tokensPerSec),
                ratio: Number((r.tokensPerSec / base.tokensPerSec).toFixed(3)),
              }),
        }),
      );
      if (r.profile !== undefined) printProfile(name, r.profile);
    }
  }
} finally {
  webgpu?.destroy();
  rmSync(root, { recursive: true, force: true });
}
