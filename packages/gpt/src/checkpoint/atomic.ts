import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** Writes all of `bytes` at the handle's current position. */
export async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

/**
 * Writes a file so that readers see either the previous file or the complete new one, never a
 * part: the content goes to `path.tmp-<pid>-<random>` in the same folder, is flushed with fsync,
 * and is renamed over `path` (atomic on POSIX file systems); the folder is fsynced afterwards so
 * the rename survives a crash. If `write` throws, the temp file is removed and `path` is untouched.
 *
 * @param write writes the content through the open handle.
 */
export async function writeFileAtomic(path: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`path: expected a non-empty file path, found ${JSON.stringify(path)}`);
  }
  const dir = dirname(path);
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    throw new Error(`cannot write ${path}: the directory ${dir} does not exist`);
  }
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    await write(fh);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (error) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      throw new Error(`cannot write ${path} (via ${basename(tmp)}): ${error.message}`, { cause: error });
    }
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch {
    // Not every platform can fsync a directory (Windows); the rename itself is done.
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** {@link writeFileAtomic} for content already in memory. */
export async function writeBytesAtomic(path: string, ...chunks: Uint8Array[]): Promise<void> {
  await writeFileAtomic(path, async (fh) => {
    for (const c of chunks) await writeAll(fh, c);
  });
}
