import { FORMATS } from '@fp8lm/fp8-format';
import {
  CODE_DTYPES,
  type CodeDType,
  type DequantizeOptions,
  type DeviceTensor,
} from '@fp8lm/tensor-interface';
import { codecFor, type GpuContext } from '../context.js';
import { formatConstants } from '../format-constants.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu, assertSameSize } from '../webgpu-tensor.js';
import { dequantizeWgsl, exactF32Wgsl } from '../wgsl.generated.js';
import { checkScaleArg } from './format-args.js';

const layout = uniformLayout({ n: 'u32' });

/** `dequantize`: `dst[i] = fround(decode(src[i]) · scaleInv)` for every code format, bit-exact. */
export function dequantize(
  ctx: GpuContext,
  src: DeviceTensor<CodeDType>,
  dst: DeviceTensor<'f32'>,
  options: DequantizeOptions = {},
): void {
  const s = asGpu(src, 'src', CODE_DTYPES);
  const d = asGpu(dst, 'dst', ['f32']);
  assertSameSize(s, d, 'src, dst');
  checkScaleArg(options.scaleInv, 'scaleInv');
  const fmt = FORMATS[s.dtype];
  const scalars = ctx.scalars([options.scaleInv], ['scaleInv']);
  ctx.dispatch({
    key: `dequantize/${fmt.name}`,
    code: () =>
      [
        `const PER_WORD: u32 = ${fmt.bits > 8 ? 2 : 4}u;`,
        exactF32Wgsl,
        codecFor(formatConstants(fmt.name)),
        dequantizeWgsl,
      ].join('\n'),
    uniforms: layout,
    values: { n: s.size },
    buffers: [
      { buffer: s.buffer, access: 'read' },
      { buffer: d.buffer, access: 'read_write' },
      { buffer: scalars, access: 'read' },
    ],
    workgroups: ctx.grid1d(s.size, 256),
  });
}
