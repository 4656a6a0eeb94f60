// GpuContext's recording: dispatches share one compute pass (each its own usage scope, so a dispatch
// sees the previous one's writes), and the per-dispatch uniforms and scalars are slices of arena
// buffers that roll over within a batch and live until the submit.
import { GpuContext, reads, uniformLayout, type WebGpuTensor, writes } from '@fp8lm/kernels-webgpu';
import { describe, expect, it } from 'vitest';
import { availabilityTitle, backend, skip, unavailableReason } from './gpu.js';

const layout = uniformLayout({ index: 'u32', last: 'u32' });

describe('GpuContext', () => {
  it.skipIf(skip)(availabilityTitle, () => expect(unavailableReason).toBe(''));
  if (backend === undefined) return;
  const gpu = backend;

  it('chains dependent dispatches inside one pass', async () => {
    const ctx = new GpuContext(gpu.device);
    const t = gpu.alloc('i32', [1]) as WebGpuTensor<'i32'>;
    for (let i = 0; i < 150; i++) {
      ctx.dispatch({
        key: 'test-increment',
        code: () =>
          '@group(0) @binding(1) var<storage, read_write> x: array<i32>;\n' +
          '@compute @workgroup_size(1) fn main() { x[0] = x[0] * 2 + i32(params.index) - x[0]; }',
        uniforms: layout,
        values: { index: 1, last: 0 },
        buffers: writes(t),
        workgroups: [1],
      });
    }
    expect([...new Int32Array(await ctx.readBytes(t, 4))]).toEqual([150]);
    gpu.dispose(t);
    ctx.destroy();
  });

  it('keeps every scalar slice of a batch valid when the arena rolls over, device scales included', async () => {
    const ctx = new GpuContext(gpu.device);
    const n = 200;
    const out = gpu.alloc('f32', [n]) as WebGpuTensor<'f32'>;
    const seven = gpu.upload('f32', [1], new Float32Array([7]));
    const width = 300; // 1200-byte scalar vectors: a 64 KiB arena holds fewer than a batch of 64
    for (let i = 0; i < n; i++) {
      const args = new Array<number | typeof seven>(width).fill(0);
      args[width - 1] = i % 2 === 1 ? seven : 0.25 * i;
      const slice = ctx.scalars(args, new Array(width).fill('s'));
      ctx.dispatch({
        key: 'test-scalars',
        code: () =>
          '@group(0) @binding(1) var<storage, read> s: array<f32>;\n' +
          '@group(0) @binding(2) var<storage, read_write> out: array<f32>;\n' +
          '@compute @workgroup_size(1) fn main() { out[params.index] = s[params.last] + f32(params.index); }',
        uniforms: layout,
        values: { index: i, last: width - 1 },
        buffers: [...reads(slice), ...writes(out)],
        workgroups: [1],
      });
    }
    const expected = Array.from({ length: n }, (_, i) => (i % 2 === 1 ? 7 : 0.25 * i) + i);
    expect([...new Float32Array(await ctx.readBytes(out, 4 * n))]).toEqual(expected);
    gpu.dispose(out);
    gpu.dispose(seven);
    ctx.destroy();
  });
});
