import { dequantize } from '@fp8lm/fp8-format';
import type { CodeDType } from '@fp8lm/tensor-interface';

const tables = new Map<CodeDType, Float32Array>();

/**
 * Every stored code of a code dtype decoded by fp8-format (65536 entries for 16-bit dtypes, 256 for
 * byte formats), built once: the addon decodes through it, so it decodes exactly as the codec.
 */
export function decodeTable(dtype: CodeDType): Float32Array {
  let t = tables.get(dtype);
  if (t === undefined) {
    const wide = dtype === 'f16' || dtype === 'bf16';
    const size = wide ? 65536 : 256;
    const codes = wide ? new Uint16Array(size) : new Uint8Array(size);
    for (let i = 0; i < size; i++) codes[i] = i;
    t = new Float32Array(size);
    dequantize(dtype, codes, t);
    tables.set(dtype, t);
  }
  return t;
}
