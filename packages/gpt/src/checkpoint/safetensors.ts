import { readFile } from 'node:fs/promises';
import { writeAll, writeFileAtomic } from './atomic.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): 8 bytes of little-endian
 * u64 header length N, N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__": { string: string } }` (padded with spaces), then the data buffer; offsets are
 * relative to the buffer's start, data is little-endian and row-major.
 */

/** Bytes per element of each safetensors dtype this module reads and writes. */
export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

/** A safetensors dtype name. */
export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** The typed array holding each dtype: raw bits for F16/BF16/F8 (Node 20 has no Float16Array). */
export type SafetensorsArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

const ARRAY_CLASS: Record<SafetensorsDType, { name: string; make: (b: ArrayBuffer) => SafetensorsArray }> = {
  BOOL: { name: 'Uint8Array', make: (b) => new Uint8Array(b) },
  U8: { name: 'Uint8Array', make: (b) => new Uint8Array(b) },
  I8: { name: 'Int8Array', make: (b) => new Int8Array(b) },
  F8_E5M2: { name: 'Uint8Array', make: (b) => new Uint8Array(b) },
  F8_E4M3: { name: 'Uint8Array', make: (b) => new Uint8Array(b) },
  F8_E8M0: { name: 'Uint8Array', make: (b) => new Uint8Array(b) },
  I16: { name: 'Int16Array', make: (b) => new Int16Array(b) },
  U16: { name: 'Uint16Array', make: (b) => new Uint16Array(b) },
  F16: { name: 'Uint16Array', make: (b) => new Uint16Array(b) },
  BF16: { name: 'Uint16Array', make: (b) => new Uint16Array(b) },
  I32: { name: 'Int32Array', make: (b) => new Int32Array(b) },
  U32: { name: 'Uint32Array', make: (b) => new Uint32Array(b) },
  F32: { name: 'Float32Array', make: (b) => new Float32Array(b) },
  I64: { name: 'BigInt64Array', make: (b) => new BigInt64Array(b) },
  U64: { name: 'BigUint64Array', make: (b) => new BigUint64Array(b) },
  F64: { name: 'Float64Array', make: (b) => new Float64Array(b) },
};

/** One tensor: its dtype, shape and elements in the dtype's typed array (see {@link SafetensorsArray}). */
export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: SafetensorsArray;
}

/** A parsed file. */
export interface SafetensorsFile {
  /** Tensors in file order (by offset), with data copied into fresh, aligned typed arrays. */
  tensors: Record<string, SafetensorsTensor & { shape: number[] }>;
  /** `__metadata__` ({} when absent). */
  metadata: Record<string, string>;
  /** N: the header's length in bytes (the data buffer starts at 8 + N). */
  headerLength: number;
}

/** Largest header the reader accepts (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A malformed safetensors file; `file` and (when it is about one tensor) `tensor` say where. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    readonly file: string,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor === undefined ? '' : `tensor ${JSON.stringify(tensor)}: `}${message}`);
  }
}

/** True if `value` names a dtype of {@link SAFETENSORS_DTYPE_BYTES}. */
export function isSafetensorsDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_BYTES, value);
}

function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function describe(value: unknown): string {
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN)
    throw new Error('safetensors: this host is big-endian; only little-endian hosts are supported');
}

