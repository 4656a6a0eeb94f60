import {
  type DeviceTensor,
  type GemmArgs,
  type GemmInputDType,
  type GemmOperandArgs,
  type GemmOptions,
  type GemmOutputDType,
  gemmArgs,
} from '@fp8lm/tensor-interface';
import { asGpu, type WebGpuTensor } from '../webgpu-tensor.js';

/** One GEMM input, checked: its stored layout `[rows, cols]` and its scales (still on the device). */
export type GemmOperand = GemmOperandArgs<WebGpuTensor>;

/** A GEMM call after every argument was checked (scale tensors stay unread on the device). */
export type GemmPlan = GemmArgs<WebGpuTensor>;

/**
 * Checks the arguments of `gemm` with the contract's `gemmArgs` (kernels-cpu's order and messages),
 * plus what only a GPU backend needs: a written tensor (`c`, `amaxOut`) must not share its buffer with
 * another bound tensor, since WebGPU rejects a buffer bound both writable and again in one dispatch.
 */
export function planGemm(
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  options?: GemmOptions,
): GemmPlan {
  const plan = gemmArgs(asGpu, a, b, c, options);
  const { c: C, amaxOut } = plan;
  // Buffers the GEMM dispatch reads; an FP8 C is written by quantize from a temporary, but still
  // must not alias them (the caller would read a half-updated input otherwise).
  const reads: [string, WebGpuTensor | undefined][] = [
    ['a', plan.a.tensor],
    ['b', plan.b.tensor],
    ['bias', plan.bias],
    ['aBlocks.scaleInv', plan.a.blocks?.scaleInv],
    ['bBlocks.scaleInv', plan.b.blocks?.scaleInv],
  ];
  for (const [name, t] of reads) {
    if (t !== undefined && t.storage === C.storage) {
      throw new RangeError(`c: must not share its buffer with ${name}`);
    }
    if (t !== undefined && amaxOut !== undefined && t.storage === amaxOut.storage) {
      throw new RangeError(`amaxOut: must not share its buffer with ${name}`);
    }
  }
  if (amaxOut !== undefined && amaxOut.storage === C.storage) {
    throw new RangeError('amaxOut: must not share its buffer with c');
  }
  return plan;
}
