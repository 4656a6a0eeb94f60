/** Cached bind groups above which the cache starts over (a model's worth is a few hundred). */
const MAX_GROUPS = 8192;

/** One entry of a bind group: a whole buffer, or the range `offset`, `size` of it. */
export interface GroupEntry {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
  readonly size?: number;
}

/**
 * Bind groups by pipeline and buffers. Recording a dispatch is mostly the bind group it needs (a
 * native object per call: 8–20 µs on the CPU Vulkan drivers, against about 3 µs for the rest), and a
 * training step repeats the same dispatches step after step: the same pipelines on the same tensors,
 * with their uniforms and scalars at the same places of the context's arenas (see UniformArena), so
 * the context keeps the groups. (Dynamic offsets would make the arena places leave the key, but
 * lavapipe runs dispatches with them 2.5× slower.) A group is dropped when one of its buffers is
 * destroyed ({@link forget}); groups with a buffer that lives only until the next submit
 * ({@link markTransient}) are never kept.
 */
export class BindGroupCache {
  readonly #device: GPUDevice;
  readonly #ids = new WeakMap<GPUBuffer, number>();
  #nextId = 1;
  readonly #transient = new WeakSet<GPUBuffer>();
  readonly #groups = new Map<string, GPUBindGroup>();
  /** The keys of the cached groups each buffer is in. */
  readonly #keysOf = new Map<GPUBuffer, Set<string>>();
  hits = 0;
  misses = 0;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** `buffer` is destroyed at the next submit: a group that binds it is made afresh each time. */
  markTransient(buffer: GPUBuffer): void {
    this.#transient.add(buffer);
  }

  /** Drops every group that binds `buffer` (call before destroying it). */
  forget(buffer: GPUBuffer): void {
    const keys = this.#keysOf.get(buffer);
    if (keys === undefined) return;
    for (const key of keys) this.#groups.delete(key);
    this.#keysOf.delete(buffer);
  }

  /** The bind group of `entries` (bindings 0, 1, … in order) for the pipeline `pipelineKey`. */
  get(pipelineKey: string, layout: GPUBindGroupLayout, entries: readonly GroupEntry[]): GPUBindGroup {
    let key: string | undefined = pipelineKey;
    for (const e of entries) {
      if (this.#transient.has(e.buffer)) {
        key = undefined;
        break;
      }
      key +=
        e.offset === undefined ? `|${this.#id(e.buffer)}` : `|${this.#id(e.buffer)}@${e.offset}:${e.size}`;
    }
    if (key !== undefined) {
      const cached = this.#groups.get(key);
      if (cached !== undefined) {
        this.hits++;
        return cached;
      }
    }
    this.misses++;
    const group = this.#device.createBindGroup({
      layout,
      entries: entries.map((e, binding) => ({
        binding,
        resource:
          e.offset === undefined
            ? { buffer: e.buffer }
            : { buffer: e.buffer, offset: e.offset, size: e.size },
      })),
    });
    if (key !== undefined) {
      if (this.#groups.size >= MAX_GROUPS) this.clear();
      this.#groups.set(key, group);
      for (const e of entries) {
        const keys = this.#keysOf.get(e.buffer) ?? new Set<string>();
        keys.add(key);
        this.#keysOf.set(e.buffer, keys);
      }
    }
    return group;
  }

  /** Groups cached now. */
  get size(): number {
    return this.#groups.size;
  }

  clear(): void {
    this.#groups.clear();
    this.#keysOf.clear();
  }

  #id(buffer: GPUBuffer): number {
    let id = this.#ids.get(buffer);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(buffer, id);
    }
    return id;
  }
}
