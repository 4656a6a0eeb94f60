// GpuContext's recording: dispatches share one compute pass (each its own usage scope, so a dispatch
// sees the previous one's writes), and the per-dispatch uniforms and scalars are slices of arena
// buffers that roll over within a batch and live until the submit.
import {
  type Bindable,
  GpuContext,
  reads,
  uniformLayout,
  type WebGpuTensor,
  writes,
} from '@fp8lm/kernels-webgpu';
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

  /** `count` dispatches writing out[i] = 3·i + s[0], each from its own uniforms and scalars. */
  function writeAll(ctx: GpuContext, out: WebGpuTensor<'f32'>, shift: number, count = 200) {
    for (let i = 0; i < count; i++) {
      ctx.dispatch({
        key: 'test-each-own',
        code: () =>
          '@group(0) @binding(1) var<storage, read> s: array<f32>;\n' +
          '@group(0) @binding(2) var<storage, read_write> out: array<f32>;\n' +
          '@compute @workgroup_size(1) fn main() { out[params.index] = f32(params.last) + s[0]; }',
        uniforms: layout,
        values: { index: i, last: 3 * i },
        buffers: [...reads(ctx.scalars([shift + i], ['s'])), ...writes(out)],
        workgroups: [1],
      });
    }
  }

  it('reuses bind groups when the same dispatches repeat, each with its own uniforms and scalars', async () => {
    const ctx = new GpuContext(gpu.device);
    const out = gpu.alloc('f32', [200]) as WebGpuTensor<'f32'>;
    // Four batches (64, 64, 64, 8): the two arena sets alternate, so batches 3 and 4 find the
    // places of batches 1 and 2 with their groups.
    writeAll(ctx, out, 0);
    await ctx.wait();
    expect(ctx.bindGroupStats).toEqual({ hits: 72, misses: 128, cached: 128 });
    writeAll(ctx, out, 1000); // the same sequence again, with other values
    const expected = Array.from({ length: 200 }, (_, i) => 3 * i + 1000 + i);
    expect([...new Float32Array(await ctx.readBytes(out, 800))]).toEqual(expected);
    // Every dispatch found its group: the same tensors, its data at the same arena place.
    expect(ctx.bindGroupStats).toEqual({ hits: 272, misses: 128, cached: 128 });
    gpu.dispose(out);
    ctx.destroy();
  });

  it('keeps a slice handed out before a submit valid for a dispatch recorded after it', async () => {
    const ctx = new GpuContext(gpu.device);
    const out = gpu.alloc('f32', [200]) as WebGpuTensor<'f32'>;
    const late = ctx.scalars([42], ['s']); // the first slice of batch 1, bound in batch 2
    writeAll(ctx, out, 0, 64); // the 64th dispatch submits batch 1
    writeAll(ctx, out, 500, 10); // batch 2's slices: at batch 1's first places, in the other set
    ctx.dispatch({
      key: 'test-late',
      code: () =>
        '@group(0) @binding(1) var<storage, read> s: array<f32>;\n' +
        '@group(0) @binding(2) var<storage, read_write> out: array<f32>;\n' +
        '@compute @workgroup_size(1) fn main() { out[params.index] = s[0]; }',
      uniforms: layout,
      values: { index: 0, last: 0 },
      buffers: [...reads(late), ...writes(out)],
      workgroups: [1],
    });
    const back = new Float32Array(await ctx.readBytes(out, 800));
    expect(back[0]).toBe(42);
    expect(back[9]).toBe(3 * 9 + 500 + 9);
    expect(back[10]).toBe(3 * 10 + 10);
    gpu.dispose(out);
    ctx.destroy();
  });

  it('drops the bind groups of destroyed buffers and never keeps those of transient ones', async () => {
    const ctx = new GpuContext(gpu.device, { poolCapacity: 0 }); // released buffers are destroyed
    const code = () =>
      '@group(0) @binding(1) var<storage, read_write> x: array<f32>;\n' +
      '@compute @workgroup_size(1) fn main() { x[0] = f32(params.index); }';
    const run = (buffer: Bindable) =>
      ctx.dispatch({
        key: 'test-drop',
        code,
        uniforms: layout,
        values: { index: 5, last: 0 },
        buffers: writes(buffer),
        workgroups: [1],
      });
    const { buffer } = ctx.pool.acquire(16);
    for (let i = 0; i < 4; i++) {
      run(buffer);
      ctx.flush(); // batches alternate between two arena sets: 2 places, 2 groups
    }
    expect(ctx.bindGroupStats).toEqual({ hits: 2, misses: 2, cached: 2 });
    ctx.pool.release(buffer);
    ctx.flush(); // the pool destroys it, and the cache lets its group go
    expect(ctx.bindGroupStats.cached).toBe(0);
    const transient = ctx.transientBuffer(new ArrayBuffer(16), 0x80 | 0x04);
    run(transient);
    run(transient);
    expect(ctx.bindGroupStats).toEqual({ hits: 2, misses: 4, cached: 0 });
    await ctx.wait();
    ctx.destroy();
  });
});
