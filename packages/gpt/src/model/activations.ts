import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GPTConfig } from './config.js';

type F32 = DeviceTensor<'f32'>;

/** What one block's forward pass keeps for its backward pass (llm.c's `ActivationTensors`, per layer). */
export interface BlockActivations {
  ln1: F32; // [B, T, C]
  ln1Mean: F32; // [B, T]
  ln1Rstd: F32; // [B, T]
  qkv: F32; // [B, T, 3C]
  atty: F32; // [B, T, C]  attention output, before the projection
  att: F32; // [B, NH, T, T]  softmax probabilities
  attproj: F32; // [B, T, C]
  residual2: F32; // [B, T, C]  residual + attention
  ln2: F32; // [B, T, C]
  ln2Mean: F32;
  ln2Rstd: F32;
  fch: F32; // [B, T, 4C]
  fchGelu: F32; // [B, T, 4C]
  fcproj: F32; // [B, T, C]
  residual3: F32; // [B, T, C]  the block's output
}

/** Every activation of one forward pass at batch size B and sequence length T. */
export interface Activations {
  readonly B: number;
  readonly T: number;
  inputs: DeviceTensor<'i32'>; // [B, T]
  targets: DeviceTensor<'i32'>; // [B, T]
  encoded: F32; // [B, T, C]  wte + wpe
  blocks: BlockActivations[];
  lnf: F32; // [B, T, C]
  lnfMean: F32;
  lnfRstd: F32;
  logits: F32; // [B, T, V]
  losses: F32; // [B, T]
  loss: F32; // [1]
}

/**
 * Gradients of the activations. Backward runs one block at a time, so one set of per-block buffers
 * serves every layer (zeroed before each use); `dresidual` carries the residual stream's gradient
 * from the top of the model to the embeddings.
 */
export interface ActivationGrads {
  dlogits: F32; // [B, T, V]
  dlnf: F32; // [B, T, C]
  dresidual: F32; // [B, T, C]
  dfchGelu: F32; // [B, T, 4C]
  dfch: F32; // [B, T, 4C]
  dln2: F32; // [B, T, C]
  datty: F32; // [B, T, C]
  dqkv: F32; // [B, T, 3C]
  dln1: F32; // [B, T, C]
}

/** Options of {@link allocActivations}. */
export interface ActivationOptions {
  /**
   * The linear layers keep their own (bf16 or FP8) copies of their inputs for the backward pass, so the
   * f32 linear inputs (`ln1`, `atty`, `ln2`, `fchGelu`) need not outlive their block's forward pass:
   * one buffer of each serves every block. With FP8 linears this is where FP8-LM's activation saving
   * comes from: 7·B·T·C f32 values per block become 7·B·T·C one-byte codes. Default false.
   */
  readonly shareLinearInputs?: boolean;
}

/**
 * Allocates the activations of a forward pass (zero-filled). The linear outputs that only feed a
 * residual add (`attproj`, `fcproj`) are never read by the backward pass, so every block shares them.
 */
export function allocActivations(
  backend: Backend,
  config: GPTConfig,
  B: number,
  T: number,
  options: ActivationOptions = {},
): Activations {
  const { nEmbd: C, nHead: NH, nLayer: L, vocabSize: V } = config;
  const f = (shape: number[]) => backend.alloc('f32', shape);
  const shared = { attproj: f([B, T, C]), fcproj: f([B, T, C]) };
  const inputs = () => ({
    ln1: f([B, T, C]),
    atty: f([B, T, C]),
    ln2: f([B, T, C]),
    fchGelu: f([B, T, 4 * C]),
  });
  const sharedInputs = options.shareLinearInputs === true ? inputs() : undefined;
  const blocks: BlockActivations[] = [];
  for (let l = 0; l < L; l++) {
    blocks.push({
      ...(sharedInputs ?? inputs()),
      ...shared,
      ln1Mean: f([B, T]),
      ln1Rstd: f([B, T]),
      qkv: f([B, T, 3 * C]),
      att: f([B, NH, T, T]),
      residual2: f([B, T, C]),
      ln2Mean: f([B, T]),
      ln2Rstd: f([B, T]),
      fch: f([B, T, 4 * C]),
      residual3: f([B, T, C]),
    });
  }
  return {
    B,
    T,
    inputs: backend.alloc('i32', [B, T]),
    targets: backend.alloc('i32', [B, T]),
    encoded: f([B, T, C]),
    blocks,
    lnf: f([B, T, C]),
    lnfMean: f([B, T]),
    lnfRstd: f([B, T]),
    logits: f([B, T, V]),
    losses: f([B, T]),
    loss: f([1]),
  };
}

/** Allocates the activation gradients of a backward pass (zero-filled). */
export function allocActivationGrads(
  backend: Backend,
  config: GPTConfig,
  B: number,
  T: number,
): ActivationGrads {
  const { nEmbd: C, vocabSize: V } = config;
  const f = (shape: number[]) => backend.alloc('f32', shape);
  return {
    dlogits: f([B, T, V]),
    dlnf: f([B, T, C]),
    dresidual: f([B, T, C]),
    dfchGelu: f([B, T, 4 * C]),
    dfch: f([B, T, 4 * C]),
    dln2: f([B, T, C]),
    datty: f([B, T, C]),
    dqkv: f([B, T, 3 * C]),
    dln1: f([B, T, C]),
  };
}

/** Every device tensor of an activation set, each once (blocks share some), for dispose and sizes. */
export function activationTensors(a: Activations | ActivationGrads): DeviceTensor[] {
  const set = new Set<DeviceTensor>();
  for (const v of Object.values(a)) {
    if (Array.isArray(v))
      for (const block of v) for (const t of Object.values(block as BlockActivations)) set.add(t);
    else if (typeof v === 'object' && v !== null) set.add(v as DeviceTensor);
  }
  return [...set];
}

/**
 * Zeroes device tensors before a backward pass accumulates into them (backward ops add, llm.c's
 * `memset`): a copy from a cached all-zero tensor of the same element count.
 */
export class Zeroer {
  readonly #backend: Backend;
  readonly #zeros = new Map<number, F32>();

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  zero(t: F32): void {
    let z = this.#zeros.get(t.size);
    if (z === undefined) {
      z = this.#backend.alloc('f32', [t.size]);
      this.#zeros.set(t.size, z);
    }
    this.#backend.copy(z, t);
  }

  dispose(): void {
    for (const z of this.#zeros.values()) this.#backend.dispose(z);
    this.#zeros.clear();
  }
}
