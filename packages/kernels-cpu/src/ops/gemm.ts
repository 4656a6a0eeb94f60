import { dequantize as dequantizeHost } from '@fp8lm/fp8-format';
import type { DeviceTensor, GemmInputDType, GemmOptions, GemmOutputDType } from '@fp8lm/tensor-interface';
import { finishGemm, type GemmOperand, type GemmPlan, planGemm } from './gemm-args.js';

/**
 * op(X) as a row-major f64 matrix of `outer × k` values, every value `decode(code) · blockScaleInv ·
 * scaleInv` (the decoded code and the block scale are float32 values, so their product is exact in f64).
 * `outer` is M for A (op(A) is [M, K]) and N for B (op(B)ᵀ is [N, K]), so both are read along K.
 */
export function decodeOperand(x: GemmOperand, alongRows: boolean): Float64Array {
  const { rows, cols, blocks } = x;
  const stored = new Float32Array(rows * cols);
  if (x.dtype === 'f32') stored.set(x.data as Float32Array);
  else dequantizeHost(x.dtype, x.data as Uint8Array | Uint16Array, stored);
  const out = new Float64Array(rows * cols);
  // Stored element (r, c) goes to out[r * cols + c] if op(X) runs along stored rows, else out[c * rows + r].
  for (let r = 0; r < rows; r++) {
    const blockRow = blocks === undefined ? 0 : Math.floor(r / blocks.blockRows) * blocks.gridCols;
    for (let c = 0; c < cols; c++) {
      let v = stored[r * cols + c] * x.scaleInv;
      if (blocks !== undefined) v *= blocks.scaleInv[blockRow + Math.floor(c / blocks.blockCols)];
      out[alongRows ? r * cols + c : c * rows + r] = v;
    }
  }
  return out;
}

/** The reference GEMM on a checked plan: f64 dot products, one rounding to f32 at the end. */
export function gemmReference(plan: GemmPlan): void {
  const { m, n, k, alpha, beta, bias } = plan;
  const a = decodeOperand(plan.a, !plan.a.trans); // [m, k]
  const b = decodeOperand(plan.b, plan.b.trans); // [n, k]
  const fp8Out = plan.c.dtype !== 'f32';
  const old = fp8Out ? undefined : (plan.c.data as Float32Array);
  const r = fp8Out ? new Float32Array(m * n) : (plan.c.data as Float32Array);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[ai + p] * b[bj + p];
      let v = alpha * acc;
      // beta = 0 never reads C, so a NaN left in it does not propagate (BLAS convention).
      if (beta !== 0 && old !== undefined) v += beta * old[i * n + j];
      if (bias !== undefined) v += bias[j];
      r[i * n + j] = v;
    }
  }
  finishGemm(plan, r);
}

/**
 * Backend op (reference): `C = alpha · op(A) · op(B) + beta · C + bias`, inputs decoded exactly with
 * their per-tensor and block scales, accumulated in f64 (more accurate than the f32 the contract asks
 * for), rounded once to f32; an FP8 C is quantized with `outScale`, the amax of the f32 result fused in.
 */
export function gemm(
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  options?: GemmOptions,
): void {
  gemmReference(planGemm(a, b, c, options));
}
