import { E8M0, FORMATS, float32Exponent, quantize as quantizeHost } from '@fp8lm/fp8-format';
import {
  type DeviceTensor,
  formatQuantizeBlocksArgs,
  type QuantizeBlocksOptions,
} from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';
import { scaleFromAmax } from './compute-scale.js';

/** Backend op: block quantization with f32 or E8M0 block scales (see FormatOps.quantizeBlocks). */
export function quantizeBlocks(
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<'e4m3' | 'e5m2'>,
  scaleInv: DeviceTensor<'f32'> | DeviceTensor<'e8m0'>,
  options: QuantizeBlocksOptions,
): void {
  const args = formatQuantizeBlocksArgs(asCpu, src, dst, scaleInv as DeviceTensor, options);
  const { rows, cols, blockRows: br, blockCols: bc, gridRows: gr, gridCols: gc, mx, scaleType } = args;
  const fmt = FORMATS[args.dstDtype];
  const x = args.src.data as Float32Array;
  const codes = args.dst.data as Uint8Array;
  const g = args.scaleInv.data as Float32Array | Uint8Array;
  const emax = float32Exponent(fmt.maxFinite);
  for (let bi = 0; bi < gr; bi++) {
    const r0 = bi * br;
    const r1 = Math.min(r0 + br, rows);
    for (let bj = 0; bj < gc; bj++) {
      const c0 = bj * bc;
      const c1 = Math.min(c0 + bc, cols);
      let amax = 0;
      for (let i = r0; i < r1; i++)
        for (let j = i * cols + c0; j < i * cols + c1; j++) amax = Math.max(amax, Math.abs(x[j]));
      let scale: number;
      if (mx) {
        if (!Number.isFinite(amax)) {
          g[bi * gc + bj] = E8M0.nanCode as number;
          for (let i = r0; i < r1; i++) codes.fill(0, i * cols + c0, i * cols + c1);
          continue;
        }
        const e = amax === 0 ? -127 : Math.min(127, Math.max(-127, float32Exponent(amax) - emax));
        g[bi * gc + bj] = e + 127;
        scale = Math.fround(2 ** -e);
      } else {
        // An all-zero or non-finite block keeps scale 1.
        scale = scaleFromAmax(fmt.maxFinite, amax, 0, scaleType === 'pow2') ?? 1;
        g[bi * gc + bj] = 1 / scale;
      }
      for (let i = r0; i < r1; i++) {
        const a = i * cols + c0;
        const b = i * cols + c1;
        quantizeHost(fmt, x.subarray(a, b), codes.subarray(a, b), { scale });
      }
    }
  }
}
