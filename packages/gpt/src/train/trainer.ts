import { dequantize as dequantizeHost, E4M3, FP16, quantize as quantizeHost } from '@fp8lm/fp8-format';
import { AdamW, type OptimizerState, warmupCosine } from '@fp8lm/optimizer';
import {
  type AutoScalerJSON,
  computeScale,
  GradientAutoScaler,
  type GradientPreScaler,
  preScaleByName,
} from '@fp8lm/scaling';
import type { Backend } from '@fp8lm/tensor-interface';
import type { Checkpoint, CheckpointTensor, LoadedCheckpoint } from '../checkpoint/checkpoint.js';
import type { DatasetState, TokenDataset } from '../data/dataset.js';
import type { LinearDiagnostics } from '../layers/linear.js';
import { GPT } from '../model/gpt.js';
import { initParams, sizeOf } from '../model/params.js';
import type { TrainConfig } from './config.js';
import { type LevelPlan, levelPlan } from './levels.js';

/** Values at or above this, times their scale, overflow E4M3 (they would round past 448). */
const E4M3_OVERFLOW = 464;

/** One line of `metrics.jsonl`. */
export interface StepMetrics {
  /** 1-based training step (iterations, skipped ones included). */
  step: number;
  /** Mean training loss of the step's batch (nats per token). */
  loss: number;
  /** Learning rate of the step. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipCoefficient: number;
  /** True when the step was skipped for a non-finite loss or gradient. */
  skipped: boolean;
  /** Why, when skipped. */
  skipReason?: string;
  /** Skipped steps so far. */
  skippedSteps: number;
  /** Gradient pre-scale μ used in this step. */
  mu: number;
  /** Fraction of the weight-gradient FP8 codes at ±max in this step (drives the automatic μ). */
  gradSaturation: number;
  tokensPerSec: number;
  /** Seconds the step took (forward, backward, optimizer). */
  stepTime: number;
  /** Mean validation loss, on eval steps. */
  valLoss?: number;
  /** Per linear layer and FP8 tensor (x, w, dy, dw): scale, amax, underflow and saturation fractions. */
  tensors: Record<string, Record<string, LinearDiagnostics>>;
}

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  /**
   * Test hook: at these steps the backward pass gets NaN logits (after the loss was taken), as an
   * overflow would, to exercise the skip path (the step is skipped, the scales are lowered, the skip is
   * counted).
   */
  injectNonFiniteAt?: readonly number[];
  /** μ of the first step for `gradScaling: 'auto'` (default 1; it rises to 2 over 1000 clean steps). */
  initialMu?: number;
}

/** Names of the checkpoint's `extra` fields the trainer writes. */
interface TrainerExtra {
  gradScaler: AutoScalerJSON | { name: 'fixed' | 'none'; mu: number };
  skippedSteps: number;
  /** Per-tensor decode multipliers of the model tensors stored as FP16 or E4M3 codes. */
  weightScaleInv: Record<string, number>;
}

