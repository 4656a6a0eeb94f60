import { FORMATS } from '@fp8lm/fp8-format';
import type { AccumulateChunkOptions, ChunkDType, DeviceTensor } from '@fp8lm/tensor-interface';
import { codecFor, type GpuContext } from '../context.js';
import { formatConstants } from '../format-constants.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu, assertSameSize } from '../webgpu-tensor.js';
import { accumulateChunkWgsl, exactF32Wgsl } from '../wgsl.generated.js';

const CHUNK_DTYPES: readonly ChunkDType[] = ['f32', 'f16', 'bf16', 'e4m3', 'e5m2'];
const layout = uniformLayout({ n: 'u32' });

/** The element decoder of a shader: the format's codec, or the identity on f32 bits. */
export function decoderFor(dtype: ChunkDType | Exclude<DeviceTensor['dtype'], 'i32'>): string {
  if (dtype === 'f32') return 'fn decode_code_bits(code: u32) -> u32 {\n  return code;\n}\n';
  return codecFor(formatConstants(dtype));
}

/** Elements per u32 word of a tensor of `dtype` (f32: 1, f16/bf16: 2, byte codes: 4). */
export function perWord(dtype: Exclude<DeviceTensor['dtype'], 'i32'>): number {
  if (dtype === 'f32') return 1;
  return FORMATS[dtype].bits > 8 ? 2 : 4;
}

/**
 * `accumulateChunk`: `acc[i] = fround(acc[i] + fround(decode(chunk[i]) · scaleInv))`, bit-exact with
 * kernels-cpu (the f32 accumulation of a received all-reduce chunk).
 */
export function accumulateChunk(
  ctx: GpuContext,
  chunk: DeviceTensor<ChunkDType>,
  acc: DeviceTensor<'f32'>,
  options: AccumulateChunkOptions = {},
): void {
  const c = asGpu(chunk, 'chunk', CHUNK_DTYPES);
  const a = asGpu(acc, 'acc', ['f32']);
  assertSameSize(c, a, 'chunk, acc');
  if (c.storage === a.storage) throw new RangeError('chunk, acc: must not share storage');
  const scalars = ctx.scalars([options.scaleInv], ['scaleInv']);
  ctx.dispatch({
    key: `accumulate-chunk/${c.dtype}`,
    code: () =>
      [
        `const PER_WORD: u32 = ${perWord(c.dtype)}u;`,
        exactF32Wgsl,
        decoderFor(c.dtype),
        accumulateChunkWgsl,
      ].join('\n'),
    uniforms: layout,
    values: { n: c.size },
    buffers: [
      { buffer: c.buffer, access: 'read' },
      { buffer: a.buffer, access: 'read_write' },
      { buffer: scalars, access: 'read' },
    ],
    workgroups: ctx.grid1d(c.size, 256),
  });
}
