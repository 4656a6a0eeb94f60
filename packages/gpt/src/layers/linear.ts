import { E4M3, FORMATS } from '@fp8lm/fp8-format';
import {
  currentRecipe,
  delayedRecipe,
  ScalingMeta,
  type ScalingMetaJSON,
  type ScalingRecipe,
} from '@fp8lm/scaling';
import type {
  Backend,
  BlockScales,
  CodeDType,
  DeviceTensor,
  GemmOptions,
  ScaleArg,
} from '@fp8lm/tensor-interface';
import type { LinearRecipe, WeightGrad, WeightRef } from './linear-types.js';

/** The four FP8 tensors of a linear layer, in the order of their amax slots. */
export const LINEAR_TENSORS = ['x', 'w', 'dy', 'dw'] as const;
/** One of {@link LINEAR_TENSORS}. */
export type LinearTensor = (typeof LINEAR_TENSORS)[number];

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Name for errors and metrics, e.g. `h0.attn.qkv`. */
  name: string;
  inFeatures: number;
  outFeatures: number;
  recipe: LinearRecipe;
  /** Count zero and ±max codes of every FP8 tensor at `endStep` (reads the codes back). Default false. */
  diagnostics?: boolean;
}

/** Per-tensor figures of the last step, for metrics. */
export interface LinearDiagnostics {
  scale: number;
  amax: number;
  /** Fraction of codes that are zero (underflows plus exact zeros of the input). */
  underflow: number;
  /** Fraction of codes at ±max (or ±Inf): saturated values. */
  saturation: number;
}

interface Quantized {
  codes: DeviceTensor<'e4m3' | 'e5m2'>;
  /** Decode multiplier for the GEMM: a number (delayed) or a device scalar (current, computed on the device). */
  scaleInv?: ScaleArg;
  /** Block scales instead of a per-tensor scale (MX or DeepSeek granularity). */
  blocks?: BlockScales;
}

/** Block shape along the GEMM's reduction dimension K: `rows` = along the stored rows, `cols` = along the columns. */
type BlockAxis = 'rows' | 'cols' | 'tile';

/** GEMM options for one quantized operand. */
function operand(q: Quantized, side: 'a' | 'b'): GemmOptions {
  if (q.blocks) return side === 'a' ? { aBlocks: q.blocks } : { bBlocks: q.blocks };
  return side === 'a' ? { aScaleInv: q.scaleInv } : { bScaleInv: q.scaleInv };
}

/**
 * A linear layer `y = x·Wᵀ + b` whose GEMMs run in f32, bf16 or FP8, per its recipe (MS-AMP /
 * TransformerEngine style):
 * - forward: x → E4M3 (its ScalingMeta), W → E4M3 from the optimizer's master, `y = x_q·W_qᵀ` with f32
 *   accumulation; the FP8 copy of x (1 byte per element) is what backward keeps, not f32;
 * - backward: dy → E5M2 (HYBRID) or E4M3, `dx += dy_q·W_q`, `dW = dy_qᵀ·x_q` stored as E4M3 with its own scale;
 * - scaling: delayed (amax history, the scale of step t comes from earlier steps' amaxes; during warm-up
 *   and for the `current` recipe, the scale is computed on the device from this tensor's own amax).
 * Every amax is written by the fused ops into one small device tensor and read once per step in
 * `endStep`, so the host never waits on the device mid-step for delayed scaling.
 */
