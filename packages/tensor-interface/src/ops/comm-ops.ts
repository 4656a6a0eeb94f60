import type { DeviceTensor, ScaleArg } from '../backend.js';

/** Element types a received all-reduce chunk may have. */
export type ChunkDType = 'f32' | 'f16' | 'bf16' | 'e4m3' | 'e5m2';

/** Options of {@link CommOps.accumulateChunk}. */
export interface AccumulateChunkOptions {
  /** Multiplier of the decoded values (`1 / scale` of the sender's quantization). Default 1. */
  scaleInv?: ScaleArg;
}

/**
 * Helpers of the collectives. FP8-LM's all-reduce never adds FP8 to FP8: each rank receives every
 * other rank's FP8 chunk of its slice, accumulates the decoded values in f32, and requantizes once.
 */
export interface CommOps {
  /**
   * `acc[i] = fround(acc[i] + fround(decode(chunk[i]) · scaleInv))` for every element (same element
   * count, any shapes). Accumulates into `acc`.
   */
  accumulateChunk(
    chunk: DeviceTensor<ChunkDType>,
    acc: DeviceTensor<'f32'>,
    options?: AccumulateChunkOptions,
  ): void;
}
