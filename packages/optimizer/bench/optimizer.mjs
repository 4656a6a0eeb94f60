#!/usr/bin/env node
// Optimizer benchmark: bytes/param from memoryReport() and AdamW update throughput (params/s) on
// 10M parameters for each preset, with fp32 measured in the same run as the baseline; and, where
// kernels-cpu's native fast path is built, each preset's step on it against the TypeScript reference.
// Usage: node bench/optimizer.mjs [--params N] [--steps N]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import { AdamW } from '@fp8lm/optimizer';

const { values } = parseArgs({
  options: { params: { type: 'string', default: '10000000' }, steps: { type: 'string', default: '3' } },
});
const n = Number(values.params);
const steps = Number(values.steps);
console.log(
  JSON.stringify({
    machine: os.cpus()[0]?.model.trim(),
    cores: os.cpus().length,
    node: process.version,
    backend: 'cpu',
    params: n,
    steps,
  }),
);

// Four tensors, like a transformer block's weights, so per-tensor work is exercised too.
const shapes = [0.5, 0.25, 0.125, 0.125].map((f) => Math.round(f * n));
let s = 7;
const rand = () => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return s / 2 ** 32 - 0.5;
};
const weights = shapes.map((k) => new Float32Array(k).map(() => rand() * 0.1));
const grads = shapes.map((k) => new Float32Array(k).map(() => rand() * 1e-3));

async function measure(preset, fast) {
  const opt = new AdamW(createCpuBackend({ fast }), { preset, lr: 1e-3, weightDecay: 0.1, clipGradNorm: 1 });
  for (const [i, w] of weights.entries()) opt.addParam(`p${i}`, w);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= steps; k++) {
    for (let i = 0; i < grads.length; i++) await opt.writeGrad(`p${i}`, grads[i]);
    const t0 = performance.now();
    await opt.step();
    const dt = performance.now() - t0;
    if (k > 0) best = Math.min(best, dt); // the first step warms up the JIT
  }
  const memory = opt.memoryReport();
  opt.dispose();
  return { paramsPerSec: n / (best / 1000), memory };
}

const fast = fastPathStatus().available;
const base = await measure('fp32', fast);
for (const preset of ['fp32', 'O1', 'O2', 'O2+fp8v']) {
  const r = preset === 'fp32' ? base : await measure(preset, fast);
  const b = r.memory.bytesPerParam;
  console.log(
    JSON.stringify({
      bench: `optimizer/bytes-per-param-${preset}`,
      unit: 'B/param',
      value: Number(b.total.toFixed(4)),
      state: b.state,
      components: { master: b.master, grad: b.grad, m: b.m, v: b.v, scaling: Number(b.scaling.toFixed(4)) },
      baseline: 'fp32',
      baselineValue: base.memory.bytesPerParam.total,
      ratio: Number((b.total / base.memory.bytesPerParam.total).toFixed(4)),
    }),
  );
  console.log(
    JSON.stringify({
      bench: `optimizer/adamw-step-${preset}`,
      unit: 'Mparams/s',
      value: Number((r.paramsPerSec / 1e6).toFixed(2)),
      baseline: 'fp32',
      baselineValue: Number((base.paramsPerSec / 1e6).toFixed(2)),
      ratio: Number((r.paramsPerSec / base.paramsPerSec).toFixed(3)),
    }),
  );
  if (!fast) continue;
  const ref = await measure(preset, false);
  console.log(
    JSON.stringify({
      bench: `optimizer/adamw-step-${preset}-fast-path`,
      unit: 'Mparams/s',
      value: Number((r.paramsPerSec / 1e6).toFixed(2)),
      baseline: 'kernels-cpu TypeScript reference',
      baselineValue: Number((ref.paramsPerSec / 1e6).toFixed(2)),
      ratio: Number((r.paramsPerSec / ref.paramsPerSec).toFixed(3)),
    }),
  );
}
