import { Usage } from './gpu-flags.js';

/** A range of a buffer: the read-only data of one dispatch in the batch's arena ({@link GpuContext.scalars}). */
export interface BufferSlice {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/**
 * Bytes of one arena buffer: the uniform blocks and scalar vectors of a batch of dispatches (at most
 * two slices of one offset alignment, 256 bytes on most devices, per dispatch), so a batch of 64 fits
 * in one. Data larger than {@link ARENA_SLICE_MAX} gets a buffer of its own.
 */
const ARENA_BYTES = 64 * 1024;
const ARENA_SLICE_MAX = 4096;

/** The bytes a buffer or slice for `byteLength` bytes of data takes: whole 4-byte words, at least 16. */
export function bindingBytes(byteLength: number): number {
  return Math.max(16, Math.ceil(byteLength / 4) * 4);
}

interface Arena {
  readonly buffer: GPUBuffer;
  /** What the batch wrote, uploaded with one `writeBuffer` before its submit. */
  readonly bytes: Uint8Array;
  used: number;
}

/**
 * The read-only data of each dispatch (uniform blocks, scalar vectors) as slices of a few buffers that
 * live as long as the context, filled in the same order each batch: a training step's dispatches find
 * their data at the same places step after step, so their bind groups can be reused (creating one per
 * dispatch cost more than the rest of recording it; see BindGroupCache). The data of a batch goes up
 * in one `writeBuffer` before its submit (queue writes run before the submit's commands; a device
 * scale copied into a slice by the encoder lands after it).
 *
 * Batches alternate between two sets of buffers: a slice handed out just before a submit and bound
 * just after it (an op whose second dispatch falls into the next batch) still holds its data, since
 * the next batch writes the other set.
 */
export class UniformArena {
  readonly #device: GPUDevice;
  readonly #align: number;
  readonly #sets: [Arena[], Arena[]] = [[], []];
  #parity: 0 | 1 = 0;
  #index = 0;

  /** `align`: the offset alignment of uniform and storage bindings (the larger of the two). */
  constructor(device: GPUDevice, align: number) {
    this.#device = device;
    this.#align = align;
  }

  /** `data` in this batch's arena; undefined when it is larger than {@link ARENA_SLICE_MAX}. */
  slice(data: ArrayBuffer): BufferSlice | undefined {
    const size = bindingBytes(data.byteLength);
    if (size > ARENA_SLICE_MAX) return undefined;
    const set = this.#sets[this.#parity];
    let arena = set[this.#index] ?? this.#add(set);
    if (arena.used + size > ARENA_BYTES) {
      this.#index++;
      arena = set[this.#index] ?? this.#add(set);
    }
    const offset = arena.used;
    arena.bytes.set(new Uint8Array(data), offset);
    arena.used = Math.min(ARENA_BYTES, Math.ceil((offset + size) / this.#align) * this.#align);
    return { buffer: arena.buffer, offset, size };
  }

  #add(set: Arena[]): Arena {
    const buffer = this.#device.createBuffer({
      size: ARENA_BYTES,
      usage: Usage.UNIFORM | Usage.STORAGE | Usage.COPY_DST,
    });
    const arena = { buffer, bytes: new Uint8Array(ARENA_BYTES), used: 0 };
    set.push(arena);
    return arena;
  }

  /**
   * Uploads this batch's slices (call right before its submit); the next batch fills the other set. A
   * batch without slices leaves the sets as they are, so a submit with nothing new in it does not move
   * the next dispatches' data to other places.
   */
  beforeSubmit(): void {
    const set = this.#sets[this.#parity];
    if (set.every((arena) => arena.used === 0)) return;
    for (const arena of set) {
      if (arena.used > 0) this.#device.queue.writeBuffer(arena.buffer, 0, arena.bytes, 0, arena.used);
      arena.used = 0;
    }
    this.#index = 0;
    this.#parity = this.#parity === 0 ? 1 : 0;
  }

  destroy(): void {
    for (const set of this.#sets) {
      for (const arena of set) arena.buffer.destroy();
      set.length = 0;
    }
  }
}
