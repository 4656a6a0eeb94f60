import { MAP_MODE_READ, Usage } from './gpu-flags.js';

/**
 * GPU time of one shader variant (a pipeline key) over the profiled dispatches. A dispatch's time runs
 * from its beginning, or the end of the dispatch before it if that is later, to its end.
 */
export interface KernelTime {
  /** The pipeline key: the op and its variant (`gemm64:e4m3.h.k.none:…`, `layernormForward`, …). */
  readonly key: string;
  /** Dispatches of it that were timed. */
  readonly dispatches: number;
  /** Their summed GPU time, in milliseconds. */
  readonly gpuMs: number;
}

/** What {@link WebGpuBackend.stopProfile} returns: where the device's time went. */
export interface KernelProfile {
  /** Dispatches timed (every compute dispatch between start and stop). */
  readonly dispatches: number;
  /** Summed GPU time of those dispatches, in milliseconds. */
  readonly gpuMs: number;
  /** Wall-clock time from the start to the end of the last timed dispatch, in milliseconds. */
  readonly wallMs: number;
  /** Per pipeline key, most GPU time first. */
  readonly kernels: readonly KernelTime[];
}

/** Results of one submit waiting for their readback: the keys in dispatch order. */
interface Pending {
  readonly staging: GPUBuffer;
  readonly keys: readonly string[];
}

/**
 * Per-dispatch GPU timing through `timestamp-query`: while active, every compute dispatch gets a
 * pass of its own whose beginning and end write a timestamp. At each submit the timestamps are
 * resolved and copied to a mappable buffer whose readback is started at once, so profiling never
 * waits for the device; the promise {@link stop} returns waits for the last ones. Copies and clears recorded between
 * dispatches are not timed (they are not in a compute pass).
 */
export class KernelProfiler {
  readonly #device: GPUDevice;
  readonly #capacity: number;
  readonly #querySet: GPUQuerySet;
  readonly #resolve: GPUBuffer;
  #active = false;
  #keys: string[] = [];
  #submitted: Pending | null = null;
  #reads: Promise<void>[] = [];
  #free: GPUBuffer[] = [];
  #totals = new Map<string, { dispatches: number; ns: number }>();
  #started = 0;
  #error: Error | null = null;

  /** `dispatchesPerSubmit`: the most dispatches recorded between two submits (two queries each). */
  constructor(device: GPUDevice, dispatchesPerSubmit: number) {
    this.#device = device;
    this.#capacity = dispatchesPerSubmit;
    this.#querySet = device.createQuerySet({ type: 'timestamp', count: 2 * dispatchesPerSubmit });
    this.#resolve = device.createBuffer({
      size: 16 * dispatchesPerSubmit,
      usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC,
    });
  }

  /** Starts a profile: totals from earlier profiles are dropped. */
  start(): void {
    if (this.#active) throw new Error('profile: already started (stopProfile ends it)');
    this.#active = true;
    this.#totals.clear();
    this.#error = null;
    this.#started = performance.now();
  }

  /**
   * The timestamp writes for the pass of the next dispatch, whose pipeline key is `key`; undefined
   * when not profiling. The caller must submit before more than `dispatchesPerSubmit` of them.
   */
  timestampWrites(key: string): GPUComputePassTimestampWrites | undefined {
    if (!this.#active) return undefined;
    const i = this.#keys.length;
    if (i >= this.#capacity) throw new Error(`profile: more than ${this.#capacity} dispatches in one submit`);
    this.#keys.push(key);
    return { querySet: this.#querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve and readback copy of this submit's timestamps into `encoder` (before finish). */
  beforeSubmit(encoder: GPUCommandEncoder): void {
    if (this.#keys.length === 0) return;
    const bytes = 16 * this.#keys.length;
    const staging =
      this.#free.pop() ??
      this.#device.createBuffer({ size: 16 * this.#capacity, usage: Usage.MAP_READ | Usage.COPY_DST });
    encoder.resolveQuerySet(this.#querySet, 0, 2 * this.#keys.length, this.#resolve, 0);
    encoder.copyBufferToBuffer(this.#resolve, 0, staging, 0, bytes);
    this.#submitted = { staging, keys: this.#keys };
    this.#keys = [];
  }

  /** After the submit: starts reading its timestamps back. */
  afterSubmit(): void {
    const pending = this.#submitted;
    if (pending === null) return;
    this.#submitted = null;
    this.#reads.push(this.#collect(pending));
  }

  async #collect({ staging, keys }: Pending): Promise<void> {
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, 16 * keys.length);
      const t = new BigUint64Array(staging.getMappedRange(0, 16 * keys.length));
      let previousEnd = 0n;
      keys.forEach((key, i) => {
        // A pass's beginning may be written before the previous pass has finished (nothing orders
        // independent dispatches), so a dispatch counts from the later of its beginning and the
        // previous end: the times add up to the device's busy time, never to more than the wall clock.
        const begin = t[2 * i] > previousEnd ? t[2 * i] : previousEnd;
        const end = t[2 * i + 1];
        const ns = end > begin ? Number(end - begin) : 0;
        if (end > previousEnd) previousEnd = end;
        const total = this.#totals.get(key) ?? { dispatches: 0, ns: 0 };
        total.dispatches++;
        total.ns += ns;
        this.#totals.set(key, total);
      });
      staging.unmap();
      this.#free.push(staging);
    } catch (e) {
      this.#error ??= e instanceof Error ? e : new Error(String(e));
      staging.destroy();
    }
  }

  /**
   * Ends the profile at once, `flush` submitting what was recorded since the last submit (work
   * recorded after this call is not timed), and resolves when every timed dispatch has run: the
   * totals per pipeline key.
   */
  async stop(flush: () => void): Promise<KernelProfile> {
    if (!this.#active) throw new Error('profile: not started (call startProfile first)');
    try {
      flush();
    } finally {
      this.#active = false;
    }
    const reads = this.#reads;
    this.#reads = [];
    await Promise.all(reads);
    const wallMs = performance.now() - this.#started;
    if (this.#error !== null)
      throw new Error(`profile: reading the timestamps failed: ${this.#error.message}`);
    const kernels = [...this.#totals].map(([key, t]) => ({
      key,
      dispatches: t.dispatches,
      gpuMs: t.ns / 1e6,
    }));
    kernels.sort((a, b) => b.gpuMs - a.gpuMs || a.key.localeCompare(b.key));
    return {
      dispatches: kernels.reduce((s, k) => s + k.dispatches, 0),
      gpuMs: kernels.reduce((s, k) => s + k.gpuMs, 0),
      wallMs,
      kernels,
    };
  }

  destroy(): void {
    this.#active = false;
    this.#querySet.destroy();
    this.#resolve.destroy();
    for (const b of this.#free) b.destroy();
    this.#free = [];
  }
}