/**
 * Serializes tensors to the safetensors layout, as chunks to write in order: the 8-byte length,
 * the header, then each tensor's bytes. Tensors are laid out by element size (largest first) then
 * by name, so every tensor is aligned to its element size in the file (the header is padded with
 * spaces to a multiple of 8). `__metadata__` comes first in the header when `metadata` is not
 * empty. Arguments are validated up front (TypeError/RangeError naming the tensor).
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  const plan = planSafetensors(tensors, metadata);
  return [plan.header, ...plan.data.map(bytesOf)];
}

function bytesOf(data: SafetensorsArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Validates the arguments and builds the header; tensor bytes are not touched yet. */
function planSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string>,
): { header: Uint8Array; data: SafetensorsArray[] } {
  requireLittleEndian();
  if (typeof tensors !== 'object' || tensors === null) {
    throw new TypeError(`tensors: expected an object of named tensors, found ${describe(tensors)}`);
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new TypeError(`metadata: expected an object of strings, found ${describe(metadata)}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new TypeError(`metadata[${JSON.stringify(key)}]: expected a string, found ${describe(value)}`);
    }
  }
  const entries = Object.entries(tensors).map(([name, t]) => {
    const where = `tensors[${JSON.stringify(name)}]`;
    if (name === '__metadata__') throw new RangeError(`${where}: the name __metadata__ is reserved`);
    if (typeof t !== 'object' || t === null)
      throw new TypeError(`${where}: expected { dtype, shape, data }, found ${describe(t)}`);
    const { dtype, shape, data } = t;
    if (!isSafetensorsDType(dtype)) {
      throw new TypeError(
        `${where}.dtype: expected one of ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')}, found ${describe(dtype)}`,
      );
    }
    if (!isShape(shape)) {
      throw new TypeError(
        `${where}.shape: expected an array of non-negative integers, found ${JSON.stringify(shape)}`,
      );
    }
    const cls = ARRAY_CLASS[dtype].name;
    if (!ArrayBuffer.isView(data) || data.constructor.name !== cls) {
      throw new TypeError(`${where}.data: dtype ${dtype} is stored in a ${cls}, found ${describe(data)}`);
    }
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new RangeError(
        `${where}.data: shape [${shape.join(', ')}] has ${n} elements, found ${data.length}`,
      );
    }
    return { name, dtype, shape: [...shape], data, size: SAFETENSORS_DTYPE_BYTES[dtype] };
  });
  entries.sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: string[] = [];
  if (Object.keys(metadata).length > 0) {
    const meta = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${meta.join(',')}}`);
  }
  let offset = 0;
  for (const e of entries) {
    const end = offset + e.data.byteLength;
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":${JSON.stringify(e.shape)},"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(8 + n).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(json, 8);
  return { header, data: entries.map((e) => e.data) };
}

/**
 * Writes a safetensors file atomically: to `path.tmp-<pid>-<random>`, fsync, rename over `path`.
 * If anything fails the temp file is removed and a previous file at `path` is left as it was.
 * See {@link encodeSafetensors} for the layout.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  // Arguments are validated before any file is opened; tensor bytes are read while writing.
  const plan = planSafetensors(tensors, metadata);
  await writeFileAtomic(path, async (fh) => {
    await writeAll(fh, plan.header);
    for (const data of plan.data) await writeAll(fh, bytesOf(data));
  });
}

/**
 * Parses and validates a safetensors file in memory. Rejected, each with a {@link SafetensorsError}
 * naming `name`, the tensor and expected vs found: fewer than 8 bytes; a header length above
 * {@link MAX_HEADER_BYTES} or past the end of the file; a header that is not UTF-8 JSON of an
 * object; an entry without a known dtype, a shape of non-negative integers or two integer
 * offsets `begin ≤ end` inside the buffer; byte length ≠ elements × dtype size; overlapping
 * tensors, or bytes that belong to no tensor (the tensors sorted by offset must tile the buffer
 * exactly); `__metadata__` that is not an object of strings.
 */
export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsFile {
  requireLittleEndian();
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes: expected a Uint8Array, found ${describe(bytes)}`);
  }
  const fail = (message: string, tensor?: string): never => {
    throw new SafetensorsError(name, message, tensor);
  };
  if (bytes.byteLength < 8) {
    fail(`not a safetensors file: expected at least 8 bytes (the header length), found ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n64} exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  }
  const n = Number(n64);
  if (8 + n > bytes.byteLength) {
    fail(
      `truncated: the header length is ${n} bytes, so expected at least ${8 + n} bytes, found ${bytes.byteLength}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`header: expected a JSON object, found ${describe(header)}`);
  }
  const bufferStart = 8 + n;
  const bufferLength = bytes.byteLength - bufferStart;
  const metadata: Record<string, string> = Object.create(null);
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] =
    [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        fail(`__metadata__: expected an object of strings, found ${describe(value)}`);
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string')
          fail(`__metadata__[${JSON.stringify(k)}]: expected a string, found ${describe(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(`expected { dtype, shape, data_offsets }, found ${describe(value)}`, key);
    }
    const e = value as Record<string, unknown>;
    for (const field of Object.keys(e)) {
      if (field !== 'dtype' && field !== 'shape' && field !== 'data_offsets') {
        fail(`unknown field ${JSON.stringify(field)} (expected dtype, shape, data_offsets)`, key);
      }
    }
    if (!isSafetensorsDType(e.dtype)) {
      fail(
        `unknown dtype ${describe(e.dtype)} (expected one of ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`,
        key,
      );
    }
    const dtype = e.dtype as SafetensorsDType;
    if (!isShape(e.shape))
      fail(`shape: expected an array of non-negative integers, found ${JSON.stringify(e.shape)}`, key);
    const shape = e.shape as number[];
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(
        `data_offsets: expected [begin, end] of non-negative integers, found ${JSON.stringify(offsets)}`,
        key,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`data_offsets [${begin}, ${end}]: begin is after end`, key);
    if (end > bufferLength) {
      fail(
        `data_offsets [${begin}, ${end}] run past the end of the data buffer: expected end ≤ ${bufferLength} (truncated file?)`,
        key,
      );
    }
    const expected = shapeSize(shape) * SAFETENSORS_DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      fail(
        `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, expected ${expected} (shape [${shape.join(', ')}] × ${SAFETENSORS_DTYPE_BYTES[dtype]} bytes of ${dtype})`,
        key,
      );
    }
    entries.push({ name: key, dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: string | undefined;
  for (const e of entries) {
    if (e.begin < cursor) {
      fail(
        `data_offsets [${e.begin}, ${e.end}] overlap tensor ${JSON.stringify(previous)}, which ends at ${cursor}`,
        e.name,
      );
    }
    if (e.begin > cursor) {
      fail(
        `bytes [${cursor}, ${e.begin}) of the data buffer belong to no tensor: expected tensor data to start at ${cursor}, found ${e.begin}`,
        e.name,
      );
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== bufferLength) {
    fail(
      `bytes [${cursor}, ${bufferLength}) at the end of the data buffer belong to no tensor: expected the file to end at byte ${bufferStart + cursor}, found ${bytes.byteLength} bytes`,
    );
  }
  const tensors: Record<string, SafetensorsTensor & { shape: number[] }> = Object.create(null);
  for (const e of entries) {
    const buffer = new ArrayBuffer(e.end - e.begin);
    new Uint8Array(buffer).set(bytes.subarray(bufferStart + e.begin, bufferStart + e.end));
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: ARRAY_CLASS[e.dtype].make(buffer) };
  }
  return { tensors, metadata, headerLength: n };
}

/**
 * Reads and validates a safetensors file (a path, or its bytes) — see {@link parseSafetensors}.
 * A missing file is an Error naming it.
 */
export async function readSafetensors(source: string | Uint8Array): Promise<SafetensorsFile> {
  if (source instanceof Uint8Array) return parseSafetensors(source);
  if (typeof source !== 'string' || source.length === 0) {
    throw new TypeError(`source: expected a file path or a Uint8Array, found ${describe(source)}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new Error(
      `safetensors file ${source} ${code === 'ENOENT' || code === 'EISDIR' ? why : `cannot be read: ${why}`}`,
      {
        cause: error,
      },
    );
  }
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), source);
}