/**
 * The training loop's state and one step of it: a {@link GPT}, its AdamW with the level's state layout,
 * the gradient pre-scaler μ and the data position. Deterministic: the same config and seed give the
 * same losses on the CPU backend, and {@link Trainer.checkpoint} / {@link Trainer.restore} resume a run
 * exactly where it stood.
 *
 * How μ works: as in FP8-LM, it pre-scales the FP8 weight gradients — the tensors that the all-reduce
 * carries — and nothing else. Each linear layer casts its weight gradient as `cast(dW · s · μ)` with its
 * recipe's scale `s` and hands it on with the decode multiplier `1 / (s · μ)`, so the optimizer sees the
 * true gradient (norm, clipping and update do not depend on μ). The amax histories record the unscaled
 * amaxes, so a delayed scale does not adapt μ away: when more than 0.001% of the weight-gradient codes
 * saturate, the automatic μ halves and the next casts really have twice the headroom; it grows back over
 * 1000 clean steps. (Scaling the loss gradient by μ instead would let the amax histories absorb it
 * within one history length, and the automatic μ would halve forever.)
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly plan: LevelPlan;
  readonly model: GPT;
  readonly optimizer: AdamW;
  readonly data: TokenDataset;
  readonly #inject: Set<number>;
  #preScaler: GradientPreScaler;
  #step = 0;
  #skipped = 0;

  constructor(backend: Backend, config: TrainConfig, data: TokenDataset, options: TrainerOptions = {}) {
    this.config = config;
    this.plan = levelPlan(config.level, config.scaling, config.optimizerState);
    this.data = data;
    this.#inject = new Set(options.injectNonFiniteAt ?? []);
    ({ model: this.model, optimizer: this.optimizer } = createModel(
      backend,
      config,
      initParams(config.model, config.seed),
    ));
    this.#preScaler = !this.plan.fp8
      ? preScaleByName('none')
      : config.gradScaling === 'auto'
        ? new GradientAutoScaler({ initialMu: options.initialMu })
        : preScaleByName(config.gradScaling, { worldSize: 1 });
  }

  /** Completed training steps (skipped ones included). */
  get step(): number {
    return this.#step;
  }

  /** The gradient pre-scale μ of the next step. */
  get mu(): number {
    return this.#preScaler.mu;
  }

  /** Tokens per step: batch size × block size. */
  get tokensPerStep(): number {
    return this.config.batchSize * this.config.model.blockSize;
  }

  /** One training step: forward, backward, gradients into the optimizer, scaling updates, AdamW. */
  async trainStep(): Promise<StepMetrics> {
    const t0 = performance.now();
    const { batchSize: B } = this.config;
    const T = this.config.model.blockSize;
    const step = this.#step + 1;
    const mu = this.#preScaler.mu;
    const { inputs, targets } = this.data.batch('train', B, T);
    const loss = await this.model.forward(inputs, targets, B, T);
    if (this.#inject.has(step)) this.model.injectNonFinite();
    for (const linear of this.model.linears.values()) linear.gradPreScale = mu;
    this.model.backward(1 / (B * T));
    let report: { lr: number; gradNorm: number; clipCoefficient: number; skipped: boolean; reason?: string };
    if (Number.isFinite(loss)) await this.#writeGradients();
    // Every linear layer records this step's amaxes; a NaN/Inf amax resets its history (delayed scaling).
    await this.model.endStep();
    if (Number.isFinite(loss)) {
      report = await this.optimizer.step();
    } else {
      report = {
        lr: this.#lr(),
        gradNorm: Number.NaN,
        clipCoefficient: 1,
        skipped: true,
        reason: `non-finite loss ${loss}`,
      };
    }
    const tensors = this.model.diagnostics();
    const { saturated, total } = this.#gradSaturation(tensors);
    if (report.skipped) {
      this.#skipped++;
      // A non-finite gradient is the worst saturation: μ halves (auto), like an overflow in every value.
      this.#preScaler.update(total, total);
    } else {
      this.#preScaler.update(saturated, total);
    }
    this.#step = step;
    const stepTime = (performance.now() - t0) / 1000;
    const metrics: StepMetrics = {
      step,
      loss,
      lr: report.lr,
      gradNorm: report.gradNorm,
      clipCoefficient: report.clipCoefficient,
      skipped: report.skipped,
      skippedSteps: this.#skipped,
      mu,
      gradSaturation: total > 0 ? saturated / total : 0,
      tokensPerSec: (B * T) / stepTime,
      stepTime,
      tensors,
    };
    if (report.skipped) metrics.skipReason = report.reason;
    return metrics;
  }

  #lr(): number {
    const { lr, minLr, warmup, steps } = this.config;
    return warmupCosine({ maxLr: lr, minLr, warmup, total: steps })(this.optimizer.stepCount + 1);
  }

  /**
   * Saturated weight-gradient codes of this step over all linear layers, from their diagnostics: the
   * codes at ±max of every weight gradient that overflowed, i.e. whose amax times the scale it was cast
   * with reached E4M3's rounding limit (464, halfway to the next binade's first value). A gradient
   * scaled from its own amax puts exactly its largest value on 448; that one is not an overflow and is
   * not counted (with small tensors it alone would exceed FP8-LM's 0.001% and halve μ every step).
   */
  #gradSaturation(tensors: Record<string, Record<string, LinearDiagnostics>>): {
    saturated: number;
    total: number;
  } {
    let saturated = 0;
    let total = 0;
    for (const [name, linear] of this.model.linears) {
      const dw = tensors[name]?.dw;
      if (dw === undefined || !Number.isFinite(dw.saturation)) continue;
      const size = linear.inFeatures * linear.outFeatures;
      total += size;
      if (!(Math.fround(dw.amax * dw.scale) < E4M3_OVERFLOW)) saturated += Math.round(dw.saturation * size);
    }
    return { saturated, total };
  }

  /** Hands every gradient to the optimizer: FP8 weight gradients with their decode multipliers (μ included). */
  async #writeGradients(): Promise<void> {
    const opt = this.optimizer;
    const specs = this.model.specs;
    // Every linear layer's amax and scale in one wait for the device, not one per layer.
    const linearGrads = await Promise.all(
      specs.map((spec) => (spec.kind === 'linear' ? this.model.linearGrad(spec.name) : undefined)),
    );
    for (const [i, spec] of specs.entries()) {
      const g = linearGrads[i];
      if (g !== undefined) {
        await opt.writeScaledGrad(spec.name, { tensor: g.tensor, scaleInv: g.scaleInv, amax: g.amax });
      } else {
        await opt.writeGrad(spec.name, this.model.paramGrad(spec.name));
      }
    }
  }

  /** Mean loss over `batches` random validation windows (nanoGPT's `estimate_loss`, val split only). */
  async evaluate(batches = this.config.evalBatches): Promise<number> {
    const B = this.config.batchSize;
    const T = this.config.model.blockSize;
    let sum = 0;
    for (let i = 0; i < batches; i++) {
      const { inputs, targets } = this.data.batch('val', B, T);
      sum += await this.model.forward(inputs, targets, B, T);
    }
    return sum / batches;
  }

  /** Everything a resumed run needs, ready for `saveCheckpoint` (tokenizer included when the data has one). */
  async checkpoint(): Promise<Checkpoint> {
    const state = await this.optimizer.stateDict();
    const tensors: Record<string, CheckpointTensor> = {};
    const weightScaleInv: Record<string, number> = {};
    for (const [i, p] of state.metadata.params.entries()) {
      const master = state.tensors[`${p.name}.master`];
      const spec = this.model.specs[i];
      if (spec.name !== p.name) throw new Error(`internal: parameter order ${spec.name} vs ${p.name}`);
      if (this.plan.weightsStored === 'e4m3' && spec.kind === 'linear') {
        // O3: the linear weights as the E4M3 codes the ranks all-gather, with their per-tensor scale.
        const values = new Float32Array(master.data.length);
        dequantizeHost(FP16, master.data as Uint16Array, values, { scaleInv: 1 / p.masterScale });
        let amax = 0;
        for (const v of values) amax = Math.max(amax, Math.abs(v));
        const scale = computeScale(E4M3.maxFinite, amax, { previous: 1 });
        const codes = new Uint8Array(values.length);
        quantizeHost(E4M3, values, codes, { scale });
        tensors[p.name] = { dtype: 'e4m3', shape: p.shape, data: codes };
        weightScaleInv[p.name] = 1 / scale;
      } else {
        tensors[p.name] = { dtype: master.dtype, shape: p.shape, data: master.data };
        if (master.dtype !== 'f32') weightScaleInv[p.name] = 1 / p.masterScale;
      }
    }
    const gradScaler =
      this.#preScaler instanceof GradientAutoScaler
        ? this.#preScaler.toJSON()
        : { name: this.#preScaler.name as 'fixed' | 'none', mu: this.#preScaler.mu };
    const extra: TrainerExtra = { gradScaler, skippedSteps: this.#skipped, weightScaleInv };
    return {
      config: this.config as unknown as Record<string, unknown>,
      tensors,
      optimizerState: state as unknown as Checkpoint['optimizerState'],
      tokenizer: this.data.tokenizer,
      step: this.#step,
      scales: this.model.scalingState(),
      rng: { seed: this.config.seed },
      data: this.data.state(),
      extra: extra as unknown as Record<string, unknown>,
    };
  }

  /**
   * Continues from a loaded checkpoint of the same config: optimizer state, scaling metadata, μ, step,
   * skipped count and data position. `restoreData: false` leaves the data position alone (evaluation).
   */
  restore(ckpt: LoadedCheckpoint, options: { restoreData?: boolean } = {}): void {
    if (ckpt.optimizerState === undefined) throw new Error('the checkpoint holds no optimizer state');
    this.optimizer.loadStateDict(ckpt.optimizerState as unknown as OptimizerState);
    this.model.restoreScalingState(ckpt.scales as Record<string, unknown>);
    const extra = ckpt.extra as unknown as TrainerExtra | undefined;
    if (extra?.gradScaler !== undefined && 'version' in extra.gradScaler) {
      this.#preScaler = GradientAutoScaler.fromJSON(extra.gradScaler);
    }
    this.#skipped = extra?.skippedSteps ?? 0;
    this.#step = ckpt.step ?? 0;
    const saved = ckpt.data as DatasetState | undefined;
    // The data position is restored for the same data; other data (fine-tuning) starts its sampler afresh.
    if (
      options.restoreData !== false &&
      saved !== undefined &&
      saved.trainTokens === this.data.size('train') &&
      saved.valTokens === this.data.size('val')
    ) {
      this.data.restore(saved);
    }
  }

  /** Frees the device tensors of the model, the optimizer and the trainer. */
  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}

/**
 * A model and its AdamW for a config: the optimizer holds the parameters (in the level's master dtype)
 * and the model reads them from it. `init` gives the initial values (default: zeros, for a model whose
 * state is about to be loaded from a checkpoint).
 */
export function createModel(
  backend: Backend,
  config: TrainConfig,
  init?: Map<string, Float32Array>,
): { model: GPT; optimizer: AdamW; plan: LevelPlan } {
  const plan = levelPlan(config.level, config.scaling, config.optimizerState);
  const optimizer = new AdamW(backend, {
    preset: plan.optimizerPreset,
    lr: warmupCosine({ maxLr: config.lr, minLr: config.minLr, warmup: config.warmup, total: config.steps }),
    betas: [config.beta1, config.beta2],
    weightDecay: config.weightDecay,
    clipGradNorm: config.gradClip > 0 ? config.gradClip : undefined,
    groups: { noDecay: { weightDecay: 0 } },
  });
  let model: GPT;
  try {
    model = new GPT(backend, config.model, { recipe: plan.linear, params: optimizer });
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  for (const spec of model.specs) {
    optimizer.addParam(spec.name, init?.get(spec.name) ?? new Float32Array(sizeOf(spec.shape)), {
      shape: spec.shape,
      group: spec.decay ? 'default' : 'noDecay',
    });
  }
  return { model, optimizer, plan };
}

/** Parameters of the model, for reports. */
export function countParams(trainer: Trainer): number {
  return trainer.model.specs.reduce((n, s) => n + sizeOf(s.shape), 0);
}
