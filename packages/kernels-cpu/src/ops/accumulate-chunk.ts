import type { AccumulateChunkOptions, ChunkDType, DeviceTensor } from '@fp8lm/tensor-interface';
import { asCpu, assertSameSize } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';
import { CHUNK, loadChunk } from './chunks.js';

const CHUNK_DTYPES: readonly ChunkDType[] = ['f32', 'f16', 'bf16', 'e4m3', 'e5m2'];
const scratch = new Float32Array(CHUNK);

/** Backend op: `acc[i] += decode(chunk[i]) · scaleInv`, each step rounded to f32. */
export function accumulateChunk(
  chunk: DeviceTensor<ChunkDType>,
  acc: DeviceTensor<'f32'>,
  options: AccumulateChunkOptions = {},
): void {
  const c = asCpu(chunk, 'chunk', CHUNK_DTYPES);
  const a = asCpu(acc, 'acc', ['f32']);
  assertSameSize(c, a, 'chunk, acc');
  const scaleInv = scaleValue(options.scaleInv, 'scaleInv') ?? 1;
  for (let start = 0; start < c.size; start += CHUNK) {
    const len = Math.min(CHUNK, c.size - start);
    loadChunk(c, start, len, scaleInv, scratch);
    const out = a.data.subarray(start, start + len);
    for (let i = 0; i < len; i++) out[i] += scratch[i];
  }
}
