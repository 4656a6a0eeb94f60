import type { LayerOwners } from '@fp8lm/tensor-interface';
import { asCpu, type CpuTensor } from './cpu-tensor.js';

// The CPU side of the layer ops' argument checks (src/ops/{embedding,layernorm,gelu,attention,...}.ts):
// the contract-level checks are tensor-interface's `*Args`; what stays here is the CPU's own.

/** The CPU's tensor checks for the shared layer-op checks: a live CPU tensor of the dtype, or a TypeError. */
export const cpuLayer: LayerOwners<CpuTensor<'f32'>, CpuTensor<'i32'>> = {
  f32: (value, argument) => asCpu(value, argument, ['f32']),
  i32: (value, argument) => asCpu(value, argument, ['i32']),
};

/**
 * Throws a RangeError unless every id is in `0..count-1` (or equals `ignore`). The ids are host data
 * here, so the CPU checks what a GPU backend cannot without a sync.
 */
export function checkIds(ids: Int32Array, count: number, argument: string, ignore?: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if ((id < 0 || id >= count) && id !== ignore) {
      const also = ignore === undefined ? '' : ` or ${ignore} (ignoreIndex)`;
      throw new RangeError(`${argument}: expected ids in 0..${count - 1}${also}, found ${id} at index ${i}`);
    }
  }
}
