import type { DeviceTensor, GemmInputDType, GemmOptions, GemmOutputDType } from '@fp8lm/tensor-interface';
import { type BufferBinding, type GpuContext, reads, writes } from '../context.js';
import { uniformLayout } from '../uniforms.js';
import { Storage, storageBytes, WebGpuTensor } from '../webgpu-tensor.js';
import { decodeF16Wgsl, gemmWgsl } from '../wgsl.generated.js';
import { type GemmOperand, type GemmPlan, planGemm } from './gemm-args.js';
import { quantize } from './quantize.js';

/**
 * Edge of the square tile of C one workgroup computes: 64 (16×16 threads × 4×4 outputs), or 32 (8×8
 * threads) when 64-tiles would give fewer than {@link SMALL_GRID} workgroups, which leaves most of a
 * GPU idle (a 256² C is 16 of them).
 */
type Tile = 64 | 32;
const SMALL_GRID = 64;

function tileFor(m: number, n: number): Tile {
  return Math.ceil(m / 64) * Math.ceil(n / 64) < SMALL_GRID ? 32 : 64;
}

const layout = uniformLayout({
  m: 'u32',
  n: 'u32',
  k: 'u32',
  a_rows: 'u32',
  a_cols: 'u32',
  b_rows: 'u32',
  b_cols: 'u32',
  a_block_rows: 'u32',
  a_block_cols: 'u32',
  a_grid_cols: 'u32',
  b_block_rows: 'u32',
  b_block_cols: 'u32',
  b_grid_cols: 'u32',
  alpha: 'f32',
  beta: 'f32',
  amax_index: 'u32',
});

/** gemm.wgsl split at its `//#section NAME` lines. */
const sections: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  const parts = gemmWgsl.split(/^\/\/#section (\w+)\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) map.set(parts[i], parts[i + 1]);
  return map;
})();

function section(name: string): string {
  const s = sections.get(name);
  if (s === undefined) throw new Error(`gemm.wgsl has no section ${name}`);
  return s;
}

/**
 * Bytes per stored element, the decoder gemm.wgsl has for it, and, for dtypes that have one, the
 * decode-f16.wgsl decoder of a whole word (4 codes, or 2 halves) used when the device has shader-f16.
 */
const INPUT: Record<GemmInputDType, { bytes: number; decode: string; f16Word?: string }> = {
  f32: { bytes: 4, decode: 'decode_f32' },
  f16: { bytes: 2, decode: 'decode_f16', f16Word: 'halves_f32' },
  bf16: { bytes: 2, decode: 'decode_bf16' },
  e4m3: { bytes: 1, decode: 'decode_e4m3', f16Word: 'decode4_e4m3' },
  e5m2: { bytes: 1, decode: 'decode_e5m2', f16Word: 'decode4_e5m2' },
};

/** What changes the shader text of one operand: dtype, layout, block-scale type. */
interface OperandVariant {
  readonly dtype: GemmInputDType;
  /** Stored `[outer, K]` (A untransposed, B transposed): K runs along stored rows. */
  readonly kContiguous: boolean;
  readonly blocks: 'none' | 'f32' | 'e8m0';
  /** Bound as `array<vec4<u32>>` (f32 whose buffer is whole 16-byte units), for 16-byte loads. */
  readonly vec4: boolean;
  /** Whole words decoded through shader-f16 (same values as the integer decoders). */
  readonly f16: boolean;
}

interface Variant {
  readonly tile: Tile;
  readonly a: OperandVariant;
  readonly b: OperandVariant;
  readonly bias: boolean;
  readonly amax: boolean;
}

function operandVariant(x: GemmOperand, which: 'a' | 'b', shaderF16: boolean): OperandVariant {
  return {
    dtype: x.dtype,
    kContiguous: which === 'a' ? !x.trans : x.trans,
    blocks: x.blocks === undefined ? 'none' : x.blocks.dtype,
    // A vec4 binding ends at the last whole 16 bytes, so only a buffer of whole 16-byte units takes it.
    vec4: x.dtype === 'f32' && x.tensor.storage.byteLength % 16 === 0,
    f16: shaderF16 && INPUT[x.dtype].f16Word !== undefined,
  };
}

function variantKey(v: Variant): string {
  const op = (x: OperandVariant) =>
    `${x.dtype}${x.vec4 ? '.v4' : ''}${x.f16 ? '.h' : ''}.${x.kContiguous ? 'k' : 'o'}.${x.blocks}`;
  return `gemm${v.tile}:${op(v.a)}:${op(v.b)}:${v.bias ? 'bias' : ''}:${v.amax ? 'amax' : ''}`;
}

