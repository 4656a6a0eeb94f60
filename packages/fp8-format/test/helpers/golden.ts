// Reader for test/data/cuda-golden.bin.gz, written by tools/golden/generate.mjs from the CUDA
// toolkit's host-side conversions. The layout is documented at the top of tools/golden/fp8_golden.cu.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface Golden {
  nvcc: string;
  cudart: number;
  /** Encode inputs as float32 bit patterns, ascending, distinct. */
  inputBits: Uint32Array;
  /** The same inputs as float32 values (a view of `inputBits`). */
  inputs: Float32Array;
  e4m3Sat: Uint8Array;
  e4m3NoSat: Uint8Array;
  e5m2Sat: Uint8Array;
  e5m2NoSat: Uint8Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  /** float32 bits of every code's decoded value. */
  decodeE4M3: Uint32Array;
  decodeE5M2: Uint32Array;
  decodeF16: Uint32Array;
  decodeBF16: Uint32Array;
}

export const GOLDEN_URL = new URL('../data/cuda-golden.bin.gz', import.meta.url);

let cached: Golden | undefined;

export function loadGolden(): Golden {
  if (cached !== undefined) return cached;
  const raw = gunzipSync(readFileSync(GOLDEN_URL));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = raw.subarray(0, 8).toString('latin1');
  if (magic !== 'FP8GOLD1') throw new Error(`cuda-golden.bin.gz: bad magic ${JSON.stringify(magic)}`);
  const version = view.getUint32(8, true);
  if (version !== 1) throw new Error(`cuda-golden.bin.gz: unknown version ${version}`);
  const nvcc = `${view.getUint16(12, true)}.${view.getUint16(14, true)}`;
  const cudart = view.getUint32(16, true);
  const n = view.getUint32(20, true);
  const fp8Decodes = view.getUint32(24, true);
  const halfDecodes = view.getUint32(28, true);
  if (fp8Decodes !== 256 || halfDecodes !== 65536)
    throw new Error('cuda-golden.bin.gz: unexpected decode counts');
  const expected = 32 + n * 12 + 2 * 256 * 4 + 2 * 65536 * 4;
  if (raw.length !== expected)
    throw new Error(`cuda-golden.bin.gz: ${raw.length} bytes, expected ${expected}`);

  let offset = 32;
  const u8 = (count: number) => {
    const out = new Uint8Array(count);
    out.set(raw.subarray(offset, offset + count));
    offset += count;
    return out;
  };
  const u16 = (count: number) => {
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint16(offset + 2 * i, true);
    offset += 2 * count;
    return out;
  };
  const u32 = (count: number) => {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint32(offset + 4 * i, true);
    offset += 4 * count;
    return out;
  };

  const inputBits = u32(n);
  for (let i = 1; i < n; i++) inputBits[i] = (inputBits[i - 1] + inputBits[i]) >>> 0; // undo the delta coding
  cached = {
    nvcc,
    cudart,
    inputBits,
    inputs: new Float32Array(inputBits.buffer),
    e4m3Sat: u8(n),
    e4m3NoSat: u8(n),
    e5m2Sat: u8(n),
    e5m2NoSat: u8(n),
    f16: u16(n),
    bf16: u16(n),
    decodeE4M3: u32(256),
    decodeE5M2: u32(256),
    decodeF16: u32(65536),
    decodeBF16: u32(65536),
  };
  if (offset !== raw.length) throw new Error('cuda-golden.bin.gz: trailing bytes');
  return cached;
}

/** Collects up to `limit` mismatch descriptions so a failure shows examples, not a million lines. */
export class Mismatches {
  readonly examples: string[] = [];
  count = 0;
  constructor(private readonly limit = 12) {}
  add(describe: () => string): void {
    if (this.count++ < this.limit) this.examples.push(describe());
  }
  summary(): string {
    return this.count === 0 ? 'none' : `${this.count} mismatches, e.g.\n  ${this.examples.join('\n  ')}`;
  }
}

export function hex(value: number, digits: number): string {
  return `0x${(value >>> 0).toString(16).padStart(digits, '0')}`;
}
