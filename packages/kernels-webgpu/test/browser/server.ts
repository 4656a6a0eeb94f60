import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packagesDir = join(here, '..', '..', '..');

/** The packages the page loads, each from its built `dist/` (ESM with relative `.js` imports). */
export const PAGE_PACKAGES = ['kernels-webgpu', 'tensor-interface', 'fp8-format'] as const;

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** A static server for the browser test, on a free loopback port. */
export interface PageServer {
  /** The page's address (`http://127.0.0.1:PORT/`): loopback is a secure context, as WebGPU requires. */
  readonly url: string;
  /** Every path the browser asked for, in order (to check the Node entry was never loaded). */
  readonly requested: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves `test/browser/` at `/` and `packages/<name>/dist/` at `/pkg/<name>/` for {@link PAGE_PACKAGES};
 * the page's import map points the bare `@fp8lm/*` names there, so no bundler is needed.
 * `kernels-webgpu`'s `dist/node/` is refused: the page must run on the browser-safe main entry alone.
 */
export async function startPageServer(): Promise<PageServer> {
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    requested.push(path);
    const file = resolvePath(path);
    if (file === undefined) {
      res.writeHead(404).end(`not served: ${path}`);
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          'content-type': types[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-store',
        });
        res.end(body);
      },
      () => res.writeHead(404).end(`not found: ${path}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requested,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The file behind a request path, or undefined for anything outside the served folders. */
function resolvePath(path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  if (path === '/') return join(here, 'index.html');
  const pkg = /^\/pkg\/([a-z0-9-]+)\/(.+)$/.exec(path);
  if (pkg !== null) {
    const [, name, rest] = pkg;
    if (!(PAGE_PACKAGES as readonly string[]).includes(name)) return undefined;
    if (name === 'kernels-webgpu' && rest.startsWith('node/')) return undefined;
    return inside(join(packagesDir, name, 'dist'), rest);
  }
  return inside(here, path.slice(1));
}

/** `root/rest`, unless `rest` climbs out of `root`. */
function inside(root: string, rest: string): string | undefined {
  const file = normalize(join(root, rest));
  return file.startsWith(root + sep) ? file : undefined;
}
