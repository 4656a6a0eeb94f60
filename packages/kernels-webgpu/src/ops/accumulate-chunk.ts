import {
  type AccumulateChunkOptions,
  type ChunkDType,
  commAccumulateChunkArgs,
  type DeviceTensor,
} from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { asGpu } from '../webgpu-tensor.js';
import { recordDecode } from './dequantize.js';

/**
 * `accumulateChunk`: `acc[i] = fround(acc[i] + fround(decode(chunk[i]) · scaleInv))`, bit-exact with
 * kernels-cpu (the f32 accumulation of a received all-reduce chunk): dequantize's shader, adding.
 */
export function accumulateChunk(
  ctx: GpuContext,
  chunk: DeviceTensor<ChunkDType>,
  acc: DeviceTensor<'f32'>,
  options: AccumulateChunkOptions = {},
): void {
  const { chunk: c, acc: a } = commAccumulateChunkArgs(asGpu, chunk, acc);
  if (c.storage === a.storage) throw new RangeError('chunk, acc: must not share storage');
  recordDecode(ctx, c, a, options.scaleInv, true);
}
