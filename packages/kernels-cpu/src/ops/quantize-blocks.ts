import { E8M0, FORMATS, float32Exponent, quantize as quantizeHost } from '@fp8lm/fp8-format';
import { type DeviceTensor, formatShape, type QuantizeBlocksOptions } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';
import { scaleFromAmax } from './compute-scale.js';

/** Backend op: block quantization with f32 or E8M0 block scales (see FormatOps.quantizeBlocks). */
export function quantizeBlocks(
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<'e4m3' | 'e5m2'>,
  scaleInv: DeviceTensor<'f32'> | DeviceTensor<'e8m0'>,
  options: QuantizeBlocksOptions,
): void {
  const s = asCpu(src, 'src', ['f32']);
  const d = asCpu(dst, 'dst', ['e4m3', 'e5m2']);
  const g = asCpu(scaleInv as DeviceTensor<'f32' | 'e8m0'>, 'scaleInv', ['f32', 'e8m0']);
  if (s.shape.length !== 2) throw new RangeError(`src: expected a 2-D tensor, found ${formatShape(s.shape)}`);
  if (d.shape.join() !== s.shape.join())
    throw new RangeError(`dst: expected shape ${formatShape(s.shape)}, found ${formatShape(d.shape)}`);
  const { blockRows: br, blockCols: bc } = options;
  for (const [name, v] of Object.entries({ blockRows: br, blockCols: bc })) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`${name}: expected a positive integer, found ${v}`);
  }
  const scaleType = options.scaleType ?? 'f32';
  if (scaleType !== 'f32' && scaleType !== 'pow2')
    throw new RangeError(`scaleType: expected 'f32' or 'pow2', found ${JSON.stringify(scaleType)}`);
  const [rows, cols] = s.shape;
  const gr = Math.ceil(rows / br);
  const gc = Math.ceil(cols / bc);
  if (g.shape.length !== 2 || g.shape[0] !== gr || g.shape[1] !== gc) {
    throw new RangeError(
      `scaleInv: blocks of ${br}×${bc} over [${rows}, ${cols}] need shape [${gr}, ${gc}], found ${formatShape(g.shape)}`,
    );
  }
  const fmt = FORMATS[d.dtype];
  const x = s.data;
  const codes = d.data;
  const mx = g.dtype === 'e8m0';
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
          g.data[bi * gc + bj] = E8M0.nanCode as number;
          for (let i = r0; i < r1; i++) codes.fill(0, i * cols + c0, i * cols + c1);
          continue;
        }
        const e = amax === 0 ? -127 : Math.min(127, Math.max(-127, float32Exponent(amax) - emax));
        g.data[bi * gc + bj] = e + 127;
        scale = Math.fround(2 ** -e);
      } else {
        // An all-zero or non-finite block keeps scale 1.
        scale = scaleFromAmax(fmt.maxFinite, amax, 0, scaleType === 'pow2') ?? 1;
        g.data[bi * gc + bj] = 1 / scale;
      }
      for (let i = r0; i < r1; i++) {
        const a = i * cols + c0;
        const b = i * cols + c1;
        quantizeHost(fmt, x.subarray(a, b), codes.subarray(a, b), { scale });
      }
    }
  }
}
