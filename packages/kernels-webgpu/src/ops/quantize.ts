import { FORMATS } from '@fp8lm/fp8-format';
import {
  type CodeDType,
  type DeviceTensor,
  formatQuantizeArgs,
  type QuantizeOptions,
} from '@fp8lm/tensor-interface';
import { codecFor, type GpuContext, reads, writes } from '../context.js';
import { formatConstants } from '../format-constants.js';
import { uniformLayout } from '../uniforms.js';
import { asGpu } from '../webgpu-tensor.js';
import { exactF32Wgsl, quantizeWgsl } from '../wgsl.generated.js';
import { checkScaleArg } from './format-args.js';

const layout = uniformLayout({
  n: 'u32',
  saturate: 'u32',
  stochastic: 'u32',
  seed: 'u32',
  amax_index: 'u32',
});

// The fused amax: each thread raises the slot with the max |x| bits of its elements (raise_max loads
// the slot first, so most threads skip the atomic and no workgroup reduction is needed).
const AMAX_SNIPPET = `
@group(0) @binding(4) var<storage, read_write> amax_out: array<atomic<u32>>;
fn publish_amax(v: u32) {
  raise_max(&amax_out[params.amax_index], v);
}
`;
const NO_AMAX_SNIPPET = 'fn publish_amax(v: u32) {}\n';

/**
 * `quantize`: `dst[i] = encode(fround(src[i] · scale))` for every code format, bit-exact with
 * @fp8lm/fp8-format (saturation, stochastic rounding from the counter-based RNG keyed by `seed` and
 * the element index), with `max |src|` written to `amaxOut[amaxIndex]` when asked. A NaN in a format
 * without NaN (FP6/FP4) cannot throw on the device: it becomes code 0.
 */
export function quantize(
  ctx: GpuContext,
  src: DeviceTensor<'f32'>,
  dst: DeviceTensor<CodeDType>,
  options: QuantizeOptions = {},
): void {
  const { src: s, dst: d, dstDtype, amaxOut, amaxIndex } = formatQuantizeArgs(asGpu, src, dst, options);
  // The host checks of fp8-format's quantize, which the CPU backend runs: scale, saturate, rounding.
  checkScaleArg(options.scale, 'scale');
  const fmt = FORMATS[dstDtype];
  const { saturate = true, rounding = 'nearest-even', seed = 0 } = options;
  if (typeof saturate !== 'boolean')
    throw new TypeError(`saturate: expected a boolean, found ${String(saturate)}`);
  if (!saturate && fmt.nanCode === null && fmt.infinityCode === null) {
    throw new RangeError(
      `saturate: false needs a format with Inf or NaN to overflow into; ${fmt.name} has neither`,
    );
  }
  if (rounding !== 'nearest-even' && rounding !== 'stochastic') {
    throw new RangeError(
      `rounding: expected 'nearest-even' or 'stochastic', found ${JSON.stringify(rounding)}`,
    );
  }
  if (rounding === 'stochastic' && !Number.isInteger(seed)) {
    throw new RangeError(`seed: expected an integer, found ${seed}`);
  }
  const scalars = ctx.scalars([options.scale], ['scale']);
  const perWord = fmt.bits > 8 ? 2 : 4;
  const buffers = [...reads(s), ...writes(d), ...reads(scalars)];
  if (amaxOut !== undefined) {
    // Zero the slot first: the shader only raises it (an empty source leaves 0, as the reference).
    ctx.encoder.clearBuffer(amaxOut.buffer, amaxIndex * 4, 4);
    buffers.push(...writes(amaxOut));
  }
  ctx.dispatch({
    key: `quantize/${fmt.name}/${amaxOut === undefined ? 'plain' : 'amax'}`,
    code: () =>
      [
        `const PER_WORD: u32 = ${perWord}u;`,
        exactF32Wgsl,
        codecFor(formatConstants(fmt.name)),
        amaxOut === undefined ? NO_AMAX_SNIPPET : AMAX_SNIPPET,
        quantizeWgsl,
      ].join('\n'),
    uniforms: layout,
    values: {
      n: s.size,
      saturate: saturate ? 1 : 0,
      stochastic: rounding === 'stochastic' ? 1 : 0,
      seed: seed >>> 0,
      amax_index: amaxIndex,
    },
    buffers,
    workgroups: ctx.grid1d(Math.ceil(s.size / perWord), 256),
  });
}
