import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJson, runTraining, type StepMetrics, TRAIN_DEFAULTS, type TrainSpec } from '@fp8lm/gpt';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import { afterAll, describe, expect, it } from 'vitest';

// `--backend webgpu` against `--backend cpu`: the same seed, data and schedule, 20 steps each. The
// backends sum in different orders, so the losses drift apart by rounding; FP8 levels also flip the odd
// code at a rounding boundary. The tolerances below bound that drift and are far below what a wrong
// kernel gives (a broken backward or a wrong scale moves the loss by ≥ 0.05 within a few steps).
const TOLERANCE = { fp32: 2e-3, O2: 2e-2 } as const;

const required = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_WEBGPU === '1';
const gpu = await createNodeWebGpuBackend();
const reason = 'unavailable' in gpu ? gpu.unavailable : '';

const root = mkdtempSync(join(tmpdir(), 'fp8lm-webgpu-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (!('unavailable' in gpu)) gpu.destroy();
});

function spec(level: keyof typeof TOLERANCE, backend: TrainSpec['backend']): TrainSpec {
  return {
    ...TRAIN_DEFAULTS,
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
  for (const level of ['fp32', 'O2'] as const) {
    it(`${level}: the first 20 losses match the cpu backend's within ${TOLERANCE[level]}`, async () => {
      const cpu = await losses(level, 'cpu');
      const webgpu = await losses(level, 'webgpu');
      expect(webgpu).toHaveLength(20);
      const worst = Math.max(...cpu.map((l, i) => Math.abs(l - webgpu[i])));
      expect(
        worst,
        `cpu ${cpu.map((l) => l.toFixed(4))}\nwebgpu ${webgpu.map((l) => l.toFixed(4))}`,
      ).toBeLessThan(TOLERANCE[level]);
      // And it learns: the last 5 losses are well below the first 5.
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(webgpu.slice(0, 5)) - mean(webgpu.slice(-5))).toBeGreaterThan(0.3);
    });
  }
});
