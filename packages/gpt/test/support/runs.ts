import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJson, type StepMetrics, TRAIN_DEFAULTS, type TrainSpec } from '@fp8lm/gpt';

// Helpers of the tests that train whole runs: one small run's spec, and its metrics read back.

/** A very small run: the tiny preset at 32 channels, batches of 8, on 60k characters of the synthetic corpus. */
export function smallSpec(over: Partial<TrainSpec> = {}): TrainSpec {
  return {
    ...TRAIN_DEFAULTS,
    data: { ...TRAIN_DEFAULTS.data, syntheticLength: 60_000 },
    model: { nEmbd: 32 },
    steps: 60,
    warmup: 6,
    lr: 1e-2,
    minLr: 1e-3,
    batchSize: 8,
    evalInterval: 0,
    evalBatches: 2,
    ...over,
  };
}

/** A run folder's metrics.jsonl. */
export function readMetrics(dir: string): StepMetrics[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => decodeJson(l) as StepMetrics);
}

/** Metrics without the wall-clock fields, which differ between any two runs. */
export function untimed(metrics: StepMetrics[]): unknown[] {
  return metrics.map(({ tokensPerSec: _t, stepTime: _s, ...rest }) => rest);
}
