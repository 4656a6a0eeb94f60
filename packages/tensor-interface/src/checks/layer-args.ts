import type { DeviceTensor, ScaleArg } from '../backend.js';
import type { CrossEntropyOptions, LayernormOptions, LossSumOptions } from '../ops/layer-ops.js';
import { formatShape, type Shape, shapesEqual } from '../shape.js';
import { checkIndex, type OwnTensor } from './tensor-args.js';

// The argument checks of the `LayerOps` ops, in the order and with the messages of the reference
// backend: each tensor is checked by the backend (`own`) where it always was, then its shape here.
// A backend adds only what it alone needs afterwards (host token ids, buffer aliasing).

/**
 * A backend's tensor checks for the layer ops, one per dtype they take (see {@link OwnTensor}), so
 * that a backend gets its f32 and i32 tensors back as their own typed classes.
 */
export interface LayerOwners<F extends DeviceTensor<'f32'>, I extends DeviceTensor<'i32'>>
  extends LayerOwnerF32<F> {
  readonly i32: OwnTensor<I>;
}

/** The f32 half of {@link LayerOwners}, all that the ops without integer inputs need. */
export interface LayerOwnerF32<F extends DeviceTensor<'f32'>> {
  readonly f32: OwnTensor<F>;
}

const F32 = ['f32'] as const;
const I32 = ['i32'] as const;

/** GPT-2's LayerNorm epsilon, the default of `LayernormOptions.eps`. */
export const LAYERNORM_DEFAULT_EPS = 1e-5;

/** The extents of `t`, which must have one per name in `names` (e.g. `['B', 'T']`); a RangeError otherwise. */
function dims(t: DeviceTensor, argument: string, names: readonly string[]): number[] {
  if (t.shape.length !== names.length) {
    throw new RangeError(`${argument}: expected shape [${names.join(', ')}], found ${formatShape(t.shape)}`);
  }
  return [...t.shape];
}

/** The last extent of `t` (C of `[..., C]`); a RangeError for a scalar. */
function lastDim(t: DeviceTensor, argument: string): number {
  if (t.shape.length === 0) throw new RangeError(`${argument}: expected shape [..., C], found []`);
  return t.shape[t.shape.length - 1];
}

/** Throws a RangeError unless `t` has exactly the shape `expected`; `meaning` spells it out, e.g. `"[B, T, C]"`. */
function expectShape(t: DeviceTensor, argument: string, expected: Shape, meaning: string): void {
  if (!shapesEqual(t.shape, expected)) {
    throw new RangeError(
      `${argument}: expected shape ${meaning} = ${formatShape(expected)}, found ${formatShape(t.shape)}`,
    );
  }
}

/**
 * Throws a RangeError if a host scale is not finite. A tensor scale is the backend's to check: its
 * value is on the device (or, on the CPU, read after its own tensor check).
 */
export function layerFiniteScale(arg: ScaleArg | undefined, argument: string): void {
  if (typeof arg === 'number' && !Number.isFinite(arg)) {
    throw new RangeError(`${argument}: expected a finite number, found ${arg}`);
  }
}

/** `embeddingForward` / `embeddingBackward` after the contract-level checks. */
export interface EmbeddingArgs<F extends DeviceTensor<'f32'>, I extends DeviceTensor<'i32'>> {
  /** tokens `[B, T]`. */
  readonly tok: I;
  /** wte (forward) or dwte (backward), `[V, C]`. */
  readonly e: F;
  /** wpe or dwpe, `[maxT ≥ T, C]`. */
  readonly p: F;
  /** out (forward) or dout (backward), `[B, T, C]`. */
  readonly a: F;
  readonly B: number;
  readonly T: number;
  readonly C: number;
  readonly V: number;
}

/**
 * Checks tokens `[B, T]`, a `[V, C]` table, a `[maxT ≥ T, C]` table and an activation `[B, T, C]`. C is
 * read from the table in the forward pass (`out` must fit the parameters) and from the activation in
 * the backward pass (the gradients must fit `dout`), so the error names the tensor that is off.
 * Token values are not checked here: on a GPU they are device data.
 */
