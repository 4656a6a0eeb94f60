import { Usage } from './gpu-flags.js';

/** Usage of every tensor buffer: bound as storage, copied to staging for `read`, written by `upload`/`copy`. */
export const TENSOR_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/**
 * Reuses tensor buffers of the same byte size. A disposed buffer may still be read by commands that are
 * recorded but not yet submitted, so it only becomes reusable after the next submit ({@link afterSubmit}).
 */
export class BufferPool {
  #free = new Map<number, GPUBuffer[]>();
  #pending: GPUBuffer[] = [];
  #pooledBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Pooled bytes above which released buffers are destroyed instead. */
    private readonly capacity = 512 * 2 ** 20,
    /** Called with each buffer right before the pool destroys it (the context drops its bind groups). */
    private readonly onDestroy: (buffer: GPUBuffer) => void = () => {},
  ) {}

  #destroy(buffer: GPUBuffer): void {
    this.onDestroy(buffer);
    buffer.destroy();
  }

  /** A buffer of exactly `bytes` bytes, and whether it came from the pool (its contents are then stale). */
  acquire(bytes: number): { buffer: GPUBuffer; reused: boolean } {
    const list = this.#free.get(bytes);
    const buffer = list?.pop();
    if (buffer !== undefined) {
      this.#pooledBytes -= bytes;
      return { buffer, reused: true };
    }
    return { buffer: this.device.createBuffer({ size: bytes, usage: TENSOR_USAGE }), reused: false };
  }

  /** Returns a buffer; it is reusable once the work recorded so far has been submitted. */
  release(buffer: GPUBuffer): void {
    this.#pending.push(buffer);
  }

  /** Called after each submit: buffers released before it may now be handed out again. */
  afterSubmit(): void {
    for (const b of this.#pending) {
      if (this.#pooledBytes + b.size > this.capacity) {
        this.#destroy(b);
        continue;
      }
      const list = this.#free.get(b.size) ?? [];
      list.push(b);
      this.#free.set(b.size, list);
      this.#pooledBytes += b.size;
    }
    this.#pending = [];
  }

  /** Destroys every pooled buffer. */
  clear(): void {
    for (const list of this.#free.values()) for (const b of list) this.#destroy(b);
    for (const b of this.#pending) this.#destroy(b);
    this.#free.clear();
    this.#pending = [];
    this.#pooledBytes = 0;
  }
}
