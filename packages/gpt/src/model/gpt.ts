import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { Linear, type LinearDiagnostics } from '../layers/linear.js';
import type { LinearRecipe, WeightGrad, WeightRef } from '../layers/linear-types.js';
import {
  type ActivationGrads,
  type Activations,
  activationTensors,
  allocActivationGrads,
  allocActivations,
  Zeroer,
} from './activations.js';
import { checkConfig, type GPTConfig } from './config.js';
import { BLOCK_LINEARS, linearShape, type ParamSpec, paramSpecs } from './params.js';

type F32 = DeviceTensor<'f32'>;

/**
 * Where the model reads its parameters: the optimizer's master tensors (`AdamW.master(name)` fits),
 * f32 or FP16/BF16 with a decode multiplier. Read at every forward pass, so an optimizer step (or a
 * restored state) is seen at once.
 */
export interface ParamSource {
  master(name: string): WeightRef;
}

/** Options of {@link GPT}. */
export interface GPTOptions {
  /** How the linear layers compute (fp32, bf16 or FP8 with a scaling recipe). */
  recipe: LinearRecipe;
  params: ParamSource;
  /** Count underflow and saturation of every FP8 tensor once per step (reads the codes back). Default true. */
  diagnostics?: boolean;
}

/** Per linear layer, per tensor (x, w, dy, dw): the figures of the last step. */
export type ModelDiagnostics = Record<string, Record<string, LinearDiagnostics>>;

/**
 * GPT-2 (learned positions, pre-LN blocks, causal multi-head attention, GELU MLP, final LayerNorm, LM
 * head tied to the token embedding), written like llm.c's `train_gpt2.c`: {@link GPT.forward} and
 * {@link GPT.backward} call the Backend's layer ops and the four {@link Linear} layers of each block in
 * order, top to bottom.
 *
 * Precision: the linear layers follow the recipe (f32, bf16 or FP8); the embeddings, LayerNorms,
 * attention softmax, the loss and the tied LM head stay in f32. Their parameters are read from the
 * {@link ParamSource} into f32 working tensors at each forward pass (dequantized from FP16/BF16 masters).
 */
export class GPT {
  readonly config: GPTConfig;
  readonly specs: readonly ParamSpec[];
  /** The linear layers by prefix, e.g. `h.0.attn.c_attn` (its weight is `h.0.attn.c_attn.weight`). */
  readonly linears = new Map<string, Linear>();
  readonly #b: Backend;
  readonly #params: ParamSource;
  /** f32 working copies of the parameters that are not linear weights. */
  readonly #weights = new Map<string, F32>();
  /** f32 gradients of those parameters (linear weight gradients stay inside their layer). */
  readonly #grads = new Map<string, F32>();
  readonly #views = new Map<DeviceTensor, F32>();
  readonly #zeroer: Zeroer;
  #acts: Activations | null = null;
  #dacts: ActivationGrads | null = null;
  /** The activations of the last training-shaped forward pass (the one backward uses). */
  #forwardActs: Activations | null = null;
  #hasTargets = false;

  constructor(backend: Backend, config: GPTConfig, options: GPTOptions) {
    this.config = checkConfig(config);
    this.specs = paramSpecs(config);
    this.#b = backend;
    this.#params = options.params;
    this.#zeroer = new Zeroer(backend);
    for (const spec of this.specs) {
      if (spec.kind === 'linear') continue;
      this.#weights.set(spec.name, backend.alloc('f32', [...spec.shape]));
      this.#grads.set(spec.name, backend.alloc('f32', [...spec.shape]));
    }
    for (let l = 0; l < config.nLayer; l++) {
      for (const which of BLOCK_LINEARS) {
        const [outFeatures, inFeatures] = linearShape(config, which);
        const name = `h.${l}.${which}`;
        this.linears.set(
          name,
          new Linear(backend, {
            name,
            inFeatures,
            outFeatures,
            recipe: options.recipe,
            diagnostics: options.diagnostics ?? true,
          }),
        );
      }
    }
  }