export function embeddingArgs<F extends DeviceTensor<'f32'>, I extends DeviceTensor<'i32'>>(
  own: LayerOwners<F, I>,
  tokens: DeviceTensor<'i32'>,
  table: DeviceTensor<'f32'>,
  positions: DeviceTensor<'f32'>,
  act: DeviceTensor<'f32'>,
  pass: 'forward' | 'backward',
): EmbeddingArgs<F, I> {
  const [eName, pName, aName] = pass === 'forward' ? ['wte', 'wpe', 'out'] : ['dwte', 'dwpe', 'dout'];
  const tok = own.i32(tokens, 'tokens', I32);
  const [e, p, a] = [own.f32(table, eName, F32), own.f32(positions, pName, F32), own.f32(act, aName, F32)];
  const [B, T] = dims(tok, 'tokens', ['B', 'T']);
  const V = dims(e, eName, ['V', 'C'])[0];
  const C = pass === 'forward' ? e.shape[1] : dims(a, aName, ['B', 'T', 'C'])[2];
  expectShape(e, eName, [V, C], '[V, C]');
  const [maxT] = dims(p, pName, ['maxT', 'C']);
  if (maxT < T) {
    throw new RangeError(
      `${pName}: expected at least T = ${T} rows of C = ${C}, found ${formatShape(p.shape)}`,
    );
  }
  expectShape(p, pName, [maxT, C], '[maxT, C]');
  expectShape(a, aName, [B, T, C], '[B, T, C]');
  return { tok, e, p, a, B, T, C, V };
}

/** C and the number of rows of `x [..., C]` after checking `weight [C]` (the first check of both passes). */
function layernormRows(x: DeviceTensor, weight: DeviceTensor) {
  const C = lastDim(x, 'x');
  expectShape(weight, 'weight', [C], '[C]');
  return { C, rowShape: x.shape.slice(0, -1), rows: C === 0 ? 0 : x.size / C };
}

/**
 * Checks the arguments of `layernormForward`: `x [..., C]`, `weight` and `bias` `[C]`, `out` like x,
 * `mean` and `rstd` like x without its last dimension, and `eps` (finite, ≥ 0; default 1e-5).
 */
export function layernormForwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  x: DeviceTensor<'f32'>,
  weight: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  mean: DeviceTensor<'f32'>,
  rstd: DeviceTensor<'f32'>,
  options: LayernormOptions,
) {
  const X = own.f32(x, 'x', F32);
  const W = own.f32(weight, 'weight', F32);
  const Bi = own.f32(bias, 'bias', F32);
  const O = own.f32(out, 'out', F32);
  const M = own.f32(mean, 'mean', F32);
  const R = own.f32(rstd, 'rstd', F32);
  const { C, rowShape, rows } = layernormRows(X, W);
  expectShape(Bi, 'bias', [C], '[C]');
  expectShape(O, 'out', X.shape, 'the shape of x');
  expectShape(M, 'mean', rowShape, 'x without its last dimension');
  expectShape(R, 'rstd', rowShape, 'x without its last dimension');
  const eps = options.eps ?? LAYERNORM_DEFAULT_EPS;
  if (!Number.isFinite(eps) || eps < 0)
    throw new RangeError(`eps: expected a finite number ≥ 0, found ${eps}`);
  return { X, W, Bi, O, M, R, C, rows, eps };
}

/**
 * Checks the arguments of `layernormBackward`: `dout`, `x`, `dx` `[..., C]` alike, `weight`,
 * `dweight`, `dbias` `[C]`, `mean` and `rstd` like x without its last dimension.
 */
