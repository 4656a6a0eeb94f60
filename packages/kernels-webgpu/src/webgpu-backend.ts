import {
  allocArgs,
  type Backend,
  type BackendUnavailable,
  type DeviceTensor,
  type DType,
  dtypeByteSize,
  dtypeInfo,
  numel,
  type Shape,
  type StorageArray,
  uploadArgs,
  viewArgs,
} from '@fp8lm/tensor-interface';
import { GpuContext } from './context.js';
import { checkF16Decoders } from './f16-check.js';
import type { KernelProfile, KernelProfiler } from './kernel-profiler.js';
import { accumulateChunk } from './ops/accumulate-chunk.js';
import { adamwApply, adamwStats } from './ops/adamw.js';
import { amax } from './ops/amax.js';
import { attentionBackward, attentionForward } from './ops/attention.js';
import { biasAdd, biasBackward } from './ops/bias.js';
import { computeScale } from './ops/compute-scale.js';
import { countCodes } from './ops/count-codes.js';
import { crossEntropyBackward, crossEntropyForward } from './ops/cross-entropy.js';
import { dequantize } from './ops/dequantize.js';
import { embeddingBackward, embeddingForward } from './ops/embedding.js';
import { fill } from './ops/fill.js';
import { geluBackward, geluForward } from './ops/gelu.js';
import { gemm } from './ops/gemm.js';
import { layernormBackward, layernormForward } from './ops/layernorm.js';
import { lossSum } from './ops/loss-sum.js';
import { quantize } from './ops/quantize.js';
import { quantizeBlocks } from './ops/quantize-blocks.js';
import { residualBackward, residualForward } from './ops/residual.js';
import { sumSquares } from './ops/sum-squares.js';
import { asGpu, assertSameSize, Storage, storageBytes, WebGpuTensor } from './webgpu-tensor.js';

/** What the backend found out about its adapter. */
export interface WebGpuInfo {
  /** Adapter vendor / architecture / description as the browser or Dawn reports them. */
  readonly adapter: string;
  /**
   * True when the kernels use `shader-f16`: the FP8 and f16 GEMM operands are then decoded through
   * the hardware's binary16 conversion (see {@link WebGpuInfo.shaderF16Status} for why not).
   */
  readonly shaderF16: boolean;
  /**
   * `'used'`, or why not: `'not requested'` (the `shaderF16: false` option), `'not supported by the
   * adapter'`, or the failed on-device exactness check of the f16 decoders (then the kernels keep to
   * their integer decoders, with the same results).
   */
  readonly shaderF16Status: string;
  /**
   * `'available'` when {@link WebGpuBackend.startProfile} can time the kernels, or why not: `'not
   * requested'` (no `profile: true` option), `'not supported by the adapter'` (no `timestamp-query`), or,
   * for a `device` passed in, that it was created without `timestamp-query`.
   */
  readonly profiling: string;
}

