import {
  allocArgs,
  allocStorage,
  type Backend,
  type DeviceTensor,
  type DType,
  fillArgs,
  numel,
  type Shape,
  type StorageArray,
  uploadArgs,
  viewArgs,
} from '@fp8lm/tensor-interface';
import { asCpu, assertSameSize, CpuTensor } from './cpu-tensor.js';
import { adamwApplyFast, adamwStatsFast } from './fast/adamw.js';
import {
  amaxFast,
  biasAddFast,
  biasBackwardFast,
  countCodesFast,
  dequantizeFast,
  geluBackwardFast,
  geluForwardFast,
  quantizeFast,
  residualBackwardFast,
  residualForwardFast,
} from './fast/elementwise.js';
import {
  attentionBackwardFast,
  attentionForwardFast,
  layernormBackwardFast,
  layernormForwardFast,
} from './fast/layers.js';
import { nativeAddon } from './fast/native.js';
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
import { geluBackward, geluForward } from './ops/gelu.js';
import { gemm } from './ops/gemm.js';
import { gemmFast } from './ops/gemm-fast.js';
import { layernormBackward, layernormForward } from './ops/layernorm.js';
import { lossSum } from './ops/loss-sum.js';
import { quantize } from './ops/quantize.js';
import { quantizeBlocks } from './ops/quantize-blocks.js';
import { residualBackward, residualForward } from './ops/residual.js';
import { sumSquares } from './ops/sum-squares.js';

/**
 * The reference backend: every op runs at once on the calling thread, in plain TypeScript.
 * It is the oracle the conformance suite holds the other backends to. With the native fast path
 * (`fast`, the default where it is built), GEMM, LayerNorm, attention, GELU, the casts both ways,
 * amax, the code counts, the residual and bias ops and the fused AdamW stages run in the addon
 * instead, on every core (the same results: see the package README);
 * `createCpuBackend({ fast: false })` keeps every op in TypeScript.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly quantize: typeof quantize = quantize;
  readonly dequantize: typeof dequantize = dequantize;
  readonly amax: typeof amax = amax;
  readonly countCodes: typeof countCodes = countCodes;
  readonly computeScale = computeScale;
  readonly quantizeBlocks = quantizeBlocks;
  /** True when the hot ops (GEMM, LayerNorm, attention, GELU, casts, residual and bias ops, AdamW, …) run on the native fast path. */
  readonly fast: boolean;
  readonly gemm: typeof gemm;
  readonly adamwStats: typeof adamwStats = adamwStats;
  readonly adamwApply: typeof adamwApply = adamwApply;
  readonly sumSquares = sumSquares;
  readonly accumulateChunk = accumulateChunk;
  // GPT layer ops (LayerOps): forward ops overwrite their outputs, backward ops accumulate.
  readonly embeddingForward = embeddingForward;
  readonly embeddingBackward = embeddingBackward;
  readonly layernormForward = layernormForward;
  readonly layernormBackward = layernormBackward;
  readonly geluForward: typeof geluForward = geluForward;
  readonly geluBackward: typeof geluBackward = geluBackward;
  readonly attentionForward = attentionForward;
  readonly attentionBackward = attentionBackward;
  readonly crossEntropyForward = crossEntropyForward;
  readonly crossEntropyBackward = crossEntropyBackward;
  readonly lossSum = lossSum;
  readonly residualForward: typeof residualForward = residualForward;
  readonly residualBackward: typeof residualBackward = residualBackward;
  readonly biasAdd: typeof biasAdd = biasAdd;
  readonly biasBackward: typeof biasBackward = biasBackward;
  #live = new Set<CpuTensor>();

  constructor(options: CpuBackendOptions = {}) {
    const native = nativeAddon();
    if (options.fast === true && 'reason' in native) {
      throw new Error(`fast: the kernels-cpu fast path is unavailable: ${native.reason}`);
    }
    this.fast = options.fast !== false && !('reason' in native);
    this.gemm = this.fast ? gemmFast : gemm;
    if (this.fast) {
      // The other hot ops of a training step (src/fast/layers.ts, src/fast/elementwise.ts); everything
      // else stays TypeScript.
      this.quantize = quantizeFast;
      this.countCodes = countCodesFast;
      this.geluForward = geluForwardFast;
      this.geluBackward = geluBackwardFast;
      this.layernormForward = layernormForwardFast;
      this.layernormBackward = layernormBackwardFast;
      this.attentionForward = attentionForwardFast;
      this.attentionBackward = attentionBackwardFast;
      this.dequantize = dequantizeFast;
      this.amax = amaxFast;
      this.residualForward = residualForwardFast;
      this.residualBackward = residualBackwardFast;
      this.biasAdd = biasAddFast;
      this.biasBackward = biasBackwardFast;
      this.adamwStats = adamwStatsFast;
      this.adamwApply = adamwApplyFast;
    }
  }

  alloc<D extends DType>(dtype: D, shape: Shape): DeviceTensor<D> {
    allocArgs(dtype, shape);
    return this.#track(new CpuTensor(dtype, [...shape], allocStorage(dtype, numel(shape))));
  }

  upload<D extends DType>(dtype: D, shape: Shape, data: StorageArray<D>): DeviceTensor<D> {
    uploadArgs(dtype, shape, data);
    return this.#track(new CpuTensor(dtype, [...shape], data.slice() as StorageArray<D>));
  }

  async read<D extends DType>(tensor: DeviceTensor<D>): Promise<StorageArray<D>> {
    return asCpu<D>(tensor, 'tensor').data.slice() as StorageArray<D>;
  }

  view<D extends DType>(tensor: DeviceTensor<D>, shape: Shape): DeviceTensor<D> {
    const t = asCpu<D>(tensor, 'tensor');
    viewArgs(t, shape);
    // Views are not tracked: they own no storage, so they cannot leak it.
    return new CpuTensor(t.dtype, [...shape], t.data);
  }

  fill(tensor: DeviceTensor<'f32'>, value: number): void {
    fillArgs(value);
    asCpu(tensor, 'tensor', ['f32']).data.fill(value);
  }

  copy<D extends DType>(src: DeviceTensor<D>, dst: DeviceTensor<D>): void {
    const s = asCpu(src, 'src');
    const d = asCpu(dst, 'dst', [s.dtype]);
    assertSameSize(s, d, 'src, dst');
    d.data.set(s.data as never);
  }

  dispose(tensor: DeviceTensor): void {
    const t = asCpu(tensor, 'tensor');
    t.release();
    this.#live.delete(t);
  }

  async synchronize(): Promise<void> {}

  destroy(): void {
    for (const t of this.#live) t.release();
    this.#live.clear();
  }

  /** Number of tensors allocated and not yet disposed (for leak checks). */
  get liveTensors(): number {
    return this.#live.size;
  }

  #track<D extends DType>(t: CpuTensor<D>): CpuTensor<D> {
    this.#live.add(t as CpuTensor);
    return t;
  }
}

/** Options of {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /**
   * The native fast path for the hot ops (GEMM): default, when it is built and loads; `false`, the
   * TypeScript reference for every op; `true`, required (throws if unavailable, with the reason).
   */
  fast?: boolean;
}

/**
 * Creates the CPU backend (with the fast path when available; `{ fast: false }` forces the reference).
 * @example
 * const cpu = createCpuBackend();
 * const x = cpu.upload('f32', [3], new Float32Array([1, -2, 500]));
 */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}
