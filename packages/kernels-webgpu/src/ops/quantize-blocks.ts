import { FORMATS, float32Exponent } from '@fp8lm/fp8-format';
import {
  type DeviceTensor,
  formatQuantizeBlocksArgs,
  type QuantizeBlocksOptions,
} from '@fp8lm/tensor-interface';
import { codecFor, type GpuContext, reads, writes } from '../context.js';
import { formatConstants } from '../format-constants.js';
import { Usage } from '../gpu-flags.js';
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
  const args = formatQuantizeBlocksArgs(asGpu, src, dst, scaleInv as DeviceTensor, options);
  const { src: s, dst: d, scaleInv: g, rows, cols, blockRows: br, blockCols: bc, mx } = args;
  const { gridRows: gr, gridCols: gc } = args;
  const fmt = FORMATS[args.dstDtype];
  const pow2 = !mx && args.scaleType === 'pow2';
  const blocks = gr * gc;
  // Per block: the multiplier's f32 bits and the E8M0 code (phase 1 → phase 2); lives until the submit.
  const scratch = ctx.transientBuffer(new ArrayBuffer(blocks * 8), Usage.STORAGE);
  const buffers = [...reads(s), ...writes(d, g, scratch)];
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
