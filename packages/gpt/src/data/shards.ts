import { readFile } from 'node:fs/promises';
import { writeBytesAtomic } from '../checkpoint/atomic.js';

/** `header[0]` of an llm.c GPT-2 token shard. */
export const BIN_MAGIC = 20240520;
/** `header[1]` of an llm.c GPT-2 token shard (uint16 tokens). */
export const BIN_VERSION = 1;
/** The header: 256 little-endian int32. */
export const BIN_HEADER_BYTES = 1024;

/**
 * Encodes tokens as an llm.c shard in memory: 256 little-endian int32 (`[20240520, 1, count, 0…]`)
 * then `count` little-endian uint16 token ids, as llm.c's `data_common.write_datafile` writes
 * them for GPT-2.
 */
export function encodeBinShard(tokens: ArrayLike<number>): Uint8Array {
  if (tokens === null || typeof tokens !== 'object' || typeof tokens.length !== 'number') {
    throw new TypeError(`tokens: expected an array of token ids, found ${String(tokens)}`);
  }
  if (tokens.length > 0x7fffffff) {
    throw new RangeError(`tokens: a shard holds at most 2^31 − 1 tokens, found ${tokens.length}`);
  }
  const bytes = new Uint8Array(BIN_HEADER_BYTES + 2 * tokens.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, BIN_MAGIC, true);
  view.setInt32(4, BIN_VERSION, true);
  view.setInt32(8, tokens.length, true);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!Number.isInteger(t) || t < 0 || t > 0xffff) {
      throw new RangeError(`tokens[${i}]: expected a uint16 token id in [0, 65535], found ${t}`);
    }
    view.setUint16(BIN_HEADER_BYTES + 2 * i, t, true);
  }
  return bytes;
}

/** Writes an llm.c token shard (see {@link encodeBinShard}) atomically. */
export async function writeBinShard(path: string, tokens: ArrayLike<number>): Promise<void> {
  await writeBytesAtomic(path, encodeBinShard(tokens));
}

/**
 * Decodes an llm.c GPT-2 token shard, validating the header (magic 20240520, version 1, a
 * non-negative token count) and that the file is exactly 1024 + 2·count bytes. Every problem is
 * an Error naming `name` with expected vs found.
 */
export function decodeBinShard(bytes: Uint8Array, name = 'shard'): Uint16Array {
  if (bytes.byteLength < BIN_HEADER_BYTES) {
    throw new Error(
      `${name}: truncated llm.c shard: expected a ${BIN_HEADER_BYTES}-byte header, found a file of ${bytes.byteLength} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getInt32(0, true);
  if (magic !== BIN_MAGIC) {
    const hint = magic === 20240801 ? ' (a llama-3 uint32 shard, which fp8lm does not read)' : '';
    throw new Error(`${name}: not an llm.c token shard: expected magic ${BIN_MAGIC}, found ${magic}${hint}`);
  }
  const version = view.getInt32(4, true);
  if (version !== BIN_VERSION) {
    throw new Error(
      `${name}: unsupported llm.c shard version: expected ${BIN_VERSION} (uint16 tokens), found ${version}`,
    );
  }
  const count = view.getInt32(8, true);
  if (count < 0) throw new Error(`${name}: corrupt llm.c shard header: token count ${count} is negative`);
  const expected = BIN_HEADER_BYTES + 2 * count;
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${name}: ${bytes.byteLength < expected ? 'truncated' : 'corrupt'} llm.c shard: header says ${count} tokens, so expected ${expected} bytes, found ${bytes.byteLength}`,
    );
  }
  const tokens = new Uint16Array(count);
  for (let i = 0; i < count; i++) tokens[i] = view.getUint16(BIN_HEADER_BYTES + 2 * i, true);
  return tokens;
}

/** Reads and validates one llm.c token shard (see {@link decodeBinShard}). */
export async function readBinShard(path: string): Promise<Uint16Array> {
  const bytes = await readDataFile(path);
  return decodeBinShard(bytes, path);
}

/** Reads a data file; a missing one, a folder, or an empty one is an Error naming the path. */
export async function readDataFile(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`path: expected a file path, found ${JSON.stringify(path)}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`data file ${path} does not exist`, { cause: error });
    if (code === 'EISDIR')
      throw new Error(`data file ${path} is a directory, expected a file`, { cause: error });
    throw new Error(`cannot read data file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.byteLength === 0) throw new Error(`data file ${path} is empty (0 bytes)`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
