import { FORMATS, float32Exponent } from '@fp8lm/fp8-format';
import { type DeviceTensor, formatShape, type QuantizeBlocksOptions } from '@fp8lm/tensor-interface';
import { codecFor, type GpuContext } from '../context.js';
import { formatConstants } from '../format-constants.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { exactF32Wgsl, quantizeBlocksWgsl } from '../wgsl.generated.js';
import { f32Bits } from './format-args.js';

const layout = uniformLayout({
  rows: 'u32',
  cols: 'u32',
  block_rows: 'u32',
  block_cols: 'u32',
  grid_rows: 'u32',
  grid_cols: 'u32',
});

const STORAGE = 0x80;

/**
 * `quantizeBlocks`: block quantization of a 2-D f32 tensor with one scale per `blockRows × blockCols`
 * block: f32 `scaleInv` (`scale = fpMax / blockAmax` as computeScale, `'pow2'` rounds it down to a
 * power of two) or E8M0 scales (OCP MX, 'floor' rule), bit-exact with kernels-cpu. Two dispatches:
 * block scales (one workgroup per block), then codes (one thread per word of four codes).
 */
export function quantizeBlocks(
  ctx: GpuContext,
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<'e4m3' | 'e5m2'>,
  scaleInv: DeviceTensor<'f32'> | DeviceTensor<'e8m0'>,
  options: QuantizeBlocksOptions,
): void {
  const s = asGpu(src, 'src', ['f32']);
  const d = asGpu(dst, 'dst', ['e4m3', 'e5m2']);
  const g = asGpu(scaleInv as DeviceTensor<'f32' | 'e8m0'>, 'scaleInv', ['f32', 'e8m0']);
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
  const mx = g.dtype === 'e8m0';
  const pow2 = !mx && scaleType === 'pow2';
  const blocks = gr * gc;
  // Per block: the multiplier's f32 bits and the E8M0 code (phase 1 → phase 2); lives until the submit.
  const scratch = ctx.transientBuffer(new ArrayBuffer(blocks * 8), STORAGE);
  const buffers = [
    { buffer: s.buffer, access: 'read' as const },
    { buffer: d.buffer, access: 'read_write' as const },
    { buffer: g.buffer, access: 'read_write' as const },
    { buffer: scratch, access: 'read_write' as const },
  ];
  const values = {
    rows,
    cols,
    // Clamped to the matrix (the same blocks), so row and column sums stay within u32.
    block_rows: Math.max(1, Math.min(br, rows)),
    block_cols: Math.max(1, Math.min(bc, cols)),
    grid_rows: gr,
    grid_cols: gc,
  };
  const variant = mx ? 'mx' : pow2 ? 'pow2' : 'f32';
  const code = (phase: number) => () =>
    [
      `const PHASE: u32 = ${phase}u;`,
      `const MX: bool = ${mx};`,
      `const POW2: bool = ${pow2};`,
      `const FMT_EMAX: i32 = ${float32Exponent(fmt.maxFinite)};`,
      `const FPMAX_BITS: u32 = ${f32Bits(fmt.maxFinite)}u;`,
      exactF32Wgsl,
      codecFor(formatConstants(fmt.name)),
      quantizeBlocksWgsl,
    ].join('\n');
  ctx.dispatch({
    key: `quantizeBlocks/${fmt.name}/${variant}/scales`,
    code: code(1),
    uniforms: layout,
    values,
    buffers,
    workgroups: ctx.grid1d(blocks, 1),
  });
  const words = Math.max(Math.ceil(s.size / 4), mx ? Math.ceil(blocks / 4) : 0);
  ctx.dispatch({
    key: `quantizeBlocks/${fmt.name}/${variant}/codes`,
    code: code(2),
    uniforms: layout,
    values,
    buffers,
    workgroups: ctx.grid1d(words, 128),
  });
}