/** The `opx` sections renamed for operand `x` ('a' or 'b'), with that operand's constants. */
function operandCode(x: 'a' | 'b', v: OperandVariant): string {
  const X = x.toUpperCase();
  const input = INPUT[v.dtype];
  const consts = [
    `const ${X}_BYTES: u32 = ${input.bytes}u;`,
    `const ${X}_K_CONTIGUOUS: bool = ${v.kContiguous};`,
    `const ${X}_BLOCKS: bool = ${v.blocks !== 'none'};`,
    `const ${X}_BLOCKS_E8M0: bool = ${v.blocks === 'e8m0'};`,
    `fn ${x}_decode(code: u32) -> f32 { return ${input.decode}(code); }`,
    // The four byte codes, or two halves, of word w.
    v.f16 && input.bytes === 1
      ? `fn ${x}_decode_quad(w: u32) -> vec4<f32> { return ${input.f16Word}(w); }`
      : `fn ${x}_decode_quad(w: u32) -> vec4<f32> { return vec4<f32>(${x}_decode(w & 0xffu), ${x}_decode((w >> 8u) & 0xffu), ${x}_decode((w >> 16u) & 0xffu), ${x}_decode(w >> 24u)); }`,
    v.f16 && input.bytes === 2
      ? `fn ${x}_decode_pair(w: u32) -> vec2<f32> { return ${input.f16Word}(w); }`
      : `fn ${x}_decode_pair(w: u32) -> vec2<f32> { return vec2<f32>(${x}_decode(w & 0xffffu), ${x}_decode(w >> 16u)); }`,
    // Word i, and the four words from 4q, of the operand's buffer.
    v.vec4
      ? `fn ${x}_word(i: u32) -> u32 { return ${x}_buf[i >> 2u][i & 3u]; }`
      : `fn ${x}_word(i: u32) -> u32 { return ${x}_buf[i]; }`,
    v.vec4
      ? `fn ${x}_quad(q: u32) -> vec4<u32> { return ${x}_buf[q]; }`
      : `fn ${x}_quad(q: u32) -> vec4<u32> { let i = q * 4u; return vec4<u32>(${x}_buf[i], ${x}_buf[i + 1u], ${x}_buf[i + 2u], ${x}_buf[i + 3u]); }`,
  ].join('\n');
  const body = section('operand') + section(v.blocks === 'none' ? 'no_blocks' : 'blocks');
  return `${consts}\n${body.replaceAll('opx', x).replaceAll('OPX', X)}`;
}

function usesF16(v: Variant): boolean {
  return v.a.f16 || v.b.f16;
}

/** The shader of one variant: bindings in the order {@link gemm} passes its buffers. */
function shaderCode(v: Variant): string {
  const bindings = [
    `var<storage, read> a_buf: array<${v.a.vec4 ? 'vec4<u32>' : 'u32'}>;`,
    `var<storage, read> b_buf: array<${v.b.vec4 ? 'vec4<u32>' : 'u32'}>;`,
    'var<storage, read_write> c_buf: array<f32>;',
    'var<storage, read> scalars: array<f32>;',
  ];
  if (v.bias) bindings.push('var<storage, read> bias: array<f32>;');
  if (v.a.blocks !== 'none') bindings.push('var<storage, read> a_blocks: array<u32>;');
  if (v.b.blocks !== 'none') bindings.push('var<storage, read> b_blocks: array<u32>;');
  if (v.amax) bindings.push('var<storage, read_write> amax_out: array<atomic<u32>>;');
  return [
    `const TILE: u32 = ${v.tile}u;`,
    `const TV: u32 = ${v.tile / 4}u;`,
    `const HAS_BIAS: bool = ${v.bias};`,
    ...bindings.map((b, i) => `@group(0) @binding(${i + 1}) ${b}`),
    section('decode'),
    usesF16(v) ? decodeF16Wgsl : '',
    operandCode('a', v.a),
    operandCode('b', v.b),
    section(v.bias ? 'bias' : 'no_bias'),
    section(v.amax ? 'amax' : 'no_amax'),
    section('main'),
  ].join('\n');
}

/**
 * Records the tiled GEMM of a checked plan into the f32 buffer `out` (C itself, or the temporary of
 * an FP8 C); `amax` fuses the amax of the written values into `plan.amaxOut`.
 */