export function layernormBackwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  weight: DeviceTensor<'f32'>,
  mean: DeviceTensor<'f32'>,
  rstd: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
  dweight: DeviceTensor<'f32'>,
  dbias: DeviceTensor<'f32'>,
) {
  const D = own.f32(dout, 'dout', F32);
  const X = own.f32(x, 'x', F32);
  const W = own.f32(weight, 'weight', F32);
  const M = own.f32(mean, 'mean', F32);
  const R = own.f32(rstd, 'rstd', F32);
  const DX = own.f32(dx, 'dx', F32);
  const DW = own.f32(dweight, 'dweight', F32);
  const DB = own.f32(dbias, 'dbias', F32);
  const { C, rowShape, rows } = layernormRows(X, W);
  expectShape(D, 'dout', X.shape, 'the shape of x');
  expectShape(M, 'mean', rowShape, 'x without its last dimension');
  expectShape(R, 'rstd', rowShape, 'x without its last dimension');
  expectShape(DX, 'dx', X.shape, 'the shape of x');
  expectShape(DW, 'dweight', [C], '[C]');
  expectShape(DB, 'dbias', [C], '[C]');
  return { D, X, W, M, R, DX, DW, DB, C, rows };
}

/** Checks the arguments of `geluForward`: `out` has the shape of `x` (it may be `x`). */
export function geluForwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  x: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
) {
  const X = own.f32(x, 'x', F32);
  const O = own.f32(out, 'out', F32);
  expectShape(O, 'out', X.shape, 'the shape of x');
  return { X, O };
}

/** Checks the arguments of `geluBackward`: `dout` and `dx` have the shape of `x`. */
export function geluBackwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
) {
  const D = own.f32(dout, 'dout', F32);
  const X = own.f32(x, 'x', F32);
  const DX = own.f32(dx, 'dx', F32);
  expectShape(D, 'dout', X.shape, 'the shape of x');
  expectShape(DX, 'dx', X.shape, 'the shape of x');
  return { D, X, DX };
}

/** Checks `qkv [B, T, 3C]`, `numHeads` (a positive integer dividing C) and `att [B, NH, T, T]`. */
function attentionArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  qkv: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  numHeads: number,
) {
  const QKV = own.f32(qkv, 'qkv', F32);
  const A = own.f32(att, 'att', F32);
  const [B, T, C3] = dims(QKV, 'qkv', ['B', 'T', '3C']);
  if (C3 % 3 !== 0) throw new RangeError(`qkv: expected shape [B, T, 3C], found [${QKV.shape.join(', ')}]`);
  const C = C3 / 3;
  if (!Number.isInteger(numHeads) || numHeads <= 0 || C % numHeads !== 0) {
    throw new RangeError(`numHeads: expected a positive integer that divides C = ${C}, found ${numHeads}`);
  }
  expectShape(A, 'att', [B, numHeads, T, T], '[B, NH, T, T]');
  return { QKV, A, B, T, C, NH: numHeads, hs: C / numHeads };
}

/**
 * Checks the arguments of `attentionForward`: `qkv [B, T, 3C]`, `numHeads` dividing C,
 * `att [B, NH, T, T]`, `out [B, T, C]`; returns them with the sizes and the head size `hs`.
 */
export function attentionForwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  qkv: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  numHeads: number,
) {
  const args = attentionArgs(own, qkv, att, numHeads);
  const O = own.f32(out, 'out', F32);
  expectShape(O, 'out', [args.B, args.T, args.C], '[B, T, C]');
  return { ...args, O };
}

/**
 * Checks the arguments of `attentionBackward`: those of the forward pass, `dout [B, T, C]` and
 * `dqkv` shaped like `qkv`.
 */
export function attentionBackwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  dout: DeviceTensor<'f32'>,
  qkv: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  dqkv: DeviceTensor<'f32'>,
  numHeads: number,
) {
  const args = attentionArgs(own, qkv, att, numHeads);
  const D = own.f32(dout, 'dout', F32);
  const DQKV = own.f32(dqkv, 'dqkv', F32);
  expectShape(D, 'dout', [args.B, args.T, args.C], '[B, T, C]');
  expectShape(DQKV, 'dqkv', args.QKV.shape, '[B, T, 3C]');
  return { ...args, D, DQKV };
}

/**
 * Checks logits `[B, T, V]`, targets `[B, T]` and `ignoreIndex` (an integer if given), the part the
 * cross-entropy ops share. The target values are not checked here (on a GPU they are device data);
 * the output comes next, through {@link crossEntropyOutArg}.
 */
