import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJson, readRun, renderSvg, type StepMetrics, summarize, writeReport } from '@fp8lm/gpt';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'fp8lm-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake run folder: a falling loss, and FP8 figures for one linear layer when `fp8`. */
function fakeRun(name: string, level: string, fp8: boolean, steps = 50): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ level }));
  const lines: string[] = [];
  for (let step = 1; step <= steps; step++) {
    const d = (s: number) => ({ scale: s, amax: 448 / s, underflow: 0.01, saturation: step === 7 ? 0.5 : 0 });
    const m: StepMetrics = {
      step,
      loss: 3.5 / Math.sqrt(step),
      lr: 1e-3,
      gradNorm: 1 / step,
      clipCoefficient: 1,
      skipped: step === 7,
      skippedSteps: step >= 7 ? 1 : 0,
      mu: 1,
      gradSaturation: 0,
      tokensPerSec: 1000 + step,
      stepTime: 0.01,
      tensors: fp8
        ? { 'h.0.mlp.c_fc': { x: d(100), w: d(2000), dy: d(1e6), dw: d(4e4) } }
        : { 'h.0.mlp.c_fc': {} },
      ...(step % 10 === 0 ? { valLoss: 3.6 / Math.sqrt(step) } : {}),
    };
    if (step === 7) m.loss = Number.NaN;
    lines.push(encodeJson(m, 'metrics'));
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

describe('report', () => {
  it('renders Vega-Lite to SVG in Node', async () => {
    const svg = await renderSvg({
      data: { values: [{ a: 1, b: 2 }] },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } },
    });
    expect(svg).toMatch(/^<svg[^>]*>/);
  });

  it('overlays runs, plots per-tensor scale, amax, underflow and saturation, and summarizes them', async () => {
    const fp32 = fakeRun('baseline', 'fp32', false);
    const o2 = fakeRun('fp8', 'O2', true);
    const run = await readRun(o2);
    expect(run.label).toBe('fp8 (O2)');
    expect(Number.isNaN(run.metrics[6].loss)).toBe(true); // NaN survives the round trip
    expect(summarize(run)).toMatchObject({
      level: 'O2',
      steps: 50,
      skipped: 1,
      valLoss: 3.6 / Math.sqrt(50),
    });
    const out = join(root, 'report.html');
    await writeReport([fp32, o2], out);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>fp8lm report</title>');
    for (const title of [
      'Training loss',
      'Validation loss',
      'FP8 scale per tensor',
      'amax per tensor',
      'underflow',
      'saturation',
    ]) {
      expect(html).toContain(title);
    }
    expect(html.match(/<svg/g)?.length).toBe(8); // loss, val loss, grad norm; 4 tensor charts + μ for the FP8 run
    expect(html).toContain('<td>baseline (fp32)</td>');
    expect(html).toContain('val / fp32');
  });

  it('names the folder that is not a run', async () => {
    await expect(readRun(join(root, 'nowhere'))).rejects.toThrow(/run folder .*nowhere does not exist/);
    mkdirSync(join(root, 'empty'));
    await expect(readRun(join(root, 'empty'))).rejects.toThrow(/has no metrics\.jsonl/);
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'metrics.jsonl'), '{"step":1}\n{oops\n');
    await expect(readRun(join(root, 'bad'))).rejects.toThrow(/metrics\.jsonl:2: not valid JSON/);
    await expect(writeReport([], join(root, 'x.html'))).rejects.toThrow(/at least one run folder/);
  });
});
