// The docs site's "Train in your browser" page (docs/try.md), as built by `npm test` (docs:build runs
// before vitest): headless Chromium opens the built page, clicks Train and waits for the run. On
// kernels-cpu the page's losses must be Node's bit for bit; with WebGPU (SwiftShader here) within the
// tolerance of test/webgpu.test.ts. Without a built site, /usr/bin/chromium or WebGPU in the page the
// suite is skipped with the reason — except in CI and with FP8LM_REQUIRE_WEBGPU=1, where that fails it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainSpec } from '@fp8lm/gpt/core';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BrowserSession,
  closeBrowserPage,
  describeFailure,
  launchBrowserPage,
  requireWebGpu,
} from '../../../tools/test-support/browser-page.js';
import { startPageServer } from '../../../tools/test-support/page-server.js';
import { trainLosses } from './browser/train.js';

const site = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', '.vitepress', 'dist');
const built = existsSync(join(site, 'try.html'));
const TOLERANCE = 2e-3;

interface PageRun {
  state: string;
  losses: number[];
  spec: TrainSpec;
  backend: string;
  sample: string;
  error: string;
  /** The progress lines seen while the run was going (`step i/N · loss … · … tokens/s`). */
  progress: string[];
}

let session: BrowserSession | undefined;
const launched = built
  ? await launchBrowserPage(await startPageServer({ pageDir: site, packages: [] }), {
      path: 'try.html',
      ready: (page) => page.waitForSelector('.train-demo button', { timeout: 30_000 }),
    })
  : { reason: 'the docs site is not built (npm run docs:build)' };
if ('session' in launched) session = launched.session;
const reason = 'reason' in launched ? launched.reason : undefined;

/** Opens the page with `query`, clicks Train and returns the finished run (or why it did not finish). */
async function run(query: string): Promise<PageRun> {
  if (session === undefined) throw new Error('no browser session');
  const { page, errors } = session;
  try {
    await page.goto(`${session.server.url}try.html?${query}`);
    await page.click('.train-demo button');
    // Polls the page while it trains: it answers between steps, and shows each step as it ends.
    const seen = new Set<string>();
    const deadline = Date.now() + 240_000;
    for (;;) {
      const state = (await page.getAttribute('.train-demo', 'data-state')) ?? '';
      if (state === 'done' || state === 'error') break;
      if (Date.now() > deadline) throw new Error(`the run did not finish in 240 s (state ${state})`);
      if (state === 'running')
        seen.add((await page.locator('.train-demo .progress').allTextContents()).join(''));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const text = async (selector: string) => (await page.locator(selector).allTextContents()).join('');
    const attr = async (name: string) => (await page.getAttribute('.train-demo', name)) ?? '';
    return {
      state: await attr('data-state'),
      losses: JSON.parse((await attr('data-losses')) || '[]'),
      spec: JSON.parse((await attr('data-spec')) || 'null'),
      backend: await text('.train-demo .backend'),
      sample: await text('.train-demo .sample'),
      error: await text('.train-demo .error'),
      progress: [...seen].filter((p) => p !== ''),
    };
  } catch (e) {
    throw new Error(describeFailure(e, errors));
  }
}

describe('the docs site trains in the browser (docs/try.md)', () => {
  afterAll(() => closeBrowserPage(session));

  it.skipIf(reason !== undefined && !requireWebGpu)(
    `the built page loads${reason === undefined ? '' : ` (it does not: ${reason})`}`,
    () => {
      expect(reason ?? 'loaded').toBe('loaded');
    },
  );

  it.runIf(reason === undefined)(
    'on the CPU: 30 O2 steps shown as they go, Node’s losses bit for bit, then a sample',
    async () => {
      const got = await run('steps=30&backend=cpu&embd=32&batch=4');
      expect(got.error).toBe('');
      expect(got.state).toBe('done');
      expect(got.backend).toMatch(/^kernels-cpu/);
      expect(got.spec.level).toBe('O2');
      const want = await trainLosses(
        createCpuBackend({ fast: false }),
        got.spec,
        got.spec.data.syntheticLength,
      );
      expect(got.losses).toEqual(want);
      expect(want[29]).toBeLessThan(want[0] - 0.5);
      expect(got.sample.length).toBeGreaterThan(100);
      // Steps showed while the run went on: the page does not freeze until the end.
      const midway = got.progress.filter((p) => /^step ([1-9]|1\d|2\d)\/30 /.test(p.trim()));
      expect(midway.length, got.progress.join('\n')).toBeGreaterThan(0);
    },
  );

  it.runIf(reason === undefined)(
    'on the CPU with the 5-byte optimizer state: Node’s losses bit for bit',
    async () => {
      const got = await run('steps=10&backend=cpu&embd=32&batch=4&level=O2%2Bfp8v');
      expect(got.error).toBe('');
      expect([got.spec.level, got.spec.optimizerState]).toEqual(['O2', 'O2+fp8v']);
      const want = await trainLosses(
        createCpuBackend({ fast: false }),
        got.spec,
        got.spec.data.syntheticLength,
      );
      expect(got.losses).toEqual(want);
    },
  );

  it.runIf(reason === undefined)(`on WebGPU: 3 steps within ${TOLERANCE} of Node’s`, async () => {
    const got = await run('steps=3&embd=32&batch=4');
    expect(got.error).toBe('');
    expect(got.backend).toMatch(/^WebGPU: /);
    const want = await trainLosses(
      createCpuBackend({ fast: false }),
      got.spec,
      got.spec.data.syntheticLength,
    );
    const worst = Math.max(...got.losses.map((l, i) => Math.abs(l - want[i])));
    expect(got.losses).toHaveLength(3);
    expect(worst, `page ${got.losses.join(', ')}\nnode ${want.join(', ')}`).toBeLessThanOrEqual(TOLERANCE);
  });
});