export function crossEntropyArgs<F extends DeviceTensor<'f32'>, I extends DeviceTensor<'i32'>>(
  own: LayerOwners<F, I>,
  logits: DeviceTensor<'f32'>,
  targets: DeviceTensor<'i32'>,
  options: CrossEntropyOptions,
) {
  const L = own.f32(logits, 'logits', F32);
  const Y = own.i32(targets, 'targets', I32);
  const [B, T, V] = dims(L, 'logits', ['B', 'T', 'V']);
  expectShape(Y, 'targets', [B, T], '[B, T]');
  const ignore = options.ignoreIndex;
  if (ignore !== undefined && !Number.isInteger(ignore)) {
    throw new RangeError(`ignoreIndex: expected an integer, found ${ignore}`);
  }
  return { L, Y, B, T, V, ignore };
}

/** Checks the output of a cross-entropy op: `losses [B, T]` (forward) or `dlogits [B, T, V]` (backward). */
export function crossEntropyOutArg<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  value: DeviceTensor<'f32'>,
  argument: 'losses' | 'dlogits',
  { B, T, V }: { B: number; T: number; V: number },
): F {
  const out = own.f32(value, argument, F32);
  if (argument === 'losses') expectShape(out, argument, [B, T], '[B, T]');
  else expectShape(out, argument, [B, T, V], '[B, T, V]');
  return out;
}

/** Checks the arguments of `lossSum`: `index` (default 0) is an element of `out`, a host `scale` is finite. */
export function lossSumArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  losses: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  options: LossSumOptions,
) {
  const L = own.f32(losses, 'losses', F32);
  const O = own.f32(out, 'out', F32);
  const index = options.index ?? 0;
  checkIndex(index, O.size, 'index');
  layerFiniteScale(options.scale, 'scale');
  return { L, O, index };
}

/** Checks the arguments of `residualForward`: `b` and `out` have the shape of `a`. */
export function residualForwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  a: DeviceTensor<'f32'>,
  b: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
) {
  const A = own.f32(a, 'a', F32);
  const Bt = own.f32(b, 'b', F32);
  const O = own.f32(out, 'out', F32);
  expectShape(Bt, 'b', A.shape, 'the shape of a');
  expectShape(O, 'out', A.shape, 'the shape of a');
  return { A, Bt, O };
}

/** Checks the arguments of `residualBackward`: `da` and `db` have the shape of `dout`. */
export function residualBackwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  dout: DeviceTensor<'f32'>,
  da: DeviceTensor<'f32'>,
  db: DeviceTensor<'f32'>,
) {
  const D = own.f32(dout, 'dout', F32);
  const DA = own.f32(da, 'da', F32);
  const DB = own.f32(db, 'db', F32);
  expectShape(DA, 'da', D.shape, 'the shape of dout');
  expectShape(DB, 'db', D.shape, 'the shape of dout');
  return { D, DA, DB };
}

/** Checks the arguments of `biasAdd`: `x [..., C]`, `bias [C]`, `out` shaped like x (it may be x). */
export function biasAddArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  x: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
) {
  const X = own.f32(x, 'x', F32);
  const Bi = own.f32(bias, 'bias', F32);
  const O = own.f32(out, 'out', F32);
  const C = lastDim(X, 'x');
  expectShape(Bi, 'bias', [C], '[C]');
  expectShape(O, 'out', X.shape, 'the shape of x');
  return { X, Bi, O, C };
}

/** Checks the arguments of `biasBackward`: `dout [..., C]`, `dbias [C]`; returns the row count too. */
export function biasBackwardArgs<F extends DeviceTensor<'f32'>>(
  own: LayerOwnerF32<F>,
  dout: DeviceTensor<'f32'>,
  dbias: DeviceTensor<'f32'>,
) {
  const D = own.f32(dout, 'dout', F32);
  const DB = own.f32(dbias, 'dbias', F32);
  const C = lastDim(D, 'dout');
  expectShape(DB, 'dbias', [C], '[C]');
  return { D, DB, C, rows: C === 0 ? 0 : D.size / C };
}
