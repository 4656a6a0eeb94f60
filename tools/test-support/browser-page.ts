// Headless Chromium for the browser tests: launches it on a page server, waits for the page's API
// (`globalThis.fp8lmPage`, set by the page's script once its imports loaded) and calls into it. Every
// failure carries the page's console errors and uncaught exceptions.
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { PageServer } from './page-server.js';

/** Chromium to run: Debian's package by default. */
export const CHROMIUM = process.env.FP8LM_CHROMIUM ?? '/usr/bin/chromium';

/** In CI and with FP8LM_REQUIRE_WEBGPU=1 a browser test that cannot run fails instead of skipping. */
export const requireWebGpu = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_WEBGPU === '1';

/**
 * The flags that give navigator.gpu a SwiftShader adapter on a machine without a GPU (Chromium bundles
 * SwiftShader's Vulkan driver): `--enable-unsafe-webgpu` turns WebGPU on where Chromium's blocklist has
 * it off (Linux), `--use-webgpu-adapter=swiftshader` picks the CPU adapter so the result does not hang on
 * whatever GPU driver the machine has, `--use-angle=swiftshader` keeps the compositor off the GPU too.
 */
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface BrowserSession {
  readonly browser: Browser;
  readonly page: Page;
  readonly server: PageServer;
  /** Console errors and uncaught exceptions of the page, for failure messages. */
  readonly errors: string[];
}

/**
 * Launches Chromium on `path` of the server's page and waits for `ready` (default: the page's API,
 * `fp8lmPage`); the reason instead where any of it fails (the server is closed then).
 */
export async function launchBrowserPage(
  server: PageServer,
  options: { path?: string; ready?: (page: Page) => Promise<unknown> } = {},
): Promise<{ session: BrowserSession } | { reason: string }> {
  if (!existsSync(CHROMIUM)) {
    await server.close();
    return { reason: `${CHROMIUM} is missing (apt-get install chromium)` };
  }
  const errors: string[] = [];
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(server.url + (options.path ?? ''));
    await (
      options.ready ??
      ((p) => p.waitForFunction(() => 'fp8lmPage' in globalThis, undefined, { timeout: 30_000 }))
    )(page);
    return { session: { browser, page, server, errors } };
  } catch (e) {
    await browser?.close();
    await server.close();
    return { reason: describeFailure(e, errors) };
  }
}

/** The first line of an error, with the page's errors. */
export function describeFailure(e: unknown, errors: readonly string[]): string {
  const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return `${why}${errors.length > 0 ? ` [${errors.join('; ')}]` : ''}`;
}

/**
 * Launches Chromium on the server's page, waits for `fp8lmPage` and returns what its `open()` gave;
 * the reason instead where any of it fails (the server is closed then).
 */
export async function openBrowserPage<T>(
  server: PageServer,
): Promise<{ session: BrowserSession; opened: T } | { reason: string }> {
  const launched = await launchBrowserPage(server);
  if ('reason' in launched) return launched;
  try {
    return { session: launched.session, opened: await callPage<T>(launched.session, 'open', {}) };
  } catch (e) {
    await closeBrowserPage(launched.session);
    return { reason: describeFailure(e, launched.session.errors) };
  }
}

/** Calls `fp8lmPage[fn](arg)` in the page (arg and result JSON-safe); page errors are added to a failure. */
export async function callPage<T>(session: BrowserSession, fn: string, arg: object): Promise<T> {
  try {
    return await session.page.evaluate(
      ([name, a]) =>
        (globalThis as unknown as { fp8lmPage: Record<string, (x: object) => Promise<T>> }).fp8lmPage[name](
          a,
        ),
      [fn, arg] as const,
    );
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `${why}${session.errors.length > 0 ? `\npage errors:\n${session.errors.join('\n')}` : ''}`,
    );
  }
}

export async function closeBrowserPage(session: BrowserSession | undefined): Promise<void> {
  await session?.browser.close();
  await session?.server.close();
}
