import { checkScaleTensor, type ScaleArg } from '@fp8lm/tensor-interface';
import { BindGroupCache, type GroupEntry } from './bind-group-cache.js';
import { BufferPool } from './buffer-pool.js';
import { MAP_MODE_READ, SHADER_STAGE_COMPUTE, Usage } from './gpu-flags.js';
import { KernelProfiler } from './kernel-profiler.js';
import { type BufferSlice, bindingBytes, UniformArena } from './uniform-arena.js';
import type { UniformLayout } from './uniforms.js';
import { asGpu, type WebGpuTensor } from './webgpu-tensor.js';
import { codecWgsl, commonWgsl } from './wgsl.generated.js';

/**
 * One storage binding of a dispatch: a tensor (or raw buffer) and whether the shader writes it; a
 * {@link BufferSlice} binds only its range.
 */
export interface BufferBinding {
  readonly buffer: GPUBuffer;
  readonly access: 'read' | 'read_write';
  readonly offset?: number;
  readonly size?: number;
}

export type { BufferSlice } from './uniform-arena.js';

/** A GPU buffer, what holds one (a tensor, its storage), or a slice of one. */
export type Bindable = GPUBuffer | { readonly buffer: GPUBuffer } | BufferSlice;

function bindings(access: BufferBinding['access'], xs: readonly Bindable[]): BufferBinding[] {
  return xs.map((x) => {
    if ('offset' in x) return { buffer: x.buffer, access, offset: x.offset, size: x.size };
    return { buffer: 'buffer' in x ? x.buffer : x, access };
  });
}

/** Read-only storage bindings of `xs`, in order (a dispatch's `buffers`). */
export function reads(...xs: readonly Bindable[]): BufferBinding[] {
  return bindings('read', xs);
}

/** Read-write storage bindings of `xs`, in order (a dispatch's `buffers`). */
export function writes(...xs: readonly Bindable[]): BufferBinding[] {
  return bindings('read_write', xs);
}

/** What an op asks {@link GpuContext.dispatch} to run. */
export interface Dispatch<K extends string> {
  /** Pipeline cache key: the op and every choice that changes the shader text (format, variant, …). */
  readonly key: string;
  /** The op's WGSL (bindings 1.. in the order of `buffers`); called only when the key is new. */
  readonly code: () => string;
  /** The shader uses f16 (`enable f16;` is put first; the device must have `shader-f16`). */
  readonly enableF16?: boolean;
  readonly uniforms: UniformLayout<K>;
  readonly values: Record<K, number>;
  readonly buffers: readonly BufferBinding[];
  /** Workgroups along x, y, z. */
  readonly workgroups: readonly [number, number?, number?];
}

interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** Dispatches recorded before a submit; bounds the transient buffers held by an open encoder. */
const DISPATCHES_PER_SUBMIT = 64;

/**
 * Everything the op files share: the device, the command encoder that records enqueued work, the
 * pipeline and bind group caches, the tensor buffer pool, the arenas of per-dispatch data (uniforms,
 * scale vectors) and the buffers that live until the next submit.
 * Ops call {@link dispatch}; `read` and `synchronize` submit and wait.
 */
export class GpuContext {
  readonly pool: BufferPool;
  readonly maxWorkgroupsPerDimension: number;
  /**
   * Whether kernels may take their shader-f16 paths: set by the backend once the device has
   * `shader-f16` and its f16 decoders passed the check of f16-check.ts.
   */
  shaderF16 = false;
  /** Per-dispatch GPU timing, where the device has `timestamp-query` (see {@link KernelProfiler}). */
  readonly profiler: KernelProfiler | null;
  #encoder: GPUCommandEncoder | null = null;
  /** The compute pass that consecutive dispatches share (each dispatch is its own usage scope). */
  #pass: GPUComputePassEncoder | null = null;
  #recorded = 0;
  #transient: GPUBuffer[] = [];
  readonly #arena: UniformArena;
  readonly #groups: BindGroupCache;
  readonly #standIns: [GPUBuffer?, GPUBuffer?] = [];
  #pipelines = new Map<string, CachedPipeline>();
  #error: string | null = null;
  #lost: string | null = null;

