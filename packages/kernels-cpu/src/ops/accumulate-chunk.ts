import {
  type AccumulateChunkOptions,
  type ChunkDType,
  commAccumulateChunkArgs,
  type DeviceTensor,
} from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';
import { CHUNK, loadChunk } from './chunks.js';

const scratch = new Float32Array(CHUNK);

/** Backend op: `acc[i] += decode(chunk[i]) · scaleInv`, each step rounded to f32. */
export function accumulateChunk(
  chunk: DeviceTensor<ChunkDType>,
  acc: DeviceTensor<'f32'>,
  options: AccumulateChunkOptions = {},
): void {
  const { chunk: c, acc: a } = commAccumulateChunkArgs(asCpu, chunk, acc);
  const scaleInv = scaleValue(options.scaleInv, 'scaleInv') ?? 1;
  for (let start = 0; start < c.size; start += CHUNK) {
    const len = Math.min(CHUNK, c.size - start);
    loadChunk(c, start, len, scaleInv, scratch);
    const out = (a.data as Float32Array).subarray(start, start + len);
    for (let i = 0; i < len; i++) out[i] += scratch[i];
  }
}