function recordGemm(ctx: GpuContext, plan: GemmPlan, out: GPUBuffer, beta: number, amax: boolean): void {
  const { m, n, k, a, b } = plan;
  const variant: Variant = {
    tile: tileFor(m, n),
    a: operandVariant(a, 'a', ctx.shaderF16),
    b: operandVariant(b, 'b', ctx.shaderF16),
    bias: plan.bias !== undefined,
    amax,
  };
  const colTiles = Math.ceil(n / variant.tile);
  const rowTiles = Math.ceil(m / variant.tile);
  const maxGroups = ctx.maxWorkgroupsPerDimension;
  if (colTiles > maxGroups) {
    throw new RangeError(`c: ${n} columns exceed the ${maxGroups * variant.tile} one dispatch can cover`);
  }
  const scalars = ctx.scalars([a.scaleInv, b.scaleInv], ['aScaleInv', 'bScaleInv']);
  const buffers: BufferBinding[] = [...reads(a.tensor, b.tensor), ...writes(out), ...reads(scalars)];
  if (plan.bias !== undefined) buffers.push(...reads(plan.bias));
  if (a.blocks !== undefined) buffers.push(...reads(a.blocks.scaleInv));
  if (b.blocks !== undefined) buffers.push(...reads(b.blocks.scaleInv));
  if (amax && plan.amaxOut !== undefined) {
    // The shader only raises the slot (atomicMax over |x| bits), so it starts at 0: also the amax of
    // an empty C, for which nothing is dispatched.
    ctx.encoder.clearBuffer(plan.amaxOut.buffer, plan.amaxIndex * 4, 4);
    buffers.push(...writes(plan.amaxOut));
  }
  // Row tiles along y, the rest folded into z (the shader recovers the tile as y + z · ny).
  const y = Math.min(rowTiles, maxGroups);
  ctx.dispatch({
    key: variantKey(variant),
    code: () => shaderCode(variant),
    enableF16: usesF16(variant),
    uniforms: layout,
    values: {
      m,
      n,
      k,
      a_rows: a.rows,
      a_cols: a.cols,
      b_rows: b.rows,
      b_cols: b.cols,
      a_block_rows: a.blocks?.blockRows ?? 1,
      a_block_cols: a.blocks?.blockCols ?? 1,
      a_grid_cols: a.blocks?.gridCols ?? 1,
      b_block_rows: b.blocks?.blockRows ?? 1,
      b_block_cols: b.blocks?.blockCols ?? 1,
      b_grid_cols: b.blocks?.gridCols ?? 1,
      alpha: plan.alpha,
      beta,
      amax_index: plan.amaxIndex,
    },
    buffers,
    workgroups: [colTiles, y, y === 0 ? 1 : Math.ceil(rowTiles / y)],
  });
}

/**
 * `gemm`: `C = alpha · op(A) · op(B) + beta · C + bias` with f32 accumulation (see the contract's
 * `GemmOps.gemm`). One dispatch of 64×64 tiles (32×32 for small grids); FP8/16-bit inputs are decoded and block-scaled as
 * the tiles load, per-tensor scales and alpha are applied once per output. An FP8 C is computed into
 * a pooled f32 temporary and quantized from it with `outScale` (the amax fused into that quantize).
 */
export function gemm(
  ctx: GpuContext,
  a: DeviceTensor<GemmInputDType>,
  b: DeviceTensor<GemmInputDType>,
  c: DeviceTensor<GemmOutputDType>,
  options?: GemmOptions,
): void {
  const plan = planGemm(a, b, c, options);
  if (plan.c.dtype === 'f32') {
    recordGemm(ctx, plan, plan.c.buffer, plan.beta, plan.amaxOut !== undefined);
    return;
  }
  const bytes = storageBytes('f32', plan.m * plan.n);
  const tmp = new WebGpuTensor(
    'f32',
    [plan.m, plan.n],
    new Storage(ctx.pool.acquire(bytes).buffer, bytes),
    true,
  );
  try {
    // Every element is written (beta is 0 for an FP8 C), so a reused buffer needs no clearing.
    recordGemm(ctx, plan, tmp.buffer, 0, false);
    quantize(ctx, tmp, plan.c as WebGpuTensor<'e4m3' | 'e5m2'>, {
      scale: plan.outScale,
      saturate: plan.saturate,
      amaxOut: plan.amaxOut as WebGpuTensor<'f32'> | undefined,
      amaxIndex: plan.amaxIndex,
    });
  } finally {
    // Reusable only after the next submit, so the recorded quantize still reads it.
    ctx.pool.release(tmp.storage.release());
  }
}