  /** `poolCapacity`: pooled bytes above which released tensor buffers are destroyed (default 512 MiB). */
  constructor(
    readonly device: GPUDevice,
    options: { poolCapacity?: number } = {},
  ) {
    this.#groups = new BindGroupCache(device);
    this.pool = new BufferPool(device, options.poolCapacity, (b) => this.#groups.forget(b));
    this.profiler = device.features.has('timestamp-query')
      ? new KernelProfiler(device, DISPATCHES_PER_SUBMIT)
      : null;
    this.maxWorkgroupsPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    this.#arena = new UniformArena(
      device,
      Math.max(device.limits.minUniformBufferOffsetAlignment, device.limits.minStorageBufferOffsetAlignment),
    );
    device.addEventListener('uncapturederror', (event) => {
      const message = (event as GPUUncapturedErrorEvent).error.message;
      this.#error ??= message;
    });
    device.lost.then((info) => {
      this.#lost = `the WebGPU device was lost (${info.reason}): ${info.message}`;
    });
  }

  /**
   * The open command encoder (a new one after each submit), for copies and clears: it ends the open
   * compute pass first, since those cannot be recorded inside one.
   */
  get encoder(): GPUCommandEncoder {
    this.#endPass();
    return this.#openEncoder();
  }

  #openEncoder(): GPUCommandEncoder {
    this.#checkLost();
    this.#encoder ??= this.device.createCommandEncoder();
    return this.#encoder;
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
  }

  /** The keys of the pipelines built so far (one per shader variant). */
  get pipelineKeys(): string[] {
    return [...this.#pipelines.keys()];
  }

  /** Number of distinct pipelines built so far (each key compiles once). */
  get pipelineCount(): number {
    return this.#pipelines.size;
  }

  /** Bind groups reused from the cache and made afresh so far, and those cached now (diagnostics, tests). */
  get bindGroupStats(): { hits: number; misses: number; cached: number } {
    return { hits: this.#groups.hits, misses: this.#groups.misses, cached: this.#groups.size };
  }

  /** Records one compute dispatch: uniforms from `values`, storage buffers in order from binding 1. */
  dispatch<K extends string>(d: Dispatch<K>): void {
    const [x, y = 1, z = 1] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const { pipeline, layout } = this.#pipeline(d);
    const uniforms = this.#slice(d.uniforms.pack(d.values));
    const entries: GroupEntry[] = [uniforms];
    for (const b of d.buffers) entries.push(b);
    const group = this.#groups.get(d.key, layout, entries);
    // Profiled, a dispatch gets a pass of its own, timed at its beginning and end.
    const timestampWrites = this.profiler?.timestampWrites(d.key);
    if (timestampWrites !== undefined) this.#endPass();
    this.#pass ??= this.#openEncoder().beginComputePass(timestampWrites && { timestampWrites });
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group);
    this.#pass.dispatchWorkgroups(x, y, z);
    if (timestampWrites !== undefined) this.#endPass();
    if (++this.#recorded >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  /**
   * A 2-D grid of workgroups covering `count` threads in groups of `workgroupSize`, within the
   * per-dimension limit; shaders recover the flat thread index with common.wgsl's `flat_index`.
   */
  grid1d(count: number, workgroupSize: number): [number, number] {
    const groups = Math.ceil(count / workgroupSize);
    if (groups <= this.maxWorkgroupsPerDimension) return [groups, 1];
    const x = this.maxWorkgroupsPerDimension;
    return [x, Math.ceil(groups / x)];
  }

  /**
   * A small f32 storage buffer holding scalars for one dispatch: host numbers are written at creation,
   * device `ScaleArg` tensors (one element) are copied in by the encoder, so delayed scaling never syncs.
   * `args[i]` lands at element i; `undefined` takes `fallback[i]` (default 1).
   */
  scalars(
    args: readonly (ScaleArg | undefined)[],
    names: readonly string[],
    fallback?: readonly number[],
  ): BufferSlice {
    const host = new Float32Array(Math.max(4, args.length));
    const copies: [GPUBuffer, number][] = [];
    args.forEach((arg, i) => {
      if (arg === undefined) host[i] = fallback?.[i] ?? 1;
      else if (typeof arg === 'number') host[i] = arg;
      else copies.push([checkScaleTensor(arg, names[i], asGpu).buffer, i]);
    });
    const slice = this.#slice(host.buffer);
    for (const [src, i] of copies)
      this.encoder.copyBufferToBuffer(src, 0, slice.buffer, slice.offset + i * 4, 4);
    return slice;
  }

  /**
   * Read-only data for one dispatch (a uniform block, a scalar vector) as a slice of the batch's arena
   * (see {@link UniformArena}), or, when larger than a slice may be, a buffer of its own until the
   * next submit.
   */
  #slice(data: ArrayBuffer): BufferSlice {
    const slice = this.#arena.slice(data);
    if (slice !== undefined) return slice;
    const buffer = this.transientBuffer(data, Usage.UNIFORM | Usage.STORAGE | Usage.COPY_DST);
    return { buffer, offset: 0, size: buffer.size };
  }

  /**
   * A 16-byte storage buffer for a binding the shader variant does not use, one for read-only and one
   * for writable bindings (so a dispatch never binds one buffer both ways); it lives as long as the
   * context, so the dispatch's bind group can be cached.
   */
  standIn(access: BufferBinding['access']): GPUBuffer {
    const i = access === 'read' ? 0 : 1;
    this.#standIns[i] ??= this.device.createBuffer({ size: 16, usage: Usage.STORAGE });
    return this.#standIns[i];
  }

  /** A buffer that lives until the next submit, created holding `data`. */
  transientBuffer(data: ArrayBuffer, usage: number): GPUBuffer {
    const buffer = this.device.createBuffer({
      size: bindingBytes(data.byteLength),
      usage,
      mappedAtCreation: true,
    });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    this.#transient.push(buffer);
    this.#groups.markTransient(buffer);
    return buffer;
  }

  /** Submits the recorded work; transient buffers and released tensors are freed after it. */
  flush(): void {
    this.#arena.beforeSubmit();
    this.#endPass();
    if (this.#encoder !== null) {
      this.profiler?.beforeSubmit(this.#encoder);
      this.device.queue.submit([this.#encoder.finish()]);
      this.profiler?.afterSubmit();
      this.#encoder = null;
    }
    this.#recorded = 0;
    for (const b of this.#transient) b.destroy(); // destroyed once the submitted work is done
    this.#transient = [];
    this.pool.afterSubmit();
  }

  /** Submits and waits for the queue; throws the first WebGPU error since the last wait. */
  async wait(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwPendingError();
  }

  /** Copies `bytes` bytes of `tensor` back to the host after all recorded work. */
  async readBytes(tensor: WebGpuTensor, bytes: number): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: Usage.MAP_READ | Usage.COPY_DST });
    this.encoder.copyBufferToBuffer(tensor.buffer, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ);
      this.throwPendingError();
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  /** Throws (and clears) the first uncaptured WebGPU error, so a bad shader fails the op's caller. */
  throwPendingError(): void {
    this.#checkLost();
    if (this.#error !== null) {
      const message = this.#error;
      this.#error = null;
      throw new Error(`webgpu: ${message}`);
    }
  }

  /** Frees the pool and every cached pipeline. */
  destroy(): void {
    this.flush();
    this.profiler?.destroy();
    this.#groups.clear();
    this.pool.clear();
    this.#arena.destroy();
    for (const b of this.#standIns) b?.destroy();
    this.#standIns.length = 0;
    this.#pipelines.clear();
  }

  #checkLost(): void {
    if (this.#lost !== null) throw new Error(this.#lost);
  }

  #pipeline<K extends string>(d: Dispatch<K>): CachedPipeline {
    const cached = this.#pipelines.get(d.key);
    if (cached !== undefined) return cached;
    const code = `${d.enableF16 ? 'enable f16;\n' : ''}${d.uniforms.wgsl}\n${commonWgsl}\n${d.code()}`;
    const module = this.device.createShaderModule({ label: d.key, code });
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } },
    ];
    d.buffers.forEach((b, i) => {
      entries.push({
        binding: i + 1,
        visibility: SHADER_STAGE_COMPUTE,
        buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
      });
    });
    const layout = this.device.createBindGroupLayout({ label: d.key, entries });
    const pipeline = this.device.createComputePipeline({
      label: d.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const entry = { pipeline, layout };
    this.#pipelines.set(d.key, entry);
    return entry;
  }
}

/** WGSL of codec.wgsl for one format, with its FMT_* constants (see format-constants.ts). */
export function codecFor(constants: string): string {
  return `${constants}\n${codecWgsl}`;
}
