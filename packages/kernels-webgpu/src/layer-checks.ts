import { type DeviceTensor, formatShape, type Shape, shapesEqual } from '@fp8lm/tensor-interface';
import type { GpuContext } from './context.js';
import { asGpu, type WebGpuTensor } from './webgpu-tensor.js';

// Argument checks and small helpers shared by the layer ops (src/ops/{embedding,layernorm,gelu,...}.ts),
// with the messages of kernels-cpu's layer-checks. Token ids are device data and are not checked.

/** A live WebGPU f32 tensor, or a TypeError naming `argument`. */
export function f32(value: DeviceTensor, argument: string): WebGpuTensor<'f32'> {
  return asGpu(value, argument, ['f32']);
}

/** A live WebGPU i32 tensor, or a TypeError naming `argument`. */
export function i32(value: DeviceTensor, argument: string): WebGpuTensor<'i32'> {
  return asGpu(value, argument, ['i32']);
}

/** The extents of `t`, which must have one per name in `names` (e.g. `['B', 'T']`); a RangeError otherwise. */
export function dims(t: DeviceTensor, argument: string, names: readonly string[]): number[] {
  if (t.shape.length !== names.length) {
    throw new RangeError(`${argument}: expected shape [${names.join(', ')}], found ${formatShape(t.shape)}`);
  }
  return [...t.shape];
}

/** The last extent of `t` (C of `[..., C]`); a RangeError for a scalar. */
export function lastDim(t: DeviceTensor, argument: string, name = 'C'): number {
  if (t.shape.length === 0) throw new RangeError(`${argument}: expected shape [..., ${name}], found []`);
  return t.shape[t.shape.length - 1];
}

/** Throws a RangeError unless `t` has exactly the shape `expected`; `meaning` spells it out, e.g. `"[B, T, C]"`. */
export function expectShape(t: DeviceTensor, argument: string, expected: Shape, meaning?: string): void {
  if (!shapesEqual(t.shape, expected)) {
    const what = meaning === undefined ? '' : ` ${meaning} =`;
    throw new RangeError(
      `${argument}: expected shape${what} ${formatShape(expected)}, found ${formatShape(t.shape)}`,
    );
  }
}

/** Head size `C / numHeads`; a RangeError unless numHeads is a positive integer dividing C. */
export function headSize(numHeads: number, C: number): number {
  if (!Number.isInteger(numHeads) || numHeads <= 0 || C % numHeads !== 0) {
    throw new RangeError(`numHeads: expected a positive integer that divides C = ${C}, found ${numHeads}`);
  }
  return C / numHeads;
}

/** Checks an element index into a tensor of `size` elements. */
export function checkIndex(index: number, size: number, argument: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${argument}: expected an integer in 0..${size - 1}, found ${index}`);
  }
}

/** Throws a RangeError if a host scale is not finite (a device scale cannot be checked without a sync). */
export function checkFiniteScale(arg: unknown, argument: string): void {
  if (typeof arg === 'number' && !Number.isFinite(arg)) {
    throw new RangeError(`${argument}: expected a finite number, found ${arg}`);
  }
}

/**
 * Throws a RangeError if the output shares its buffer with one of the inputs where the contract
 * forbids aliasing: binding one buffer twice with one binding writable is a WebGPU validation error,
 * which would otherwise only surface at the next sync.
 */
export function noAlias(
  output: WebGpuTensor,
  outputName: string,
  inputs: readonly (readonly [WebGpuTensor, string])[],
): void {
  for (const [t, name] of inputs) {
    if (t.storage === output.storage)
      throw new RangeError(`${outputName}: must not share its buffer with ${name}`);
  }
}

/**
 * A pooled storage buffer of at least `bytes` bytes for intermediate results of one op. Its contents are stale:
 * the op must write every element it reads. Call `done()` once the dispatches using it are recorded;
 * the pool hands it out again only after the next submit, so recorded work still sees it.
 */
export function scratch(ctx: GpuContext, bytes: number): { buffer: GPUBuffer; done: () => void } {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const { buffer } = ctx.pool.acquire(size);
  return { buffer, done: () => ctx.pool.release(buffer) };
}
