import type { LayerOwners } from '@fp8lm/tensor-interface';
import type { BufferBinding, GpuContext } from './context.js';
import { asGpu, type WebGpuTensor } from './webgpu-tensor.js';

// The WebGPU side of the layer ops (src/ops/{embedding,layernorm,gelu,...}.ts): the contract-level
// argument checks are tensor-interface's `*Args`; what stays here is WebGPU's own (buffer aliasing,
// bindings, scratch buffers). Token ids are device data and are not checked.

/** The WebGPU tensor checks for the shared layer-op checks: a live WebGPU tensor of the dtype, or a TypeError. */
export const gpuLayer: LayerOwners<WebGpuTensor<'f32'>, WebGpuTensor<'i32'>> = {
  f32: (value, argument) => asGpu(value, argument, ['f32']),
  i32: (value, argument) => asGpu(value, argument, ['i32']),
};

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
 * The bindings of an elementwise shader whose f32 inputs may be its output: binding 1 is `out`
 * (read_write), then one read binding per input in another buffer. The shader reads input `a` through
 * `load_a(i)`, which this prepends, from `a`'s binding or from `out`: one shader body serves every
 * aliasing pattern, yet each buffer is bound once (a buffer bound twice with one binding writable is
 * a validation error). `key` names the pattern, for the pipeline cache key.
 */
export function aliasedBindings(
  out: WebGpuTensor,
  inputs: readonly (readonly [string, WebGpuTensor])[],
): { key: string; wgsl: string; buffers: BufferBinding[] } {
  const buffers: BufferBinding[] = [{ buffer: out.buffer, access: 'read_write' }];
  let wgsl = '@group(0) @binding(1) var<storage, read_write> out: array<f32>;\n';
  const aliased: string[] = [];
  for (const [name, t] of inputs) {
    if (t.storage === out.storage) {
      aliased.push(name);
      wgsl += `fn load_${name}(i: u32) -> f32 { return out[i]; }\n`;
    } else {
      buffers.push({ buffer: t.buffer, access: 'read' });
      wgsl += `@group(0) @binding(${buffers.length}) var<storage, read> ${name}: array<f32>;\n`;
      wgsl += `fn load_${name}(i: u32) -> f32 { return ${name}[i]; }\n`;
    }
  }
  return { key: aliased.length === 0 ? '' : `:out=${aliased.join('=')}`, wgsl, buffers };
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