export class Linear {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly recipe: Required<LinearRecipe>;
  readonly metas: Record<LinearTensor, ScalingMeta>;
  readonly #b: Backend;
  readonly #scaling: ScalingRecipe;
  readonly #diagnose: boolean;
  readonly #amax: DeviceTensor<'f32'>;
  /** With diagnostics: per tensor, its zero and saturated code counts (countCodes), slots 2i and 2i + 1. */
  readonly #counts: DeviceTensor<'i32'> | undefined;
  /** Device scalars for current scaling, per tensor: [scale, scaleInv]. */
  readonly #deviceScales: Record<LinearTensor, [DeviceTensor<'f32'>, DeviceTensor<'f32'>]>;
  readonly #buffers = new Map<string, DeviceTensor>();
  #x: Quantized | DeviceTensor<'f32'> | DeviceTensor<'bf16'> | null = null;
  #w: Quantized | DeviceTensor<'f32'> | DeviceTensor<'bf16'> | null = null;
  #rows = 0;
  /** Block granularity: x and W quantized along their rows, for the GEMMs that reduce over rows. */
  #xRows: Quantized | null = null;
  #wRows: Quantized | null = null;
  #dw: { tensor: DeviceTensor<'f32' | 'e4m3'>; scaleInv: ScaleArg } | null = null;
  #used: Record<LinearTensor, { scale: ScaleArg; codes?: DeviceTensor<CodeDType> } | null> = {
    x: null,
    w: null,
    dy: null,
    dw: null,
  };
  #lastDiagnostics: Record<string, LinearDiagnostics> = {};
  /**
   * FP8-LM's gradient pre-scale μ, applied where the weight gradient is cast to FP8: its codes are
   * `cast(dW · s · μ)` with the recipe's scale `s`, and its decode multiplier is `1 / (s · μ)`, so the
   * gradient handed on is the true one. The amax history keeps the unscaled amax, so a delayed scale does
   * not absorb μ: a μ below 1 is real headroom against overflow. Default 1; the trainer sets it per step.
   */
  gradPreScale = 1;

  constructor(backend: Backend, options: LinearOptions) {
    const { name, inFeatures, outFeatures, recipe } = options;
    for (const [key, v] of Object.entries({ inFeatures, outFeatures })) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`${key}: expected a positive integer for ${name}, found ${v}`);
    }
    if (!['fp32', 'bf16', 'fp8'].includes(recipe?.precision)) {
      throw new RangeError(
        `recipe.precision: expected fp32, bf16 or fp8 for ${name}, found ${JSON.stringify(recipe?.precision)}`,
      );
    }
    this.recipe = {
      precision: recipe.precision,
      gradFormat: recipe.gradFormat ?? 'e5m2',
      scaling: recipe.scaling ?? 'delayed',
      granularity: recipe.granularity ?? 'tensor',
      historyLength: recipe.historyLength ?? 16,
      margin: recipe.margin ?? 0,
    };
    if (!['tensor', 'mx', 'deepseek'].includes(this.recipe.granularity)) {
      throw new RangeError(
        `recipe.granularity: expected tensor, mx or deepseek, found ${JSON.stringify(this.recipe.granularity)}`,
      );
    }
    if (!['e5m2', 'e4m3'].includes(this.recipe.gradFormat)) {
      throw new RangeError(
        `recipe.gradFormat: expected e5m2 or e4m3, found ${JSON.stringify(this.recipe.gradFormat)}`,
      );
    }
    if (!['delayed', 'current'].includes(this.recipe.scaling)) {
      throw new RangeError(
        `recipe.scaling: expected delayed or current, found ${JSON.stringify(this.recipe.scaling)}`,
      );
    }
    this.name = name;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.#b = backend;
    this.#diagnose = options.diagnostics ?? false;
    const margin = this.recipe.margin;
    this.#scaling = this.recipe.scaling === 'delayed' ? delayedRecipe({ margin }) : currentRecipe({ margin });
    const historyLength = this.recipe.scaling === 'delayed' ? this.recipe.historyLength : 1;
    const formatOf = (t: LinearTensor) => (t === 'dy' ? FORMATS[this.recipe.gradFormat] : E4M3);
    this.metas = Object.fromEntries(
      LINEAR_TENSORS.map((t) => [t, new ScalingMeta(formatOf(t), { historyLength })]),
    ) as Record<LinearTensor, ScalingMeta>;
    this.#amax = backend.alloc('f32', [LINEAR_TENSORS.length]);
    this.#counts = this.#diagnose ? backend.alloc('i32', [2 * LINEAR_TENSORS.length]) : undefined;
    this.#deviceScales = Object.fromEntries(
      LINEAR_TENSORS.map((t) => [
        t,
        [
          backend.upload('f32', [1], new Float32Array([1])),
          backend.upload('f32', [1], new Float32Array([1])),
        ],
      ]),
    ) as Record<LinearTensor, [DeviceTensor<'f32'>, DeviceTensor<'f32'>]>;
  }

  /**
   * True when backward reads the layer's own (bf16 or FP8) copy of its input rather than the caller's
   * f32 tensor, so the caller may reuse that tensor as soon as forward returns.
   */
  get keepsInputCopy(): boolean {
    return this.recipe.precision !== 'fp32';
  }

  /** A scratch tensor of this layer, reallocated when the row count changes. */
  #buffer<D extends 'f32' | 'bf16' | 'e4m3' | 'e5m2' | 'e8m0'>(
    key: string,
    dtype: D,
    shape: number[],
  ): DeviceTensor<D> {
    const id = `${key}:${dtype}`;
    const t = this.#buffers.get(id);
    if (t && t.shape.join() === shape.join()) return t as DeviceTensor<D>;
    if (t) this.#b.dispose(t);
    const fresh = this.#b.alloc(dtype, shape);
    this.#buffers.set(id, fresh);
    return fresh;
  }

  /**
   * Quantizes an f32 tensor with its ScalingMeta: delayed scaling once the history is full (a host
   * number from earlier amaxes), otherwise just in time (amax → scale on the device → cast). The
   * tensor's amax goes to its slot either way.
   */
  #quantize(
    kind: LinearTensor,
    src: DeviceTensor<'f32'>,
    dst: DeviceTensor<'e4m3' | 'e5m2'>,
    current = false,
  ): Quantized {
    const slot = LINEAR_TENSORS.indexOf(kind);
    const meta = this.metas[kind];
    const mu = kind === 'dw' ? this.gradPreScale : 1;
    if (!current && this.recipe.scaling === 'delayed' && !meta.isWarmup) {
      const { scale, scaleInv } = this.#delayedScale(meta, mu);
      this.#b.quantize(src, dst, { scale, amaxOut: this.#amax, amaxIndex: slot });
      this.#used[kind] = { scale, codes: dst };
      return { codes: dst, scaleInv };
    }
    const [scale, scaleInv] = this.#deviceScales[kind];
    this.#b.amax(src, this.#amax, slot);
    this.#b.computeScale(this.#amax, scale, scaleInv, {
      // Aiming at fpMax·μ instead of fpMax makes the device scale fpMax·μ / amax.
      fpMax: meta.format.maxFinite * mu,
      margin: this.recipe.margin,
      amaxIndex: slot,
    });
    this.#b.quantize(src, dst, { scale });
    this.#used[kind] = { scale, codes: dst };
    return { codes: dst, scaleInv };
  }

  /** A delayed scale (host number) times μ, and its decode multiplier. */
  #delayedScale(meta: ScalingMeta, mu: number): { scale: number; scaleInv: number } {
    if (mu === 1) return { scale: meta.scale, scaleInv: meta.scaleInv };
    const scale = Math.fround(meta.scale * mu);
    return { scale, scaleInv: Math.fround(1 / scale) };
  }

  /**
   * Block quantization for the MX (1×32 blocks, E8M0 scales) and DeepSeek-V3 (1×128 activations,
   * 128×128 weights, f32 scales) granularities. `axis` says where the GEMM's reduction runs over the
   * stored tensor: along its columns (`cols`: 1×b blocks), along its rows (`rows`: b×1), or both ways
   * (`tile`: b×b, DeepSeek's weights, usable in either orientation). The amax goes to the tensor's slot
   * for the metrics.
   */
  #quantizeBlocks(
    kind: LinearTensor,
    src: DeviceTensor<'f32'>,
    dst: DeviceTensor<'e4m3' | 'e5m2'>,
    axis: BlockAxis,
    key: string,
  ): Quantized {
    const mx = this.recipe.granularity === 'mx';
    const size = mx ? 32 : 128;
    const [br, bc] = axis === 'cols' ? [1, size] : axis === 'rows' ? [size, 1] : [size, size];
    const [rows, cols] = src.shape;
    const grid = [Math.ceil(rows / br), Math.ceil(cols / bc)];
    const scaleInv = mx
      ? this.#buffer(`${key}.scales`, 'e8m0', grid)
      : this.#buffer(`${key}.scales`, 'f32', grid);
    this.#b.amax(src, this.#amax, LINEAR_TENSORS.indexOf(kind));
    this.#b.quantizeBlocks(src, dst, scaleInv, { blockRows: br, blockCols: bc });
    this.#used[kind] = { scale: Number.NaN, codes: dst };
    return { codes: dst, blocks: { scaleInv, blockRows: br, blockCols: bc } };
  }

  /** The master weight as f32 `[out, in]` (a view of the master itself when it is already f32). */
  #weightF32(weight: WeightRef): DeviceTensor<'f32'> {
    const { tensor, scaleInv } = weight;
    if (tensor.size !== this.outFeatures * this.inFeatures) {
      throw new RangeError(
        `weight: ${this.name} needs ${this.outFeatures}×${this.inFeatures} elements, found ${tensor.size}`,
      );
    }
    const shape = [this.outFeatures, this.inFeatures];
    if (tensor.dtype === 'f32' && scaleInv === 1) return this.#b.view(tensor as DeviceTensor<'f32'>, shape);
    const w = this.#buffer('w32', 'f32', shape);
    this.#b.dequantize(tensor as DeviceTensor<'f16' | 'bf16'>, w, { scaleInv });
    return w;
  }

  #checkRows(t: DeviceTensor, features: number, argument: string): number {
    if (t.shape.length !== 2 || t.shape[1] !== features) {
      throw new RangeError(
        `${argument}: ${this.name} expects a 2-D [N, ${features}] tensor, found [${t.shape.join(', ')}]`,
      );
    }
    return t.shape[0];
  }

  /** `y = x·Wᵀ (+ bias)`; overwrites y and keeps what backward needs. */
  forward(
    x: DeviceTensor<'f32'>,
    weight: WeightRef,
    bias: DeviceTensor<'f32'> | undefined,
    y: DeviceTensor<'f32'>,
  ): void {
    const n = this.#checkRows(x, this.inFeatures, 'x');
    if (this.#checkRows(y, this.outFeatures, 'y') !== n)
      throw new RangeError(`y: ${this.name} needs ${n} rows like x, found ${y.shape[0]}`);
    this.#rows = n;
    const w = this.#weightF32(weight);
    const b = this.#b;
    if (this.recipe.precision === 'fp32') {
      this.#x = x;
      this.#w = w;
      b.gemm(x, w, y, { transB: true, bias });
      return;
    }
    if (this.recipe.precision === 'bf16') {
      const xb = this.#buffer('x', 'bf16', [n, this.inFeatures]);
      const wb = this.#buffer('w', 'bf16', [this.outFeatures, this.inFeatures]);
      b.quantize(x, xb);
      b.quantize(w, wb);
      this.#x = xb;
      this.#w = wb;
      b.gemm(xb, wb, y, { transB: true, bias });
      return;
    }
    const shapeX = [n, this.inFeatures];
    const shapeW = [this.outFeatures, this.inFeatures];
    if (this.recipe.granularity === 'tensor') {
      const xq = this.#quantize('x', x, this.#buffer('x', 'e4m3', shapeX));
      const wq = this.#quantize('w', w, this.#buffer('w', 'e4m3', shapeW));
      this.#x = xq;
      this.#w = wq;
      b.gemm(xq.codes, wq.codes, y, { transB: true, bias, aScaleInv: xq.scaleInv, bScaleInv: wq.scaleInv });
      return;
    }
    // Blocks run along the reduction dimension, so each use of a tensor needs its own quantization:
    // forward reduces over `in` (x and W by columns); backward's dW reduces over the rows of x.
    const xq = this.#quantizeBlocks('x', x, this.#buffer('x', 'e4m3', shapeX), 'cols', 'x');
    const wq = this.#quantizeBlocks(
      'w',
      w,
      this.#buffer('w', 'e4m3', shapeW),
      this.recipe.granularity === 'mx' ? 'cols' : 'tile',
      'w',
    );
    this.#xRows = this.#quantizeBlocks('x', x, this.#buffer('x.rows', 'e4m3', shapeX), 'rows', 'x.rows');
    this.#wRows =
      this.recipe.granularity === 'mx'
        ? this.#quantizeBlocks('w', w, this.#buffer('w.rows', 'e4m3', shapeW), 'rows', 'w.rows')
        : wq;
    this.#x = xq;
    this.#w = wq;
    b.gemm(xq.codes, wq.codes, y, { transB: true, bias, ...operand(xq, 'a'), ...operand(wq, 'b') });
  }

  /** `dx += dy·W`, `dbias += Σ dy`, and the weight gradient `dW = dyᵀ·x` kept for {@link weightGrad}. */
  backward(
    dy: DeviceTensor<'f32'>,
    dx: DeviceTensor<'f32'> | undefined,
    dbias: DeviceTensor<'f32'> | undefined,
  ): void {
    const x = this.#x;
    const w = this.#w;
    if (x === null || w === null) throw new Error(`${this.name}: backward called before forward`);
    const n = this.#checkRows(dy, this.outFeatures, 'dy');
    if (n !== this.#rows)
      throw new RangeError(`dy: ${this.name} needs ${this.#rows} rows like the forward input, found ${n}`);
    if (dx !== undefined && this.#checkRows(dx, this.inFeatures, 'dx') !== n)
      throw new RangeError(`dx: ${this.name} needs ${n} rows`);
    const b = this.#b;
    if (dbias !== undefined) b.biasBackward(dy, dbias);
    const shapeW = [this.outFeatures, this.inFeatures];
    if (this.recipe.precision !== 'fp8') {
      const xt = x as DeviceTensor<'f32' | 'bf16'>;
      const wt = w as DeviceTensor<'f32' | 'bf16'>;
      let g: DeviceTensor<'f32' | 'bf16'> = dy;
      if (this.recipe.precision === 'bf16') {
        g = this.#buffer('dy', 'bf16', [n, this.outFeatures]);
        b.quantize(dy, g as DeviceTensor<'bf16'>);
      }
      if (dx !== undefined) b.gemm(g, wt, dx, { beta: 1 });
      const dw = this.#buffer('dw32', 'f32', shapeW);
      b.gemm(g, xt, dw, { transA: true });
      b.amax(dw, this.#amax, LINEAR_TENSORS.indexOf('dw'));
      this.#dw = { tensor: dw, scaleInv: 1 };
      return;
    }
    const xq = x as Quantized;
    const wq = w as Quantized;
    const dwq = this.#buffer('dw', 'e4m3', shapeW);
    const meta = this.metas.dw;
    if (this.recipe.granularity !== 'tensor') {
      const dyFormat = this.recipe.gradFormat;
      const dyCols = this.#quantizeBlocks(
        'dy',
        dy,
        this.#buffer('dy', dyFormat, [n, this.outFeatures]),
        'cols',
        'dy',
      );
      const dyRows = this.#quantizeBlocks(
        'dy',
        dy,
        this.#buffer('dy.rows', dyFormat, [n, this.outFeatures]),
        'rows',
        'dy.rows',
      );
      const wRows = this.#wRows as Quantized;
      const xRows = this.#xRows as Quantized;
      if (dx !== undefined)
        b.gemm(dyCols.codes, wRows.codes, dx, { beta: 1, ...operand(dyCols, 'a'), ...operand(wRows, 'b') });
      const dw32 = this.#buffer('dw32', 'f32', shapeW);
      b.gemm(dyRows.codes, xRows.codes, dw32, {
        transA: true,
        ...operand(dyRows, 'a'),
        ...operand(xRows, 'b'),
      });
      // The weight gradient itself is stored per tensor (one scale), as the optimizer keeps it.
      const q = this.#quantize('dw', dw32, dwq, true);
      this.#dw = { tensor: dwq, scaleInv: q.scaleInv as ScaleArg };
      return;
    }
    const dyq = this.#quantize('dy', dy, this.#buffer('dy', this.recipe.gradFormat, [n, this.outFeatures]));
    if (dx !== undefined)
      b.gemm(dyq.codes, wq.codes, dx, { beta: 1, aScaleInv: dyq.scaleInv, bScaleInv: wq.scaleInv });
    if (this.recipe.scaling === 'delayed' && !meta.isWarmup) {
      // Straight to E4M3 from the GEMM, with the delayed scale (times μ) and the fused amax of the
      // f32 result before the scale, so the history stays free of μ.
      const { scale, scaleInv } = this.#delayedScale(meta, this.gradPreScale);
      b.gemm(dyq.codes, xq.codes, dwq, {
        transA: true,
        aScaleInv: dyq.scaleInv,
        bScaleInv: xq.scaleInv,
        outScale: scale,
        amaxOut: this.#amax,
        amaxIndex: LINEAR_TENSORS.indexOf('dw'),
      });
      this.#used.dw = { scale, codes: dwq };
      this.#dw = { tensor: dwq, scaleInv };
      return;
    }
    const dw32 = this.#buffer('dw32', 'f32', shapeW);
    b.gemm(dyq.codes, xq.codes, dw32, { transA: true, aScaleInv: dyq.scaleInv, bScaleInv: xq.scaleInv });
    const q = this.#quantize('dw', dw32, dwq);
    this.#dw = { tensor: dwq, scaleInv: q.scaleInv as ScaleArg };
  }

  async #scalar(arg: ScaleArg): Promise<number> {
    return typeof arg === 'number' ? arg : (await this.#b.read(arg))[0];
  }

  /** The last backward's weight gradient (f32, or E4M3 with its scale) and the amax of its unscaled values. */
  async weightGrad(): Promise<WeightGrad & { amax: number }> {
    if (this.#dw === null) throw new Error(`${this.name}: weightGrad called before backward`);
    const { tensor, scaleInv } = this.#dw;
    const [amaxes, decode] = await Promise.all([this.#b.read(this.#amax), this.#scalar(scaleInv)]);
    return { tensor, scaleInv: decode, amax: amaxes[LINEAR_TENSORS.indexOf('dw')] };
  }

  /** Once per step, after backward: records this step's amaxes and updates the scales (the recipe decides how). */
  async endStep(): Promise<void> {
    const b = this.#b;
    const counts = this.#counts;
    // The diagnostics are counted on the device: a few integers come back, not the tensors' codes.
    if (counts !== undefined) {
      for (const [slot, kind] of LINEAR_TENSORS.entries()) {
        const codes = this.#used[kind]?.codes;
        if (codes !== undefined) b.countCodes(codes, counts, 2 * slot);
      }
    }
    // Every read at once: one wait for the device, not one per tensor.
    const [amaxes, counted, scales] = await Promise.all([
      b.read(this.#amax),
      counts === undefined ? undefined : b.read(counts),
      Promise.all(LINEAR_TENSORS.map((kind) => this.#scalar(this.#used[kind]?.scale ?? Number.NaN))),
    ]);
    const diagnostics: Record<string, LinearDiagnostics> = {};
    for (const [slot, kind] of LINEAR_TENSORS.entries()) {
      const used = this.#used[kind];
      if (used === null) continue;
      const amax = amaxes[slot];
      this.#scaling.update(this.metas[kind], amax);
      const entry: LinearDiagnostics = {
        scale: scales[slot],
        amax,
        underflow: Number.NaN,
        saturation: Number.NaN,
      };
      if (counted !== undefined && used.codes) {
        entry.underflow = counted[2 * slot] / used.codes.size;
        entry.saturation = counted[2 * slot + 1] / used.codes.size;
      }
      diagnostics[kind] = entry;
      this.#used[kind] = null;
    }
    this.#lastDiagnostics = diagnostics;
  }

  /** Per FP8 tensor (x, w, dy, dw): scale used, amax, underflow and saturation fractions of the last step. */
  diagnostics(): Record<string, LinearDiagnostics> {
    return this.#lastDiagnostics;
  }

  /** The scaling metadata, JSON-serializable, for checkpoints. */
  state(): Record<LinearTensor, ScalingMetaJSON> {
    return Object.fromEntries(LINEAR_TENSORS.map((t) => [t, this.metas[t].toJSON()])) as Record<
      LinearTensor,
      ScalingMetaJSON
    >;
  }

  /** Restores {@link state}; the device-side scales of current scaling follow the restored metas. */
  restore(state: unknown): void {
    const s = state as Record<LinearTensor, ScalingMetaJSON>;
    if (typeof s !== 'object' || s === null)
      throw new TypeError(`state: expected the scaling state of ${this.name}`);
    for (const t of LINEAR_TENSORS) {
      if (s[t] === undefined)
        throw new RangeError(`state.${t}: missing in the scaling state of ${this.name}`);
      const meta = ScalingMeta.fromJSON(s[t]);
      (this.metas as Record<LinearTensor, ScalingMeta>)[t] = meta;
      const [scale, scaleInv] = this.#deviceScales[t];
      this.#b.dispose(scale);
      this.#b.dispose(scaleInv);
      this.#deviceScales[t] = [
        this.#b.upload('f32', [1], new Float32Array([meta.scale])),
        this.#b.upload('f32', [1], new Float32Array([meta.scaleInv])),
      ];
    }
  }

  /** Frees the layer's device tensors. */
  dispose(): void {
    for (const t of this.#buffers.values()) this.#b.dispose(t);
    this.#buffers.clear();
    for (const [s, si] of Object.values(this.#deviceScales)) {
      this.#b.dispose(s);
      this.#b.dispose(si);
    }
    this.#b.dispose(this.#amax);
    if (this.#counts !== undefined) this.#b.dispose(this.#counts);
  }
}
