import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** What a browser test's page is served from. */
export interface PageServerOptions {
  /** The page's own folder (index.html and its scripts), served at `/`. */
  readonly pageDir: string;
  /** The packages whose built `dist/` folders are served at `/pkg/<name>/` (ESM with relative `.js` imports). */
  readonly packages: readonly string[];
  /** Files of a served package the page must not load (`rest` is the path inside `dist/`): answered 404. */
  readonly refuse?: (name: string, rest: string) => boolean;
}

/** A static server for a browser test, on a free loopback port. */
export interface PageServer {
  /** The page's address (`http://127.0.0.1:PORT/`): loopback is a secure context, as WebGPU requires. */
  readonly url: string;
  /** Every path the browser asked for, in order (to check what the page loaded). */
  readonly requested: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves the page folder at `/` and each package's `dist/` at `/pkg/<name>/`; the page's import map
 * points the bare `@fp8lm/*` names there, so no bundler is needed.
 */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    requested.push(path);
    const file = resolvePath(options, path);
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
function resolvePath(options: PageServerOptions, path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  if (path === '/') return join(options.pageDir, 'index.html');
  const pkg = /^\/pkg\/([a-z0-9-]+)\/(.+)$/.exec(path);
  if (pkg !== null) {
    const [, name, rest] = pkg;
    if (!options.packages.includes(name) || options.refuse?.(name, rest) === true) return undefined;
    return inside(join(packagesDir, name, 'dist'), rest);
  }
  return inside(options.pageDir, path.slice(1));
}

/** `root/rest`, unless `rest` climbs out of `root`. */
function inside(root: string, rest: string): string | undefined {
  const file = normalize(join(root, rest));
  return file.startsWith(root + sep) ? file : undefined;
}
