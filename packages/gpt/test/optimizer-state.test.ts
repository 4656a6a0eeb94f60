import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkTrainConfig,
  levelPlan,
  readSafetensors,
  resolveTrainConfig,
  runTraining,
  type StepMetrics,
  syntheticDataset,
  TRAIN_DEFAULTS,
  Trainer,
  type TrainSpec,
  writeReport,
} from '@fp8lm/gpt';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetrics as metrics, smallSpec, untimed } from './support/runs.js';

// `optimizerState` (`fp8lm train --optimizer-state`): the level's AdamW layout by default, or one of
// the optimizer's presets; `O2+fp8v` keeps the second moment in E4M3 per group (COAT) for 5 bytes per
// parameter instead of O2's 6.
const root = mkdtempSync(join(tmpdir(), 'fp8lm-optstate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The shared small run, 40 steps with 4 of warm-up. */
const spec = (over: Partial<TrainSpec> = {}) => smallSpec({ steps: 40, warmup: 4, ...over });

describe('optimizerState', () => {
  it("'level' keeps each level's layout; a preset replaces it; anything else is refused", () => {
    expect(levelPlan('O2').optimizerPreset).toBe('O2');
    expect(levelPlan('O1', 'delayed', 'level').optimizerPreset).toBe('O1');
    expect(levelPlan('fp32', 'delayed', 'level').optimizerPreset).toBe('fp32');
    expect(levelPlan('O2', 'delayed', 'O2+fp8v').optimizerPreset).toBe('O2+fp8v');
    expect(levelPlan('fp32', 'delayed', 'O2').optimizerPreset).toBe('O2');
    expect(() => levelPlan('O2', 'delayed', 'O4' as never)).toThrow(
      'optimizerState: expected one of level, fp32, O1, O2, O2+fp8v, found "O4"',
    );
    const config = resolveTrainConfig(spec(), 33);
    expect(() => checkTrainConfig({ ...config, optimizerState: 'O4' as never })).toThrow(/^optimizerState: /);
    // A config from a checkpoint older than the field trained with the level's layout.
    const { optimizerState: _, ...old } = config;
    expect(checkTrainConfig(old as never).optimizerState).toBe('level');
  });

  it('O2+fp8v holds 5 bytes of state per parameter against O2’s 6, and trains as O2 does', async () => {
    const data = syntheticDataset({ length: 60_000 });
    const bytes: Record<string, number> = {};
    for (const optimizerState of ['level', 'O2+fp8v'] as const) {
      const config = resolveTrainConfig(spec({ optimizerState }), data.tokenizer?.vocabSize ?? 0);
      const trainer = new Trainer(createCpuBackend(), config, data);
      bytes[optimizerState] = trainer.optimizer.memoryReport().bytesPerParam.state;
      trainer.dispose();
    }
    expect(bytes.level).toBe(6);
    expect(bytes['O2+fp8v']).toBe(5);

    const o2 = join(root, 'o2');
    const fp8v = join(root, 'fp8v');
    await runTraining({ spec: spec(), out: o2, report: false });
    await runTraining({ spec: spec({ optimizerState: 'O2+fp8v' }), out: fp8v, report: false });
    const [a, b] = [metrics(o2), metrics(fp8v)];
    const tail = (m: StepMetrics[]) => m.slice(-10).reduce((s, x) => s + x.loss, 0) / 10;
    // Same first step (the state's layout matters only from the first update on), then close.
    expect(b[0].loss).toBe(a[0].loss);
    expect(b[39].loss).not.toBe(a[39].loss);
    expect(tail(b)).toBeLessThan(a[0].loss - 1);
    expect(Math.abs(tail(b) - tail(a))).toBeLessThan(0.05);
    // The checkpoint holds v as E4M3 codes with a max and an exponent per group.
    const ckpt = await readSafetensors(join(fp8v, 'checkpoint.safetensors'));
    const v = ckpt.tensors['optimizer.h.0.mlp.c_fc.weight.v'];
    expect(v?.dtype).toBe('F8_E4M3');
    const groups = ckpt.tensors['optimizer.h.0.mlp.c_fc.weight.v.groupMax'];
    expect(groups?.dtype).toBe('F32');
    expect(ckpt.tensors['optimizer.h.0.mlp.c_fc.weight.v.exponent']?.shape).toEqual(groups?.shape);
    // The report tells the two runs apart.
    const report = join(root, 'report.html');
    await writeReport([o2, fp8v], report);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<td>O2, O2+fp8v optimizer state</td>');
    expect(html).toContain('<td>O2</td>');
  });

  it('O2+fp8v: a run stopped at step 10 and resumed has exactly the metrics and checkpoint of an uninterrupted run', async () => {
    const s = spec({ optimizerState: 'O2+fp8v', steps: 20 });
    const whole = join(root, 'whole');
    const parts = join(root, 'parts');
    await runTraining({ spec: s, out: whole, report: false });
    await runTraining({ spec: s, out: parts, stopAt: 10, report: false });
    const resumed = await runTraining({
      spec: { ...TRAIN_DEFAULTS, model: {} },
      out: parts,
      resume: parts,
      report: false,
    });
    expect(resumed.step).toBe(20);
    expect(untimed(metrics(parts))).toEqual(untimed(metrics(whole)));
    expect(
      readFileSync(join(parts, 'checkpoint.safetensors')).equals(
        readFileSync(join(whole, 'checkpoint.safetensors')),
      ),
    ).toBe(true);
    // The layout is part of the run: a resume cannot change it.
    await expect(
      runTraining({
        spec: spec({ optimizerState: 'O2', steps: 30 }),
        out: parts,
        resume: parts,
        explicit: ['optimizerState', 'steps'],
      }),
    ).rejects.toThrow(/--optimizer-state "O2" does not match the checkpoint .* which has "O2\+fp8v"/);
  });
});
