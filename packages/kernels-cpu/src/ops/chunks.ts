import { dequantize, E4M3, quantize } from '@fp8lm/fp8-format';
import type { CodeDType } from '@fp8lm/tensor-interface';
import type { CpuTensor } from '../cpu-tensor.js';

/** Elements processed per chunk by the streaming ops: bounded scratch memory for any tensor size. */
export const CHUNK = 1 << 15;

/** Decodes `t[start, start+len)` into `dst[0, len)` as f32 times `scaleInv`. */
export function loadChunk(
  t: CpuTensor,
  start: number,
  len: number,
  scaleInv: number,
  dst: Float32Array,
): void {
  const out = dst.subarray(0, len);
  if (t.dtype === 'f32') {
    const src = (t.data as Float32Array).subarray(start, start + len);
    if (scaleInv === 1) out.set(src);
    else for (let i = 0; i < len; i++) out[i] = src[i] * scaleInv;
    return;
  }
  const codes = (t.data as Uint8Array | Uint16Array).subarray(start, start + len);
  dequantize(t.dtype as CodeDType, codes, out, { scaleInv });
}

/** Encodes `src[0, len)` times `scale` into `t[start, start+len)` (saturating, nearest-even). */
export function storeChunk(t: CpuTensor, start: number, len: number, scale: number, src: Float32Array): void {
  const values = src.subarray(0, len);
  if (t.dtype === 'f32') {
    const dst = (t.data as Float32Array).subarray(start, start + len);
    if (scale === 1) dst.set(values);
    else for (let i = 0; i < len; i++) dst[i] = values[i] * scale;
    return;
  }
  const codes = (t.data as Uint8Array | Uint16Array).subarray(start, start + len);
  quantize(t.dtype as CodeDType, values, codes, { scale });
}

/** E4M3's normal range, maxFinite / minNormal: the range grouped moments expand into. */
export const E4M3_NORMAL_RANGE = E4M3.maxFinite / E4M3.minNormal;
