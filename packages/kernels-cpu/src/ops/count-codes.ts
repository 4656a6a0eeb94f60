import { decode, FORMATS } from '@fp8lm/fp8-format';
import { type CodeDType, type DeviceTensor, formatCountCodesArgs } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';

/** Per code: 1 if it decodes to ±0, 2 if to ±maxFinite or ±infinity, 0 otherwise (NaN, the rest). */
const ZERO = 1;
const AT_MAX = 2;
const classes = new Map<CodeDType, Uint8Array>();

/** The class table of a code dtype, indexed by the stored element (shared with the native fast path). */
export function classesOf(dtype: CodeDType): Uint8Array {
  let table = classes.get(dtype);
  if (table === undefined) {
    const fmt = FORMATS[dtype];
    // Indexed by the stored element: codes past a sub-byte format's width stay 0 (they decode to NaN).
    table = new Uint8Array(fmt.storage === 'Uint16Array' ? 65536 : 256);
    for (let code = 0; code < 1 << fmt.bits; code++) {
      const mag = Math.abs(decode(fmt, code));
      table[code] = mag === 0 ? ZERO : mag === fmt.maxFinite || mag === Number.POSITIVE_INFINITY ? AT_MAX : 0;
    }
    classes.set(dtype, table);
  }
  return table;
}

/**
 * Backend op: `out[index]` = codes of `src` that decode to ±0, `out[index + 1]` = codes at ±maxFinite or
 * ±infinity (NaN codes in neither).
 */
export function countCodes(src: DeviceTensor<CodeDType>, out: DeviceTensor<'i32'>, index = 0): void {
  const { src: s, srcDtype, out: o } = formatCountCodesArgs(asCpu, src, out, index);
  const table = classesOf(srcDtype);
  const codes = s.data as Uint8Array | Uint16Array;
  let zeros = 0;
  let saturated = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = table[codes[i]];
    zeros += c & ZERO;
    saturated += c >> 1;
  }
  o.data[index] = zeros;
  o.data[index + 1] = saturated;
}
