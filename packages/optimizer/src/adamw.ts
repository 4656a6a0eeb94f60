import { computeScale } from '@fp8lm/scaling';
import type { AdamWHyper, AdamWTensors, Backend, CodeDType, DeviceTensor } from '@fp8lm/tensor-interface';
import { resolveLayout, type StateLayout } from './layout.js';
import { type MemoryReport, memoryReport } from './memory.js';
import { type AdamWOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { allocParamState, fpMax, isScaled, type ParamState, paramTensors } from './param-state.js';
import { loadState, type OptimizerState, saveState } from './state-dict.js';

/** What one {@link AdamW.step} did. */
export interface StepReport {
  /** The optimizer step this call was (1-based); a skipped call does not advance it. */
  readonly step: number;
  readonly lr: number;
  /** Global L2 norm of the gradients before clipping (non-finite when the step was skipped). */
  readonly gradNorm: number;
  /** Factor the gradients were multiplied by (1 without clipping). */
  readonly clipCoefficient: number;
  readonly skipped: boolean;
  /** Why the step was skipped. */
  readonly reason?: string;
}

/** Options of {@link AdamW.addParam}. */
export interface AddParamOptions {
  /** Shape, for checkpoints (default `[values.length]`). */
  shape?: readonly number[];
  /** Parameter group (default `"default"`). */
  group?: string;
}

/**
 * AdamW with precision-decoupled state (FP8-LM). Each component of the state lives in the dtype
 * the layout names; f16 and E4M3 components carry a per-tensor scale, updated every step in
 * FP8-LM's order: dequantize with the old scales → update in f32 → amax of the new state →
 * new scales from this step's amax → requantize.
 *
 * @example
 * const opt = new AdamW(createCpuBackend(), { preset: 'O2', lr: 1e-2 });
 * opt.addParam('w', new Float32Array([0.5, -0.25]));
 * await opt.writeGrad('w', new Float32Array([0.1, -0.2]));
 * const report = await opt.step();
 */
export class AdamW {
  readonly layout: StateLayout;
  readonly #backend: Backend;
  readonly #options: ResolvedOptions;
  readonly #decoupled: boolean;
  readonly #params = new Map<string, ParamState>();
  #norms: DeviceTensor<'f32'> | null = null;
  #step = 0;
  #skipped = 0;

  constructor(backend: Backend, options: AdamWOptions = {}, decoupled = true) {
    this.#backend = backend;
    this.layout = resolveLayout(options.preset ?? 'O2');
    this.#options = resolveOptions(options);
    this.#decoupled = decoupled;
  }

  /** Completed (not skipped) steps. */
  get stepCount(): number {
    return this.#step;
  }

  /** Steps skipped for non-finite gradients. */
  get skippedSteps(): number {
    return this.#skipped;
  }

  /** Parameter names, in the order they were added. */
  get paramNames(): string[] {
    return [...this.#params.keys()];
  }

  /** Registers a parameter with its initial values (stored in the layout's master dtype). */
  addParam(name: string, values: Float32Array, options: AddParamOptions = {}): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('name: expected a non-empty string');
    if (this.#params.has(name)) throw new RangeError(`name: parameter "${name}" was already added`);
    if (!(values instanceof Float32Array))
      throw new TypeError(`values: expected a Float32Array for "${name}"`);
    const shape = options.shape ?? [values.length];
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) {
      throw new RangeError(
        `values: shape [${shape.join(', ')}] of "${name}" needs ${size} elements, found ${values.length}`,
      );
    }
    const group = options.group ?? 'default';
    if (!this.#options.groups.has(group)) {
      throw new RangeError(`group: "${group}" is not one of ${[...this.#options.groups.keys()].join(', ')}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        throw new RangeError(`values[${i}] of "${name}" is not finite: ${values[i]}`);
    }
    const p = allocParamState(this.#backend, this.layout, {
      name,
      shape,
      size,
      group,
      vGroupSize: this.#options.vGroupSize,
    });
    this.#params.set(name, p);
    this.#writeMaster(p, values);
  }

  #writeMaster(p: ParamState, values: Float32Array): void {
    const b = this.#backend;
    const src = b.upload('f32', [p.size], values);
    if (isScaled(this.layout.master)) {
      let amax = 0;
      for (let i = 0; i < values.length; i++) amax = Math.max(amax, Math.abs(values[i]));
      p.masterScale = this.#scale(this.layout.master, amax, 1);
    }
    if (p.master.dtype === 'f32') b.copy(src, p.master as DeviceTensor<'f32'>);
    else b.quantize(src, p.master as DeviceTensor<'f16' | 'bf16'>, { scale: p.masterScale });
    b.dispose(src);
  }

  #scale(component: string, amax: number, previous: number): number {
    if (!isScaled(component)) return 1;
    return computeScale(fpMax(component), amax, { margin: this.#options.margin, previous });
  }

  #param(name: string): ParamState {
    const p = this.#params.get(name);
    if (p === undefined)
      throw new RangeError(`name: no parameter "${name}" (have ${this.paramNames.join(', ') || 'none'})`);
    return p;
  }

  /**
   * Stores a parameter's gradient in the layout's gradient dtype, scaled by its own amax
   * (current per-tensor scaling). A non-finite gradient is stored as well and makes the next
   * step a skipped one.
   */
  async writeGrad(name: string, grad: Float32Array | DeviceTensor<'f32'>): Promise<void> {
    const p = this.#param(name);
    const b = this.#backend;
    const owned = grad instanceof Float32Array;
    if (owned && grad.length !== p.size) {
      throw new RangeError(`grad: "${name}" has ${p.size} elements, found ${grad.length}`);
    }
    const src = owned ? b.upload('f32', [p.size], grad) : grad;
    if (!owned && (src.dtype !== 'f32' || src.size !== p.size)) {
      throw new RangeError(
        `grad: "${name}" needs an f32 tensor of ${p.size} elements, found ${src.dtype} × ${src.size}`,
      );
    }
    // Amax and scale are computed on the device (computeScale is @fp8lm/scaling's formula, bit for
    // bit, keeping the previous scale for a zero or non-finite amax), so writing a gradient never
    // waits for the device; step() reads every pending amax and scale at once.
    const meta = p.gradMeta;
    b.amax(src, meta.amax);
    if (isScaled(this.layout.grad)) {
      if (!p.gradPending) b.fill(meta.scale, p.gradScale);
      b.computeScale(meta.amax, meta.scale, meta.scaleInv, {
        fpMax: fpMax(this.layout.grad),
        margin: this.#options.margin,
      });
      b.quantize(src, p.grad as DeviceTensor<'f16' | 'e4m3'>, { scale: meta.scale });
    } else if (p.grad.dtype === 'f32') b.copy(src, p.grad as DeviceTensor<'f32'>);
    else b.quantize(src, p.grad as DeviceTensor<'f16' | 'e4m3'>, { scale: p.gradScale });
    p.gradPending = true;
    p.gradAmaxOverride = undefined;
    p.gradWritten = true;
    if (owned) b.dispose(src);
  }

  /**
   * Stores a gradient that is already on the device and may be scaled FP8: a layer's dW kept in
   * E4M3 with its own scale (MS-AMP). Its values are `decode(tensor) · scaleInv`; `amax` is the amax of
   * the unscaled gradient before it was cast (NaN/Inf there marks a non-finite gradient, which a
   * saturating cast would hide). When the tensor already has the layout's gradient dtype, the codes
   * are copied as they are, with no requantization.
   */
  async writeScaledGrad(
    name: string,
    grad: { tensor: DeviceTensor; scaleInv: number; amax: number },
  ): Promise<void> {
    const p = this.#param(name);
    const b = this.#backend;
    const { tensor, scaleInv, amax } = grad;
    if (tensor.size !== p.size)
      throw new RangeError(`grad.tensor: "${name}" has ${p.size} elements, found ${tensor.size}`);
    if (!(scaleInv > 0 && Number.isFinite(scaleInv)))
      throw new RangeError(`grad.scaleInv: expected a finite positive number, found ${scaleInv}`);
    if (typeof amax !== 'number') throw new TypeError(`grad.amax: expected a number, found ${typeof amax}`);
    if (tensor.dtype === p.grad.dtype && isScaled(this.layout.grad)) {
      b.copy(tensor, p.grad as DeviceTensor);
      p.gradScale = 1 / scaleInv;
      p.gradAmax = amax;
      p.gradPending = false;
      p.gradWritten = true;
      return;
    }
    let f32: DeviceTensor<'f32'>;
    if (tensor.dtype === 'f32') {
      f32 = tensor as DeviceTensor<'f32'>;
      if (scaleInv !== 1) throw new RangeError('grad.scaleInv: an f32 gradient takes scaleInv 1');
    } else {
      f32 = b.alloc('f32', [p.size]);
      b.dequantize(tensor as DeviceTensor<CodeDType>, f32, { scaleInv });
    }
    await this.writeGrad(name, f32);
    if (!Number.isFinite(amax)) p.gradAmaxOverride = amax;
    if (f32 !== tensor) b.dispose(f32);
  }

  /** Takes the amax and scale of every pending gradient from the device, in one wait. */
  async #resolveGrads(params: readonly ParamState[]): Promise<void> {
    const b = this.#backend;
    const pending = params.filter((p) => p.gradPending);
    const scaled = isScaled(this.layout.grad);
    const values = await Promise.all(
      pending.map((p) =>
        Promise.all([b.read(p.gradMeta.amax), scaled ? b.read(p.gradMeta.scale) : undefined]),
      ),
    );
    pending.forEach((p, i) => {
      const [amax, scale] = values[i];
      p.gradAmax = p.gradAmaxOverride ?? amax[0];
      if (scale !== undefined) p.gradScale = scale[0];
      p.gradPending = false;
      p.gradAmaxOverride = undefined;
    });
  }

  /** The tensors and scales of a parameter's state, as the fused kernels take them. */
  #tensors(p: ParamState): AdamWTensors {
    return {
      master: p.master,
      masterScaleInv: 1 / p.masterScale,
      grad: p.grad,
      gradScaleInv: 1 / p.gradScale,
      m: p.m,
      mScaleInv: 1 / p.mScale,
      v: p.v,
      vScaleInv: 1 / p.vScale,
      vGroups: p.vGroups,
    };
  }

  /**
   * One optimizer step over every parameter whose gradient was written since the last step
   * (others are left alone, as PyTorch skips parameters without gradients). A non-finite gradient
   * anywhere skips the whole step, leaving weights and state untouched, and is reported.
   */
  async step(): Promise<StepReport> {
    const b = this.#backend;
    const active = [...this.#params.values()].filter((p) => p.gradWritten);
    await this.#resolveGrads(active);
    const t = this.#step + 1;
    const lr = this.#options.schedule(t);
    if (!(lr >= 0 && Number.isFinite(lr))) throw new RangeError(`lr: the schedule gave ${lr} for step ${t}`);
    // Global norm from the stored (scaled) gradients: Σ (decode(q)·scaleInv)².
    if (this.#norms === null || this.#norms.size < Math.max(1, active.length)) {
      if (this.#norms) b.dispose(this.#norms);
      this.#norms = b.alloc('f32', [Math.max(1, this.#params.size)]);
    }
    const norms = this.#norms;
    for (const [i, p] of active.entries()) b.sumSquares(p.grad, norms, i, { scaleInv: 1 / p.gradScale });
    const squares = active.length > 0 ? await b.read(this.#norms) : new Float32Array(0);
    let total = 0;
    for (let i = 0; i < active.length; i++) total += squares[i];
    const gradNorm = Math.sqrt(total);
    const bad = active.find((p) => !Number.isFinite(p.gradAmax));
    if (bad !== undefined || !Number.isFinite(gradNorm)) {
      this.#skipped++;
      for (const p of active) p.gradWritten = false;
      const reason = bad
        ? `non-finite gradient in "${bad.name}" (amax ${bad.gradAmax})`
        : `non-finite gradient norm ${gradNorm}`;
      return { step: this.#step, lr, gradNorm, clipCoefficient: 1, skipped: true, reason };
    }
    const clip = this.#options.clipGradNorm;
    const clipCoefficient = clip !== undefined && gradNorm > clip ? clip / (gradNorm + 1e-6) : 1;
    const hyper = (p: ParamState): AdamWHyper => {
      const g = this.#options.groups.get(p.group)!;
      return {
        lr: lr * g.lrScale,
        beta1: this.#options.beta1,
        beta2: this.#options.beta2,
        eps: this.#options.eps,
        weightDecay: g.weightDecay,
        step: t,
        decoupled: this.#decoupled,
        biasCorrection: this.#options.biasCorrection,
        gradMultiplier: clipCoefficient,
      };
    };
    // Stage 1 for every parameter, then one read of all amaxes, then stage 2.
    for (const p of active) b.adamwStats(this.#tensors(p), hyper(p), p.stats, p.vGroups?.groupStats);
    const stats = await Promise.all(active.map((p) => b.read(p.stats)));
    active.forEach((p, i) => {
      const [aMaster, aM, aV] = stats[i];
      const next = {
        masterScale: this.#scale(this.layout.master, aMaster, p.masterScale),
        mScale: this.#scale(this.layout.m, aM, p.mScale),
        vScale: this.layout.v === 'e4m3-group' ? 1 : this.#scale(this.layout.v, aV, p.vScale),
        groupStats: p.vGroups?.groupStats,
      };
      b.adamwApply(this.#tensors(p), hyper(p), next);
      p.masterScale = next.masterScale;
      p.mScale = next.mScale;
      p.vScale = next.vScale;
      p.gradWritten = false;
    });
    this.#step = t;
    return { step: t, lr, gradNorm, clipCoefficient, skipped: false };
  }

  /** A parameter's current master weights, decoded to f32. */
  async readParam(name: string): Promise<Float32Array> {
    const p = this.#param(name);
    const b = this.#backend;
    if (p.master.dtype === 'f32') return (await b.read(p.master)) as Float32Array;
    const out = b.alloc('f32', [p.size]);
    b.dequantize(p.master as DeviceTensor<'f16' | 'bf16'>, out, { scaleInv: 1 / p.masterScale });
    const values = await b.read(out);
    b.dispose(out);
    return values;
  }

  /** A parameter's master tensor and its decode multiplier, for deriving FP8 weights on the device. */
  master(name: string): { tensor: DeviceTensor<'f32' | 'f16' | 'bf16'>; scaleInv: number } {
    const p = this.#param(name);
    return { tensor: p.master, scaleInv: 1 / p.masterScale };
  }

  /** Bytes per parameter by component, computed from the device tensors actually held. */
  memoryReport(): MemoryReport {
    return memoryReport(this.layout, [...this.#params.values()]);
  }

  /** The whole state (master weights, moments, scales, step) as typed arrays plus JSON metadata. */
  async stateDict(): Promise<OptimizerState> {
    await this.#resolveGrads([...this.#params.values()]);
    return saveState(this.#backend, this.layout, { step: this.#step, skipped: this.#skipped }, [
      ...this.#params.values(),
    ]);
  }

  /** Restores a {@link stateDict} bit-exactly; parameters must already be added with the same names and shapes. */
  loadStateDict(state: OptimizerState): void {
    const counters = loadState(this.#backend, this.layout, state, this.#params);
    this.#step = counters.step;
    this.#skipped = counters.skipped;
  }

  /** Frees every device tensor the optimizer holds. */
  dispose(): void {
    for (const p of this.#params.values()) for (const t of paramTensors(p)) this.#backend.dispose(t);
    this.#params.clear();
    if (this.#norms) this.#backend.dispose(this.#norms);
    this.#norms = null;
  }
}

/** Adam with L2 weight decay added to the gradient (the original Adam), same state layouts as {@link AdamW}. */
export class Adam extends AdamW {
  constructor(backend: Backend, options: AdamWOptions = {}) {
    super(backend, options, false);
  }
}