  /** A `[rows, lastDim]` view of an activation, for the GEMMs (cached, so views are made once). */
  #flat(t: F32): F32 {
    let v = this.#views.get(t);
    if (v === undefined) {
      const last = t.shape[t.shape.length - 1];
      v = this.#b.view(t, [t.size / last, last]);
      this.#views.set(t, v);
    }
    return v;
  }

  #w(name: string): F32 {
    return this.#weights.get(name)!;
  }

  #g(name: string): F32 {
    return this.#grads.get(name)!;
  }

  #linear(prefix: string): Linear {
    return this.linears.get(prefix)!;
  }

  /**
   * Bytes the activations of the current batch shape hold (0 before the first forward pass): the f32
   * (and i32) activation tensors, and the copies of their inputs that the linear layers keep for the
   * backward pass (E4M3 codes: 1 byte per element; bf16: 2; f32 layers keep the caller's tensor).
   */
  activationBytes(): { tensors: number; linearInputCopies: number; total: number } {
    const tensors =
      this.#acts === null ? 0 : activationTensors(this.#acts).reduce((n, t) => n + 4 * t.size, 0);
    let linearInputCopies = 0;
    if (this.#acts !== null) {
      const rows = this.#acts.B * this.#acts.T;
      for (const l of this.linears.values()) {
        const bytes = l.recipe.precision === 'fp8' ? 1 : l.recipe.precision === 'bf16' ? 2 : 0;
        linearInputCopies += rows * l.inFeatures * bytes * (l.recipe.granularity === 'tensor' ? 1 : 2);
      }
    }
    return { tensors, linearInputCopies, total: tensors + linearInputCopies };
  }

  /** The activations for a batch shape, reallocated when B or T changes. */
  #activations(B: number, T: number): Activations {
    if (this.#acts?.B === B && this.#acts.T === T) return this.#acts;
    this.#disposeActivations();
    const shareLinearInputs = [...this.linears.values()].every((l) => l.keepsInputCopy);
    this.#acts = allocActivations(this.#b, this.config, B, T, { shareLinearInputs });
    this.#dacts = allocActivationGrads(this.#b, this.config, B, T);
    return this.#acts;
  }

  #disposeActivations(): void {
    for (const set of [this.#acts, this.#dacts]) {
      if (set === null) continue;
      for (const t of activationTensors(set)) {
        const v = this.#views.get(t);
        if (v !== undefined) this.#b.dispose(v);
        this.#views.delete(t);
        this.#b.dispose(t);
      }
    }
    this.#acts = null;
    this.#dacts = null;
    this.#forwardActs = null;
  }

  /** Reads the non-linear parameters from their masters into the f32 working tensors. */
  #loadWeights(): void {
    for (const [name, work] of this.#weights) {
      const { tensor, scaleInv } = this.#params.master(name);
      if (tensor.dtype === 'f32' && scaleInv === 1) this.#b.copy(tensor as F32, work);
      else this.#b.dequantize(tensor as DeviceTensor<'f16' | 'bf16'>, work, { scaleInv });
    }
  }

  #checkTokens(ids: Int32Array, B: number, T: number, argument: string): void {
    if (!(ids instanceof Int32Array) || ids.length !== B * T) {
      throw new RangeError(`${argument}: expected an Int32Array of B·T = ${B * T} token ids`);
    }
  }

  /**
   * The forward pass of `B` sequences of `T ≤ blockSize` tokens (row-major `[B, T]`). With targets it
   * returns the mean cross-entropy loss (and keeps what {@link GPT.backward} needs); without, NaN (the
   * logits are then available through {@link GPT.logits}).
   */
  async forward(inputs: Int32Array, targets: Int32Array | undefined, B: number, T: number): Promise<number> {
    const { nLayer: L, nHead: NH, blockSize, vocabSize: V } = this.config;
    if (!Number.isSafeInteger(B) || B < 1) throw new RangeError(`B: expected a positive integer, found ${B}`);
    if (!Number.isSafeInteger(T) || T < 1 || T > blockSize) {
      throw new RangeError(`T: expected an integer in [1, blockSize = ${blockSize}], found ${T}`);
    }
    this.#checkTokens(inputs, B, T, 'inputs');
    for (const ids of targets ? [inputs, targets] : [inputs]) {
      for (let i = 0; i < ids.length; i++) {
        if (!(ids[i] >= 0 && ids[i] < V)) {
          throw new RangeError(`token id ${ids[i]} at ${i} is outside the vocabulary [0, ${V})`);
        }
      }
    }
    if (targets) this.#checkTokens(targets, B, T, 'targets');
    const b = this.#b;
    const a = this.#activations(B, T);
    b.dispose(a.inputs);
    a.inputs = b.upload('i32', [B, T], inputs);
    if (targets) {
      b.dispose(a.targets);
      a.targets = b.upload('i32', [B, T], targets);
    }
    this.#loadWeights();
    const W = (name: string): WeightRef => this.#params.master(name);
    const w = (name: string) => this.#w(name);
    const flat = (t: F32) => this.#flat(t);

    b.embeddingForward(a.inputs, w('wte'), w('wpe'), a.encoded);
    let residual = a.encoded;
    for (let l = 0; l < L; l++) {
      const h = `h.${l}`;
      const x = a.blocks[l];
      b.layernormForward(residual, w(`${h}.ln_1.weight`), w(`${h}.ln_1.bias`), x.ln1, x.ln1Mean, x.ln1Rstd);
      this.#linear(`${h}.attn.c_attn`).forward(
        flat(x.ln1),
        W(`${h}.attn.c_attn.weight`),
        w(`${h}.attn.c_attn.bias`),
        flat(x.qkv),
      );
      b.attentionForward(x.qkv, x.atty, x.att, NH);
      this.#linear(`${h}.attn.c_proj`).forward(
        flat(x.atty),
        W(`${h}.attn.c_proj.weight`),
        w(`${h}.attn.c_proj.bias`),
        flat(x.attproj),
      );
      b.residualForward(residual, x.attproj, x.residual2);
      b.layernormForward(
        x.residual2,
        w(`${h}.ln_2.weight`),
        w(`${h}.ln_2.bias`),
        x.ln2,
        x.ln2Mean,
        x.ln2Rstd,
      );
      this.#linear(`${h}.mlp.c_fc`).forward(
        flat(x.ln2),
        W(`${h}.mlp.c_fc.weight`),
        w(`${h}.mlp.c_fc.bias`),
        flat(x.fch),
      );
      b.geluForward(x.fch, x.fchGelu);
      this.#linear(`${h}.mlp.c_proj`).forward(
        flat(x.fchGelu),
        W(`${h}.mlp.c_proj.weight`),
        w(`${h}.mlp.c_proj.bias`),
        flat(x.fcproj),
      );
      b.residualForward(x.residual2, x.fcproj, x.residual3);
      residual = x.residual3;
    }
    b.layernormForward(residual, w('ln_f.weight'), w('ln_f.bias'), a.lnf, a.lnfMean, a.lnfRstd);
    // The LM head, tied to wte and kept in f32: logits = lnf · wteᵀ.
    b.gemm(flat(a.lnf), w('wte'), flat(a.logits), { transB: true });
    this.#forwardActs = a;
    this.#hasTargets = targets !== undefined;
    if (!targets) return Number.NaN;
    b.crossEntropyForward(a.logits, a.targets, a.losses);
    b.lossSum(a.losses, a.loss, { scale: 1 / (B * T) });
    return (await b.read(a.loss))[0];
  }

  /**
   * The backward pass of the last forward pass with targets: zeroes the gradients, then goes back through
   * the loss, the LM head, the final LayerNorm, every block from the top, and the embeddings.
   * `dlossScale` is `∂L/∂losses[b,t]`: `1/(B·T)` for the mean loss. (A gradient pre-scale μ is not
   * applied here but where each linear layer casts its weight gradient: see `Linear.gradPreScale`.)
   */
  backward(dlossScale: number): void {
    const a = this.#forwardActs;
    const d = this.#dacts;
    if (a === null || d === null || !this.#hasTargets) {
      throw new Error('backward: call forward with targets first');
    }
    const { nLayer: L, nHead: NH } = this.config;
    const b = this.#b;
    const w = (name: string) => this.#w(name);
    const g = (name: string) => this.#g(name);
    const flat = (t: F32) => this.#flat(t);
    const zero = (t: F32) => this.#zeroer.zero(t);
    for (const t of this.#grads.values()) zero(t);
    zero(d.dlogits);
    zero(d.dlnf);
    zero(d.dresidual);

    b.crossEntropyBackward(a.logits, a.targets, d.dlogits, { dlossScale });
    // LM head: dlnf += dlogits · wte, dwte += dlogitsᵀ · lnf.
    b.gemm(flat(d.dlogits), w('wte'), flat(d.dlnf), { beta: 1 });
    b.gemm(flat(d.dlogits), flat(a.lnf), g('wte'), { transA: true, beta: 1 });
    const top = L > 0 ? a.blocks[L - 1].residual3 : a.encoded;
    b.layernormBackward(
      d.dlnf,
      top,
      w('ln_f.weight'),
      a.lnfMean,
      a.lnfRstd,
      d.dresidual,
      g('ln_f.weight'),
      g('ln_f.bias'),
    );
    for (let l = L - 1; l >= 0; l--) {
      const h = `h.${l}`;
      const x = a.blocks[l];
      const residual = l === 0 ? a.encoded : a.blocks[l - 1].residual3;
      // dresidual holds ∂L/∂residual3. residual3 = residual2 + fcproj passes it unchanged to both.
      zero(d.dfchGelu);
      this.#linear(`${h}.mlp.c_proj`).backward(
        flat(d.dresidual),
        flat(d.dfchGelu),
        g(`${h}.mlp.c_proj.bias`),
      );
      zero(d.dfch);
      b.geluBackward(d.dfchGelu, x.fch, d.dfch);
      zero(d.dln2);
      this.#linear(`${h}.mlp.c_fc`).backward(flat(d.dfch), flat(d.dln2), g(`${h}.mlp.c_fc.bias`));
      b.layernormBackward(
        d.dln2,
        x.residual2,
        w(`${h}.ln_2.weight`),
        x.ln2Mean,
        x.ln2Rstd,
        d.dresidual,
        g(`${h}.ln_2.weight`),
        g(`${h}.ln_2.bias`),
      );
      // dresidual now holds ∂L/∂residual2. residual2 = residual + attproj passes it unchanged to both.
      zero(d.datty);
      this.#linear(`${h}.attn.c_proj`).backward(flat(d.dresidual), flat(d.datty), g(`${h}.attn.c_proj.bias`));
      zero(d.dqkv);
      b.attentionBackward(d.datty, x.qkv, x.att, d.dqkv, NH);
      zero(d.dln1);
      this.#linear(`${h}.attn.c_attn`).backward(flat(d.dqkv), flat(d.dln1), g(`${h}.attn.c_attn.bias`));
      b.layernormBackward(
        d.dln1,
        residual,
        w(`${h}.ln_1.weight`),
        x.ln1Mean,
        x.ln1Rstd,
        d.dresidual,
        g(`${h}.ln_1.weight`),
        g(`${h}.ln_1.bias`),
      );
      // dresidual now holds ∂L/∂(this block's input).
    }
    b.embeddingBackward(d.dresidual, a.inputs, g('wte'), g('wpe'));
  }

  /**
   * Test hook: overwrites the logits of the last forward pass with NaN after the loss was taken, so the
   * next {@link GPT.backward} produces non-finite gradients everywhere, as an overflow would.
   */
  injectNonFinite(): void {
    const a = this.#forwardActs;
    if (a === null) throw new Error('injectNonFinite: call forward first');
    const nan = this.#b.upload('f32', [...a.logits.shape], new Float32Array(a.logits.size).fill(Number.NaN));
    this.#b.copy(nan, a.logits);
    this.#b.dispose(nan);
  }

  /** The f32 gradient of a parameter that is not a linear weight (after {@link GPT.backward}). */
  paramGrad(name: string): F32 {
    const t = this.#grads.get(name);
    if (t === undefined)
      throw new RangeError(`name: "${name}" is not an embedding, LayerNorm or bias parameter`);
    return t;
  }

  /** The weight gradient of a linear layer, from its weight's name (`h.0.mlp.c_fc.weight`). */
  async linearGrad(weightName: string): Promise<WeightGrad & { amax: number }> {
    return this.#linear(weightName.replace(/\.weight$/, '')).weightGrad();
  }

  /** Once per step, after backward: every linear layer reads its amaxes and updates its scales. */
  async endStep(): Promise<void> {
    // Each layer records its own work and reads, so all of them wait for the device together.
    await Promise.all([...this.linears.values()].map((linear) => linear.endStep()));
  }

  /** The logits `[B, T, V]` of the last forward pass. */
  async logits(): Promise<Float32Array> {
    if (this.#forwardActs === null) throw new Error('logits: call forward first');
    return this.#b.read(this.#forwardActs.logits);
  }

  /** Per linear layer and tensor: scale, amax, underflow and saturation of the last step. */
  diagnostics(): ModelDiagnostics {
    const out: ModelDiagnostics = {};
    for (const [name, linear] of this.linears) out[name] = linear.diagnostics();
    return out;
  }

  /** The scaling state of every linear layer (JSON), for checkpoints. */
  scalingState(): Record<string, unknown> {
    return Object.fromEntries([...this.linears].map(([name, linear]) => [name, linear.state()]));
  }

  /** Restores {@link GPT.scalingState}. */
  restoreScalingState(state: Record<string, unknown>): void {
    if (typeof state !== 'object' || state === null) {
      throw new TypeError('scaling state: expected an object with one entry per linear layer');
    }
    for (const [name, linear] of this.linears) {
      if (state[name] === undefined) throw new RangeError(`scaling state: no entry for linear layer ${name}`);
      linear.restore(state[name]);
    }
  }

  /** Frees every device tensor the model holds. */
  dispose(): void {
    this.#disposeActivations();
    for (const t of [...this.#weights.values(), ...this.#grads.values()]) this.#b.dispose(t);
    this.#weights.clear();
    this.#grads.clear();
    for (const linear of this.linears.values()) linear.dispose();
    this.#zeroer.dispose();
  }
}