/**
 * The WebGPU backend: every op is a WGSL compute shader recorded into a command encoder, submitted in
 * batches; `read` and `synchronize` submit and wait. Runs wherever a `GPUDevice` exists: browsers
 * (`navigator.gpu`) and Node through the `webgpu` package (see `@fp8lm/kernels-webgpu/node`).
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly info: WebGpuInfo;
  readonly #ctx: GpuContext;
  #live = new Set<WebGpuTensor>();

  /**
   * What the device came from (the `GPU` and adapter objects), held for the device's lifetime: Dawn's
   * Node binding tears its instance down when the `GPU` object is collected, even under a live device
   * (shaders then crash or hang), so the backend keeps it reachable here.
   */
  readonly origin: unknown;

  /** Use {@link createWebGpuBackend}: it checks the device's f16 decoders before the kernels use them. */
  constructor(ctx: GpuContext, info: WebGpuInfo, origin?: unknown) {
    this.#ctx = ctx;
    this.info = info;
    this.origin = origin;
  }

  /** The device the backend records on. */
  get device(): GPUDevice {
    return this.#ctx.device;
  }

  /** Number of tensors allocated and not yet disposed (for leak checks). */
  get liveTensors(): number {
    return this.#live.size;
  }

  /** Keys of the compute pipelines compiled so far (one per op variant), for diagnostics. */
  get pipelineKeys(): string[] {
    return this.#ctx.pipelineKeys;
  }

  /** Number of compute pipelines compiled so far (one per op variant). */
  get pipelineCount(): number {
    return this.#ctx.pipelineCount;
  }

  /**
   * Bind groups reused and made so far, and cached now: a training step that repeats the last one's
   * dispatches reuses them all (a bind group made per dispatch was most of the host's recording cost).
   */
  get bindGroupStats(): { hits: number; misses: number; cached: number } {
    return this.#ctx.bindGroupStats;
  }

  /**
   * Starts timing every dispatch on the device (`timestamp-query`; the backend must have been created
   * with `profile: true`, see {@link WebGpuInfo.profiling}). Each dispatch then runs in a compute pass
   * of its own, which slows small dispatches down (time the speed apart); results are unchanged.
   */
  startProfile(): void {
    const profiler = this.#profiler();
    this.#ctx.flush(); // work recorded before the start is not timed
    profiler.start();
  }

  /**
   * Ends the profile at the call (work recorded after it is not timed, so it may be called from a
   * synchronous callback) and resolves, once the timed work has run, to the GPU time per pipeline key
   * since {@link startProfile}, most first.
   */
  async stopProfile(): Promise<KernelProfile> {
    // Everything up to the profiler's first await runs at the call: the profile ends here.
    return this.#profiler().stop(() => this.#ctx.flush());
  }

  #profiler(): KernelProfiler {
    const profiler = this.#ctx.profiler;
    if (profiler === null) {
      throw new Error(`profile: kernel timing is unavailable on this backend (${this.info.profiling})`);
    }
    return profiler;
  }

  // Format ops
  quantize: Backend['quantize'] = (...a) => quantize(this.#ctx, ...a);
  dequantize: Backend['dequantize'] = (...a) => dequantize(this.#ctx, ...a);
  amax: Backend['amax'] = (...a) => amax(this.#ctx, ...a);
  countCodes: Backend['countCodes'] = (...a) => countCodes(this.#ctx, ...a);
  computeScale: Backend['computeScale'] = (...a) => computeScale(this.#ctx, ...a);
  quantizeBlocks: Backend['quantizeBlocks'] = (...a) => quantizeBlocks(this.#ctx, ...a);
  // GEMM
  gemm: Backend['gemm'] = (...a) => gemm(this.#ctx, ...a);
  // Optimizer ops
  adamwStats: Backend['adamwStats'] = (...a) => adamwStats(this.#ctx, ...a);
  adamwApply: Backend['adamwApply'] = (...a) => adamwApply(this.#ctx, ...a);
  sumSquares: Backend['sumSquares'] = (...a) => sumSquares(this.#ctx, ...a);
  // Comm ops (the collectives' FP8 all-reduce)
  accumulateChunk: Backend['accumulateChunk'] = (...a) => accumulateChunk(this.#ctx, ...a);
  // GPT layer ops: forward ops overwrite their outputs, backward ops accumulate.
  embeddingForward: Backend['embeddingForward'] = (...a) => embeddingForward(this.#ctx, ...a);
  embeddingBackward: Backend['embeddingBackward'] = (...a) => embeddingBackward(this.#ctx, ...a);
  layernormForward: Backend['layernormForward'] = (...a) => layernormForward(this.#ctx, ...a);
  layernormBackward: Backend['layernormBackward'] = (...a) => layernormBackward(this.#ctx, ...a);
  geluForward: Backend['geluForward'] = (...a) => geluForward(this.#ctx, ...a);
  geluBackward: Backend['geluBackward'] = (...a) => geluBackward(this.#ctx, ...a);
  attentionForward: Backend['attentionForward'] = (...a) => attentionForward(this.#ctx, ...a);
  attentionBackward: Backend['attentionBackward'] = (...a) => attentionBackward(this.#ctx, ...a);
  crossEntropyForward: Backend['crossEntropyForward'] = (...a) => crossEntropyForward(this.#ctx, ...a);
  crossEntropyBackward: Backend['crossEntropyBackward'] = (...a) => crossEntropyBackward(this.#ctx, ...a);
  lossSum: Backend['lossSum'] = (...a) => lossSum(this.#ctx, ...a);
  residualForward: Backend['residualForward'] = (...a) => residualForward(this.#ctx, ...a);
  residualBackward: Backend['residualBackward'] = (...a) => residualBackward(this.#ctx, ...a);
  biasAdd: Backend['biasAdd'] = (...a) => biasAdd(this.#ctx, ...a);
  biasBackward: Backend['biasBackward'] = (...a) => biasBackward(this.#ctx, ...a);

  alloc<D extends DType>(dtype: D, shape: Shape): DeviceTensor<D> {
    allocArgs(dtype, shape);
    const t = this.#newTensor(dtype, shape);
    return t;
  }

  upload<D extends DType>(dtype: D, shape: Shape, data: StorageArray<D>): DeviceTensor<D> {
    uploadArgs(dtype, shape, data);
    const t = this.#newTensor(dtype, shape, false);
    const bytes = new Uint8Array(t.storage.byteLength);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    // Queue writes run before the next submit's commands, and the buffer is new or was released before
    // the last submit, so no recorded command can see it change.
    this.device.queue.writeBuffer(t.buffer, 0, bytes);
    return t;
  }

  async read<D extends DType>(tensor: DeviceTensor<D>): Promise<StorageArray<D>> {
    const t = asGpu<D>(tensor, 'tensor');
    const bytes = await this.#ctx.readBytes(t, t.size * dtypeByteSize(t.dtype));
    const { storage } = dtypeInfo(t.dtype);
    const ctor = { Float32Array, Int32Array, Uint16Array, Uint8Array }[storage];
    return new ctor(bytes) as StorageArray<D>;
  }

  view<D extends DType>(tensor: DeviceTensor<D>, shape: Shape): DeviceTensor<D> {
    const t = asGpu<D>(tensor, 'tensor');
    viewArgs(t, shape);
    // Views are not tracked: they own no storage, so they cannot leak it.
    return new WebGpuTensor(t.dtype, [...shape], t.storage, false);
  }

  fill(tensor: DeviceTensor<'f32'>, value: number): void {
    fill(this.#ctx, tensor, value);
  }

  copy<D extends DType>(src: DeviceTensor<D>, dst: DeviceTensor<D>): void {
    const s = asGpu(src, 'src');
    const d = asGpu(dst, 'dst', [s.dtype]);
    assertSameSize(s, d, 'src, dst');
    if (s.storage === d.storage) return;
    this.#ctx.encoder.copyBufferToBuffer(s.buffer, 0, d.buffer, 0, s.storage.byteLength);
  }

  dispose(tensor: DeviceTensor): void {
    const t = asGpu(tensor, 'tensor');
    t.markDisposed();
    if (!t.owner) return;
    this.#live.delete(t);
    this.#ctx.pool.release(t.storage.release());
  }

  async synchronize(): Promise<void> {
    await this.#ctx.wait();
  }

  destroy(): void {
    for (const t of this.#live) {
      t.markDisposed();
      t.storage.release().destroy();
    }
    this.#live.clear();
    this.#ctx.destroy();
  }

  #newTensor<D extends DType>(dtype: D, shape: Shape, zero = true): WebGpuTensor<D> {
    const byteLength = storageBytes(dtype, numel(shape));
    const { buffer, reused } = this.#ctx.pool.acquire(byteLength);
    // New buffers are zero-filled by WebGPU; a pooled one is cleared in order with the recorded work.
    if (reused && zero) this.#ctx.encoder.clearBuffer(buffer, 0, byteLength);
    const t = new WebGpuTensor(dtype, [...shape], new Storage(buffer, byteLength), true);
    this.#live.add(t as WebGpuTensor);
    return t;
  }
}

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions {
  /** Where adapters come from: `navigator.gpu` in a browser (the default), or Dawn's `GPU` in Node. */
  readonly gpu?: GPU;
  /** An existing device to record on (then `gpu` is not used). */
  readonly device?: GPUDevice;
  /** Use `shader-f16` when the adapter has it (default true). */
  readonly shaderF16?: boolean;
  /**
   * Ask for `timestamp-query`, so that {@link WebGpuBackend.startProfile} can time the kernels
   * (default false). Browsers may round the timestamps (Chrome: to 100 µs unless its unsafe WebGPU
   * flags are on); the Node entry turns Dawn's rounding off.
   */
  readonly profile?: boolean;
}

/**
 * Creates the WebGPU backend, or says why it cannot (no WebGPU, no adapter, no device).
 * @example
 * const backend = await createWebGpuBackend({ gpu: navigator.gpu });
 * if (isUnavailable(backend)) console.log(backend.unavailable);
 */
export async function createWebGpuBackend(
  options: WebGpuBackendOptions = {},
): Promise<WebGpuBackend | BackendUnavailable> {
  if (options.device !== undefined) {
    const noProfile =
      options.profile === true ? 'the device was created without timestamp-query' : 'not requested';
    return open(options.device, 'user-supplied device', options.shaderF16 !== false, noProfile);
  }
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined)
    return { unavailable: 'WebGPU is not available here (no navigator.gpu, no gpu option)' };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) return { unavailable: 'no WebGPU adapter was found (no GPU, or no driver for it)' };
  const wantF16 = options.shaderF16 !== false && adapter.features.has('shader-f16');
  const wantTimestamps = options.profile === true && adapter.features.has('timestamp-query');
  const requiredFeatures: GPUFeatureName[] = [];
  if (wantF16) requiredFeatures.push('shader-f16');
  if (wantTimestamps) requiredFeatures.push('timestamp-query');
  // The adapter's own limits: more storage buffers per stage than the default 8 (AdamW binds 10).
  const requiredLimits: Record<string, number> = {};
  for (const key of [
    'maxStorageBuffersPerShaderStage',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
  ] as const) {
    requiredLimits[key] = adapter.limits[key];
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits,
    });
  } catch (e) {
    return {
      unavailable: `the WebGPU adapter refused a device: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.description].filter((s) => s !== '').join(' / ');
  const adapterName = name === '' ? 'unknown adapter' : name;
  const noProfile = options.profile === true ? 'not supported by the adapter' : 'not requested';
  return open(device, adapterName, options.shaderF16 !== false, noProfile, [gpu, adapter]);
}

/** The backend on `device`, with the f16 paths on where asked for, available and exact on the device. */
async function open(
  device: GPUDevice,
  adapter: string,
  wantF16: boolean,
  /** What `info.profiling` says when the device has no `timestamp-query`. */
  noProfile: string,
  origin?: unknown,
): Promise<WebGpuBackend> {
  const ctx = new GpuContext(device);
  const status = !wantF16
    ? 'not requested'
    : !device.features.has('shader-f16')
      ? 'not supported by the adapter'
      : ((await checkF16Decoders(ctx)) ?? 'used');
  ctx.shaderF16 = status === 'used';
  const profiling = ctx.profiler !== null ? 'available' : noProfile;
  const info = { adapter, shaderF16: ctx.shaderF16, shaderF16Status: status, profiling };
  return new WebGpuBackend(ctx, info, origin);
}
