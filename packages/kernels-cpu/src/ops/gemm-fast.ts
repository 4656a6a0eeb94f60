import { decodeTable } from '@fp8lm/fp8-format';
import type { DeviceTensor, GemmInputDType, GemmOptions, GemmOutputDType } from '@fp8lm/tensor-interface';
import { castFast } from '../fast/elementwise.js';
import { requireNative, SRC_BF16, SRC_F32, SRC_TABLE8, SRC_TABLE16 } from '../fast/native.js';
import { type FinishOps, finishGemm, type GemmOperand, planGemm } from './gemm-args.js';

function kindOf(x: GemmOperand): [number, Float32Array | null] {
  switch (x.dtype) {
    case 'f32':
      return [SRC_F32, null];
    case 'bf16':
      return [SRC_BF16, null];
    case 'f16':
      return [SRC_TABLE16, decodeTable('f16')];
    default:
      return [SRC_TABLE8, decodeTable(x.dtype)];
  }
}

let scratch = new Float32Array(0);

/** The amax and the FP8 cast of the result in the addon (bit-exact with the codec's). */
const FAST_FINISH: FinishOps = {
  amax: (r) => requireNative().amaxF32(r),
  cast: (dtype, r, codes, scale, saturate) => castFast(dtype, r, codes, scale, saturate),
};

/**
 * Backend op (fast path): the same contract as the reference `gemm`, run by the native addon. FP8,
 * f16 and bf16 codes are decoded while the operands are packed into the micro-kernel's panels (block
 * scales multiplied in there too); per-tensor scales fold into alpha; f32 FMA accumulation, blocked
 * over K in 256-deep slices; both cores. An FP8 C goes through an f32 scratch and the addon's cast.
 */
export function gemmFast(
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  options?: GemmOptions,
): void {
  const plan = planGemm(a, b, c, options);
  const native = requireNative();
  const { m, n, k } = plan;
  let r: Float32Array;
  if (plan.c.dtype === 'f32') {
    r = plan.c.data as Float32Array;
  } else {
    if (scratch.length < m * n) scratch = new Float32Array(m * n);
    r = scratch.subarray(0, m * n);
  }
  const [aKind, aTable] = kindOf(plan.a);
  const [bKind, bTable] = kindOf(plan.b);
  const ab = plan.a.blocks;
  const bb = plan.b.blocks;
  native.gemm(
    plan.a.data,
    aKind,
    aTable,
    plan.a.trans,
    ab?.scaleInv ?? null,
    ab?.blockRows ?? 1,
    ab?.blockCols ?? 1,
    plan.b.data,
    bKind,
    bTable,
    plan.b.trans,
    bb?.scaleInv ?? null,
    bb?.blockRows ?? 1,
    bb?.blockCols ?? 1,
    r,
    m,
    n,
    k,
    plan.alpha * plan.a.scaleInv * plan.b.scaleInv,
    plan.beta,
    plan.bias ?? null,
  );
  finishGemm(plan, r, FAST_FINISH);
}
