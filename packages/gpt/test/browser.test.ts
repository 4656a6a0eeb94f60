// Training in a real browser: headless Chromium loads `@fp8lm/gpt/core` with kernels-webgpu and
// kernels-cpu through an import map (no bundler) and trains a tiny GPT at O2 (FP8 GEMMs, FP8 weight
// gradients, the 6-byte AdamW) on navigator.gpu and on kernels-cpu. Node runs the same run on
// kernels-cpu's TypeScript reference: the page's CPU losses must be those bit for bit (the same code in
// another JavaScript engine), the page's WebGPU losses within the tolerance of the Node WebGPU test
// (test/webgpu.test.ts explains it). Without /usr/bin/chromium or a WebGPU adapter in the page the suite
// is skipped with the reason — except in CI and with FP8LM_REQUIRE_WEBGPU=1, where that fails it.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAIN_DEFAULTS, type TrainSpec } from '@fp8lm/gpt/core';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callPage,
  closeBrowserPage,
  openBrowserPage,
  requireWebGpu,
} from '../../../tools/test-support/browser-page.js';
import { importClosure } from '../../../tools/test-support/imports.js';
import { startPageServer } from '../../../tools/test-support/page-server.js';
// The page's own training code, run here on Node for the reference losses.
import { trainLosses } from './browser/train.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');

const STEPS = 8;
const SYNTHETIC_LENGTH = 40_000;
/** As test/webgpu.test.ts's O2 bound for its first 8 steps. */
const TOLERANCE = 2e-3;

const spec: TrainSpec = {
  ...TRAIN_DEFAULTS,
  data: { ...TRAIN_DEFAULTS.data, syntheticLength: SYNTHETIC_LENGTH },
  model: { nEmbd: 32 },
  level: 'O2',
  steps: STEPS,
  warmup: 4,
  lr: 1e-2,
  minLr: 1e-3,
  batchSize: 4,
  evalInterval: 0,
};

type Opened = { adapter: string; cpuFast: boolean } | { unavailable: string };
interface Trained {
  losses: number[];
  live: number;
}

// Only what the page may load is served: gpt's dist files outside core's import closure (the Node
// entry, checkpoints, the CLI) and kernels-webgpu's Node entry are refused.
const coreFiles = new Set(importClosure(join(dist, 'core.js')).files.map((f) => relative(dist, f)));
const server = await startPageServer({
  pageDir: join(here, 'browser'),
  packages: [
    'gpt',
    'kernels-webgpu',
    'kernels-cpu',
    'optimizer',
    'scaling',
    'fp8-format',
    'tensor-interface',
  ],
  refuse: (name, rest) =>
    (name === 'gpt' && !coreFiles.has(rest) && !rest.endsWith('.map')) ||
    (name === 'kernels-webgpu' && rest.startsWith('node/')),
});
const launched = await openBrowserPage<Opened>(server);
const session = 'session' in launched ? launched.session : undefined;
const reason =
  'reason' in launched
    ? launched.reason
    : 'unavailable' in launched.opened
      ? `the page has no WebGPU: ${launched.opened.unavailable}`
      : undefined;
const ready = reason === undefined;

function train(backend: 'webgpu' | 'cpu'): Promise<Trained> {
  if (session === undefined) throw new Error('no browser session');
  return callPage<Trained>(session, 'train', { backend, spec, syntheticLength: SYNTHETIC_LENGTH });
}

describe('training at O2 in headless Chromium on @fp8lm/gpt/core', () => {
  afterAll(() => closeBrowserPage(session));

  const adapter =
    session !== undefined && ready ? (launched as { opened: { adapter: string } }).opened.adapter : '';
  const title = ready
    ? `the page runs on ${adapter}`
    : `the page has a WebGPU adapter (it does not: ${reason})`;
  it.skipIf(!ready && !requireWebGpu)(title, () => {
    expect(reason ?? 'available').toBe('available');
  });

  // One Node reference for both comparisons.
  let reference: number[] | undefined;
  const nodeLosses = async (): Promise<number[]> => {
    reference ??= await trainLosses(createCpuBackend({ fast: false }), spec, SYNTHETIC_LENGTH);
    return reference;
  };

  it.runIf(ready)('kernels-cpu in the page gives the Node reference’s losses bit for bit', async () => {
    const page = await train('cpu');
    const want = await nodeLosses();
    expect(page.losses).toEqual(want);
    expect(page.live).toBe(0);
    // The run learned something, so equal losses are not two runs that did nothing.
    expect(want[STEPS - 1]).toBeLessThan(want[0] - 0.3);
  });

  it.runIf(ready)(`WebGPU in the page follows them within ${TOLERANCE}`, async () => {
    const page = await train('webgpu');
    const want = await nodeLosses();
    expect(page.losses).toHaveLength(STEPS);
    const worst = Math.max(...page.losses.map((l, i) => Math.abs(l - want[i])));
    expect(worst, `page ${page.losses.join(', ')}\nnode ${want.join(', ')}`).toBeLessThanOrEqual(TOLERANCE);
    expect(page.live).toBe(0);
  });

  it.runIf(ready)('the page loaded gpt’s core entry and nothing else of gpt', () => {
    const gptPaths = server.requested.filter((p) => p.startsWith('/pkg/gpt/'));
    expect(gptPaths).toContain('/pkg/gpt/core.js');
    expect(gptPaths.filter((p) => !coreFiles.has(p.slice('/pkg/gpt/'.length)))).toEqual([]);
    expect(server.requested.filter((p) => p.includes('/kernels-webgpu/node/'))).toEqual([]);
  });
});
