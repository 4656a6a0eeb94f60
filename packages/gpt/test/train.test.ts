import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dequantize, E4M3, FP16 } from '@fp8lm/fp8-format';
import {
  LEVELS,
  type Level,
  loadTrainedModel,
  readSafetensors,
  resolveTrainConfig,
  runTraining,
  type StepMetrics,
  syntheticDataset,
  TRAIN_DEFAULTS,
  Trainer,
} from '@fp8lm/gpt';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetrics, smallSpec as spec, untimed } from './support/runs.js';

const root = mkdtempSync(join(tmpdir(), 'fp8lm-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Which safetensors dtype each level stores: model weight, optimizer master, m, v. */
const EXPECTED_DTYPES: Record<Level, { linear: string; wte: string; master: string; m: string; v: string }> =
  {
    fp32: { linear: 'F32', wte: 'F32', master: 'F32', m: 'F32', v: 'F32' },
    bf16: { linear: 'F32', wte: 'F32', master: 'F32', m: 'F32', v: 'F32' },
    O1: { linear: 'F16', wte: 'F16', master: 'F16', m: 'F32', v: 'F32' },
    O2: { linear: 'F16', wte: 'F16', master: 'F16', m: 'F8_E4M3', v: 'F16' },
    O3: { linear: 'F8_E4M3', wte: 'F16', master: 'F16', m: 'F8_E4M3', v: 'F16' },
  };

describe('training the tiny preset on the synthetic corpus', () => {
  for (const level of LEVELS) {
    it(`${level}: the loss falls by more than 0.9 nats in 60 steps; the checkpoint keeps native dtypes`, async () => {
      const out = join(root, `level-${level}`);
      const result = await runTraining({ spec: spec({ level }), out, report: false });
      const metrics = readMetrics(out);
      expect(metrics).toHaveLength(60);
      const losses = metrics.map((m) => m.loss);
      const head = mean(losses.slice(0, 5));
      const tail = mean(losses.slice(-10));
      expect(head).toBeGreaterThan(3.1); // ≈ ln(33) at init
      expect(head - tail, `${level}: first 5 steps ${head}, last 10 steps ${tail}`).toBeGreaterThan(0.9);
      expect(result.finalValLoss).toBeLessThan(2.5);
      expect(metrics.every((m) => !m.skipped && Number.isFinite(m.gradNorm) && m.tokensPerSec > 0)).toBe(
        true,
      );
      expect(metrics[59].valLoss).toBe(result.finalValLoss);
      expect(metrics[0].valLoss).toBeUndefined();
      const tensors = metrics[59].tensors['h.1.mlp.c_fc'];
      if (level === 'fp32' || level === 'bf16') {
        expect(tensors).toEqual({});
      } else {
        expect(Object.keys(tensors)).toEqual(['x', 'w', 'dy', 'dw']);
        for (const d of Object.values(tensors)) {
          expect(d.scale).toBeGreaterThan(0);
          expect(d.amax).toBeGreaterThan(0);
          expect(d.underflow).toBeGreaterThanOrEqual(0);
          expect(d.saturation).toBeGreaterThanOrEqual(0);
        }
      }

      const file = await readSafetensors(join(out, 'checkpoint.safetensors'));
      const want = EXPECTED_DTYPES[level];
      const w = 'h.0.mlp.c_fc.weight';
      expect(file.tensors[w].dtype).toBe(want.linear);
      expect(file.tensors[w].shape).toEqual([128, 32]);
      expect(file.tensors.wte.dtype).toBe(want.wte);
      expect(file.tensors[`optimizer.${w}.master`].dtype).toBe(want.master);
      expect(file.tensors[`optimizer.${w}.m`].dtype).toBe(want.m);
      expect(file.tensors[`optimizer.${w}.v`].dtype).toBe(want.v);
      const dtypes = new Set(Object.values(file.tensors).map((t) => t.dtype));
      if (level === 'fp32' || level === 'bf16') expect([...dtypes]).toEqual(['F32']);
      expect(file.metadata['fp8lm.step']).toBe('60');
      expect(JSON.parse(file.metadata['fp8lm.config']).level).toBe(level);
      expect(JSON.parse(file.metadata['fp8lm.tokenizer']).name).toBe('char');
      const scales = JSON.parse(file.metadata['fp8lm.scales']);
      expect(Object.keys(scales)).toHaveLength(8); // 2 blocks × 4 linear layers
      if (level === 'O3') {
        // The E4M3 weight with its scale decodes to the FP16 master within E4M3's precision.
        const extra = JSON.parse(file.metadata['fp8lm.extra']);
        const opt = JSON.parse(file.metadata['fp8lm.optimizer']);
        const masterScale = opt.params.find((p: { name: string }) => p.name === w).masterScale;
        const fromE4M3 = new Float32Array(128 * 32);
        dequantize(E4M3, file.tensors[w].data as Uint8Array, fromE4M3, { scaleInv: extra.weightScaleInv[w] });
        const fromMaster = new Float32Array(128 * 32);
        dequantize(FP16, file.tensors[`optimizer.${w}.master`].data as Uint16Array, fromMaster, {
          scaleInv: 1 / masterScale,
        });
        const amax = fromMaster.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        fromMaster.forEach((x, i) => {
          expect(Math.abs(fromE4M3[i] - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + amax * 2 ** -15);
        });
      }
    });
  }
});

describe('determinism and resume', () => {
  it('gives the same metrics for the same seed, and different ones for another seed', async () => {
    const a = join(root, 'det-a');
    const b = join(root, 'det-b');
    const c = join(root, 'det-c');
    await runTraining({ spec: spec({ steps: 15 }), out: a, report: false });
    await runTraining({ spec: spec({ steps: 15 }), out: b, report: false });
    await runTraining({ spec: spec({ steps: 15, seed: 7 }), out: c, report: false });
    expect(untimed(readMetrics(b))).toEqual(untimed(readMetrics(a)));
    expect(readMetrics(c)[0].loss).not.toBe(readMetrics(a)[0].loss);
  });

  for (const level of ['O2', 'fp32'] as const) {
    it(`${level}: a run stopped at step 12 and resumed has exactly the metrics of an uninterrupted run`, async () => {
      const s = spec({ level, steps: 24, evalInterval: 6, gradScaling: 'auto' });
      const whole = join(root, `whole-${level}`);
      const parts = join(root, `parts-${level}`);
      await runTraining({ spec: s, out: whole, report: false });
      const first = await runTraining({ spec: s, out: parts, stopAt: 12, report: false });
      expect(first.stopped).toBe(true);
      expect(readMetrics(parts)).toHaveLength(12);
      // A crash after the checkpoint leaves metrics past it; the resumed run drops them.
      appendFileSync(join(parts, 'metrics.jsonl'), '{"step":13,"loss":9}\n');
      const resumed = await runTraining({
        spec: { ...TRAIN_DEFAULTS, model: {} },
        out: parts,
        resume: parts,
        report: false,
      });
      expect(resumed.stopped).toBe(false);
      expect(resumed.step).toBe(24);
      expect(untimed(readMetrics(parts))).toEqual(untimed(readMetrics(whole)));
      const a = readFileSync(join(whole, 'checkpoint.safetensors'));
      const b = readFileSync(join(parts, 'checkpoint.safetensors'));
      expect(b.equals(a)).toBe(true);
    });
  }

  it('refuses a resumed run whose explicit flags contradict the checkpoint, before writing anything', async () => {
    const dir = join(root, 'whole-O2');
    const before = readFileSync(join(dir, 'checkpoint.safetensors'));
    await expect(
      runTraining({
        spec: spec({ level: 'O1', steps: 30 }),
        out: dir,
        resume: dir,
        explicit: ['level', 'steps'],
      }),
    ).rejects.toThrow(/--level "O1" does not match the checkpoint .* which has "O2"/);
    await expect(
      runTraining({
        spec: spec({ model: { nLayer: 3 } }),
        out: dir,
        resume: dir,
        explicit: ['model.nLayer'],
      }),
    ).rejects.toThrow(/--n-layer 3 does not match/);
    await expect(
      runTraining({ spec: spec({ steps: 24 }), out: dir, resume: dir, explicit: ['steps'] }),
    ).rejects.toThrow(/is at step 24, and the run has 24 steps: nothing to do/);
    await expect(runTraining({ spec: spec(), out: dir })).rejects.toThrow(/already holds a run/);
    expect(readFileSync(join(dir, 'checkpoint.safetensors')).equals(before)).toBe(true);
  });
});

describe('non-finite gradients and the pre-scale μ', () => {
  it('skips a step with a non-finite gradient, counts it, halves μ and keeps training', async () => {
    const out = join(root, 'nan');
    await runTraining({
      spec: spec({ steps: 20, gradScaling: 'auto' }),
      out,
      report: false,
      injectNonFiniteAt: [8],
    });
    const m = readMetrics(out);
    expect(m[7].skipped).toBe(true);
    expect(m[7].skipReason).toMatch(/non-finite gradient/);
    expect(m.filter((x) => x.skipped)).toHaveLength(1);
    expect(m[6].skippedSteps).toBe(0);
    expect(m[19].skippedSteps).toBe(1);
    expect(m[8].mu).toBeCloseTo(m[7].mu / 2, 6);
    // Delayed scaling: the NaN amax restarted the amax histories, so step 9 scales just in time again.
    // μ is applied at the weight-gradient cast, so that scale aims at 448·μ.
    const dw = m[8].tensors['h.0.mlp.c_fc'].dw;
    expect(dw.amax * dw.scale).toBeCloseTo(448 * m[8].mu, 0);
    expect(m.slice(8).every((x) => Number.isFinite(x.loss) && !x.skipped)).toBe(true);
    const file = await readSafetensors(join(out, 'checkpoint.safetensors'));
    const opt = JSON.parse(file.metadata['fp8lm.optimizer']);
    expect(opt.step).toBe(19); // 20 steps, one skipped
    expect(opt.skipped).toBe(1);
    expect(mean(m.slice(-5).map((x) => x.loss))).toBeLessThan(mean(m.slice(0, 5).map((x) => x.loss)) - 0.3);
  });

  it('divides μ out exactly: while casts scale from their own amax, the optimizer sees the same gradients for any μ', async () => {
    const config = resolveTrainConfig(spec({ gradScaling: 'auto', steps: 10 }), 33);
    const run = async (initialMu: number) => {
      const data = syntheticDataset({ length: 60_000 });
      const trainer = new Trainer(createCpuBackend(), config, data, { initialMu });
      const out: StepMetrics[] = [];
      for (let i = 0; i < 10; i++) out.push(await trainer.trainStep());
      trainer.dispose();
      return out;
    };
    const one = await run(1);
    const eighth = await run(0.125);
    expect(eighth[0].mu).toBe(0.125);
    expect(one[0].mu).toBe(1);
    // The first steps scale just in time (the amax histories fill up): μ only moves the codes' binade.
    // Later, delayed scales lag the amaxes, and a μ below 1 is headroom that changes what saturates.
    for (let i = 0; i < 6; i++) {
      expect(Math.abs(eighth[i].gradNorm / one[i].gradNorm - 1)).toBeLessThan(0.02);
      expect(Math.abs(eighth[i].loss - one[i].loss)).toBeLessThan(0.02);
    }
    // On one rank 'fixed' is MS-AMP's 1/sqrt(1) = 1; fp32 and bf16 never pre-scale.
    const fixed = new Trainer(
      createCpuBackend(),
      { ...config, gradScaling: 'fixed' },
      syntheticDataset({ length: 60_000 }),
    );
    expect(fixed.mu).toBe(1);
    fixed.dispose();
    const fp32 = new Trainer(
      createCpuBackend(),
      { ...config, level: 'fp32' },
      syntheticDataset({ length: 60_000 }),
      {
        initialMu: 0.5,
      },
    );
    expect(fp32.mu).toBe(1);
    fp32.dispose();
  });

  it("'auto' with delayed scaling: μ halves on saturation and then holds, since the amax histories do not absorb it", async () => {
    const out = join(root, 'auto-mu');
    await runTraining({ spec: spec({ steps: 150, gradScaling: 'auto' }), out, report: false });
    const m = readMetrics(out);
    const halvings = m.filter((x, i) => i > 0 && x.mu < m[i - 1].mu).length;
    // Scaling the loss gradient by μ instead (the histories then re-adapt within 16 steps) halves μ
    // again and again: 0.5^k after k saturating steps.
    expect(halvings, `μ per step: ${m.map((x) => x.mu.toFixed(3)).join(' ')}`).toBeLessThanOrEqual(3);
    expect(m[149].mu).toBeGreaterThanOrEqual(0.125);
    const saturating = m.filter((x) => x.gradSaturation > 1e-5).length;
    expect(saturating).toBeLessThanOrEqual(halvings);
    expect(mean(m.slice(-10).map((x) => x.loss))).toBeLessThan(mean(m.slice(0, 5).map((x) => x.loss)) - 0.9);
  });

  it('loads a checkpoint for inference with the weights training used', async () => {
    const out = join(root, 'load-O2');
    await runTraining({ spec: spec({ steps: 30 }), out, report: false });
    const trained = await loadTrainedModel(join(out, 'checkpoint.safetensors'));
    expect(trained.config.level).toBe('O2');
    expect(trained.tokenizer.vocabSize).toBe(33);
    const data = syntheticDataset({ length: 60_000, seed: 99 });
    const { inputs, targets } = data.batch('val', 8, 32);
    const loss = await trained.model.forward(inputs, targets, 8, 32);
    expect(loss).toBeLessThan(2.9);
    trained.dispose();
  });
});
