import type { AccumulateChunkOptions, ChunkDType, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `accumulateChunk` (not implemented yet). */
export function accumulateChunk(
  _ctx: GpuContext,
  ..._args: [chunk: DeviceTensor<ChunkDType>, acc: DeviceTensor<'f32'>, options?: AccumulateChunkOptions]
): void {
  throw new Error('webgpu: accumulateChunk is not implemented yet');
}
