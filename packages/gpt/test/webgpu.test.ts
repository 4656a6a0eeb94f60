import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJson, runTraining, type StepMetrics, TRAIN_DEFAULTS, type TrainSpec } from '@fp8lm/gpt';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import { afterAll, describe, expect, it } from 'vitest';

// `--backend webgpu` against `--backend cpu`: the same seed, data and schedule, 20 steps each. The
// backends sum in different orders, so the losses drift apart by rounding. At the FP8 levels the drift
// grows faster: a sum that lands on the other side of a rounding boundary flips an E4M3 code (a 6%
// change of one element), and AdamW carries that on. The CPU backend's own two paths (the native fast
// path and the TypeScript reference) differ by up to 0.030 in these 20 O2 steps, and by < 1e-3 in the
// first 8; the tolerances below allow for that and are far below what a wrong kernel gives (a broken
// backward or a wrong scale moves the loss by ≥ 0.05 within a few steps, and fails the early bound).
const TOLERANCE = {
  fp32: { early: 2e-3, all: 2e-3 },
  O2: { early: 2e-3, all: 0.05 },
  // O2 with the 5-byte optimizer state (the second moment in E4M3 per group): the same bounds.
  'O2+fp8v': { early: 2e-3, all: 0.05 },
} as const;
const EARLY = 8;

const required = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_WEBGPU === '1';
const gpu = await createNodeWebGpuBackend();
const reason = 'unavailable' in gpu ? gpu.unavailable : '';

const root = mkdtempSync(join(tmpdir(), 'fp8lm-webgpu-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (!('unavailable' in gpu)) gpu.destroy();
});

function spec(run: keyof typeof TOLERANCE, backend: TrainSpec['backend']): TrainSpec {
  const level = run === 'O2+fp8v' ? 'O2' : run;
  return {
    ...TRAIN_DEFAULTS,
    optimizerState: run === 'O2+fp8v' ? 'O2+fp8v' : 'level',
    data: { ...TRAIN_DEFAULTS.data, syntheticLength: 40_000 },
    model: { nEmbd: 32 },
    level,
    backend,
    steps: 20,
    warmup: 4,
    lr: 1e-2,
    minLr: 1e-3,
    batchSize: 4,
    evalInterval: 0,
    evalBatches: 1,
  };
}

async function losses(level: keyof typeof TOLERANCE, backend: 'cpu' | 'webgpu'): Promise<number[]> {
  const out = join(root, `${level}-${backend}`);
  await runTraining({
    spec: spec(level, backend),
    out,
    report: false,
    ...(backend === 'webgpu' && !('unavailable' in gpu) ? { backend: gpu } : {}),
  });
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (decodeJson(l) as StepMetrics).loss);
}

describe('fp8lm train --backend webgpu', () => {
  it.skipIf(reason !== '' && !required)(
    reason === '' ? 'has a WebGPU adapter' : `has a WebGPU adapter (it has not: ${reason})`,
    () => expect(reason).toBe(''),
  );
  if (reason !== '') return;
  for (const level of ['fp32', 'O2', 'O2+fp8v'] as const) {
    const tol = TOLERANCE[level];
    it(`${level}: the first 20 losses match the cpu backend's within ${tol.all} (the first ${EARLY} within ${tol.early})`, async () => {
      const cpu = await losses(level, 'cpu');
      const webgpu = await losses(level, 'webgpu');
      expect(webgpu).toHaveLength(20);
      const diff = cpu.map((l, i) => Math.abs(l - webgpu[i]));
      const trace = `cpu ${cpu.map((l) => l.toFixed(4))}\nwebgpu ${webgpu.map((l) => l.toFixed(4))}`;
      expect(Math.max(...diff.slice(0, EARLY)), trace).toBeLessThan(tol.early);
      expect(Math.max(...diff), trace).toBeLessThan(tol.all);
      // And it learns: the last 5 losses are well below the first 5.
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(webgpu.slice(0, 5)) - mean(webgpu.slice(-5))).toBeGreaterThan(0.3);
    });
  }
});
