import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeBytesAtomic } from '../checkpoint/atomic.js';
import { decodeJson } from '../checkpoint/json.js';
import type { StepMetrics } from '../train/trainer.js';
import { facetChart, lineChart, type Row, renderSvg } from './charts.js';

/** One run folder as the report reads it. */
export interface RunData {
  dir: string;
  /** The run's label in legends: the folder name and its level. */
  label: string;
  config: Record<string, unknown> | undefined;
  metrics: StepMetrics[];
}

/** Reads a run folder's `config.json` (optional) and `metrics.jsonl` (required). */
export async function readRun(dir: string): Promise<RunData> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new Error(`run folder ${dir} does not exist`);
  if (!info.isDirectory())
    throw new Error(`${dir} is not a run folder (expected a folder with metrics.jsonl)`);
  const metricsPath = join(dir, 'metrics.jsonl');
  const text = await readFile(metricsPath, 'utf8').catch(() => undefined);
  if (text === undefined) throw new Error(`run folder ${dir} has no metrics.jsonl`);
  const metrics: StepMetrics[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      metrics.push(decodeJson(line) as StepMetrics);
    } catch (error) {
      throw new Error(`${metricsPath}:${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
  });
  let config: Record<string, unknown> | undefined;
  const configText = await readFile(join(dir, 'config.json'), 'utf8').catch(() => undefined);
  if (configText !== undefined) {
    try {
      config = JSON.parse(configText);
    } catch (error) {
      throw new Error(`${join(dir, 'config.json')}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const name = basename(resolve(dir));
  const level = levelOf(config);
  const label = level !== undefined && !name.includes(level) ? `${name} (${level})` : name;
  return { dir, label, config, metrics };
}

/** A run's level as the report shows it, with its optimizer state when that is not the level's own. */
function levelOf(config: Record<string, unknown> | undefined): string | undefined {
  const level = config?.level;
  if (typeof level !== 'string') return undefined;
  const state = config?.optimizerState;
  return typeof state === 'string' && state !== 'level' ? `${level}, ${state} optimizer state` : level;
}

/** Keeps about `max` evenly spaced items (always the last). */
function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const stride = Math.ceil(items.length / max);
  return items.filter((_, i) => i % stride === 0 || i === items.length - 1);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const fmt = (x: number | undefined, digits = 4) =>
  x === undefined || !Number.isFinite(x) ? '–' : Number(x.toPrecision(digits)).toString();

/** The summary figures of a run. */
export function summarize(run: RunData): Record<string, string | number | undefined> {
  const m = run.metrics;
  const last = m[m.length - 1];
  const vals = m.filter((x) => x.valLoss !== undefined);
  const timed = m.filter((x) => Number.isFinite(x.tokensPerSec));
  const tps = timed.length > 0 ? timed.reduce((s, x) => s + x.tokensPerSec, 0) / timed.length : undefined;
  return {
    run: run.label,
    level: run.config?.level as string | undefined,
    levelShown: levelOf(run.config),
    steps: last?.step,
    loss: last?.loss,
    valLoss: vals.length > 0 ? vals[vals.length - 1].valLoss : undefined,
    tokensPerSec: tps,
    skipped: last?.skippedSteps,
  };
}

/** The charts of a set of runs, as SVG strings with their titles. */
export async function reportCharts(runs: RunData[]): Promise<{ title: string; svg: string }[]> {
  const charts: { title: string; svg: string }[] = [];
  const lossRows: Row[] = [];
  const valRows: Row[] = [];
  const optRows: Row[] = [];
  for (const run of runs) {
    for (const m of thin(run.metrics, 1500)) {
      if (Number.isFinite(m.loss)) lossRows.push({ step: m.step, loss: m.loss, run: run.label });
      if (Number.isFinite(m.gradNorm))
        optRows.push({ step: m.step, value: m.gradNorm, run: run.label, what: 'grad norm' });
    }
    for (const m of run.metrics) {
      if (m.valLoss !== undefined && Number.isFinite(m.valLoss)) {
        valRows.push({ step: m.step, 'val loss': m.valLoss, run: run.label });
      }
    }
  }
  const add = async (title: string, spec: Parameters<typeof renderSvg>[0]) =>
    charts.push({ title, svg: await renderSvg(spec) });
  await add(
    'Training loss',
    lineChart({ title: 'Training loss', rows: lossRows, x: 'step', y: 'loss', series: 'run' }),
  );
  if (valRows.length > 0) {
    await add(
      'Validation loss',
      lineChart({
        title: 'Validation loss',
        rows: valRows,
        x: 'step',
        y: 'val loss',
        series: 'run',
        points: true,
      }),
    );
  }
  if (optRows.length > 0) {
    await add(
      'Gradient norm',
      lineChart({
        title: 'Gradient norm (before clipping)',
        rows: optRows,
        x: 'step',
        y: 'value',
        series: 'run',
        logY: true,
      }),
    );
  }
  for (const run of runs) {
    const rows: Row[] = [];
    const muRows: Row[] = [];
    for (const m of thin(run.metrics, 400)) {
      muRows.push({ step: m.step, mu: m.mu, run: run.label });
      for (const [layer, tensors] of Object.entries(m.tensors ?? {})) {
        for (const [tensor, d] of Object.entries(tensors)) {
          rows.push({
            step: m.step,
            layer,
            tensor,
            scale: d.scale,
            amax: d.amax,
            underflow: d.underflow,
            saturation: d.saturation,
          });
        }
      }
    }
    if (rows.length === 0) continue;
    const order = ['x', 'w', 'dy', 'dw'];
    const metric = async (y: string, title: string, logY: boolean) => {
      const data = rows.filter((r) => Number.isFinite(r[y] as number) && (!logY || (r[y] as number) > 0));
      if (data.length === 0) return;
      await add(
        `${run.label}: ${title}`,
        facetChart({
          title: `${run.label}: ${title}`,
          rows: data,
          x: 'step',
          y,
          series: 'layer',
          facet: 'tensor',
          facetOrder: order,
          logY,
        }),
      );
    };
    await metric('scale', 'FP8 scale per tensor', true);
    await metric('amax', 'amax per tensor', true);
    await metric('underflow', 'underflow (fraction of zero codes)', false);
    await metric('saturation', 'saturation (fraction of codes at ±max)', false);
    await add(
      `${run.label}: gradient pre-scale μ`,
      lineChart({
        title: `${run.label}: gradient pre-scale μ`,
        rows: muRows,
        x: 'step',
        y: 'mu',
        series: 'run',
      }),
    );
  }
  return charts;
}

/** The report page: a summary table and the charts, self-contained (inline SVG). */
export async function renderReport(runs: RunData[]): Promise<string> {
  const charts = await reportCharts(runs);
  const summaries = runs.map(summarize);
  const base = summaries.find((s) => s.level === 'fp32');
  const head = [
    'run',
    'level',
    'steps',
    'final loss',
    'final val loss',
    base ? 'val / fp32' : '',
    'tokens/s',
    'skipped',
  ];
  const rows = summaries.map((s) => {
    const ratio =
      base && typeof base.valLoss === 'number' && typeof s.valLoss === 'number'
        ? fmt(s.valLoss / base.valLoss)
        : '–';
    const cells = [
      String(s.run),
      String(s.levelShown ?? '–'),
      String(s.steps ?? '–'),
      fmt(s.loss as number),
      fmt(s.valLoss as number),
      base ? ratio : '',
      fmt(s.tokensPerSec as number, 5),
      String(s.skipped ?? '–'),
    ];
    return `<tr>${cells.map((c, i) => (head[i] === '' ? '' : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`;
  });
  const configs = runs
    .map(
      (r) =>
        `<details><summary>${escapeHtml(r.label)}: config</summary><pre>${escapeHtml(JSON.stringify(r.config ?? {}, null, 2))}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fp8lm report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; }
pre { background: #f6f6f6; padding: 0.8em; }
</style></head><body>
<h1>fp8lm training report</h1>
<p>${runs.length} run${runs.length === 1 ? '' : 's'}: ${runs.map((r) => escapeHtml(r.dir)).join(', ')}</p>
<table><tr>${head
    .filter((h) => h !== '')
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join('')}</tr>
${rows.join('\n')}
</table>
${charts.map((c) => `<figure>${c.svg}</figure>`).join('\n')}
${configs}
</body></html>
`;
}

/** Reads run folders and writes their report (atomically); returns its path. */
export async function writeReport(dirs: readonly string[], outPath: string): Promise<string> {
  if (dirs.length === 0) throw new Error('report: expected at least one run folder');
  const runs: RunData[] = [];
  for (const dir of dirs) runs.push(await readRun(dir));
  const html = await renderReport(runs);
  await writeBytesAtomic(outPath, new TextEncoder().encode(html));
  return outPath;
}
