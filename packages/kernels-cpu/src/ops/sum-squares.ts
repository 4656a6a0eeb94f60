import { type DeviceTensor, optimizerSumSquaresArgs, type ScaleArg } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';
import { scaleValue } from '../scale-arg.js';
import { CHUNK, loadChunk } from './chunks.js';

const scratch = new Float32Array(CHUNK);

/** Backend op: `out[index] = Σ (decode(x_i) · scaleInv)²`, accumulated in f64. */
export function sumSquares(
  x: DeviceTensor,
  out: DeviceTensor<'f32'>,
  index = 0,
  options: { scaleInv?: ScaleArg } = {},
): void {
  const { x: t, out: o } = optimizerSumSquaresArgs(asCpu, x, out, index);
  const scaleInv = scaleValue(options.scaleInv, 'scaleInv') ?? 1;
  let sum = 0;
  for (let start = 0; start < t.size; start += CHUNK) {
    const len = Math.min(CHUNK, t.size - start);
    loadChunk(t, start, len, scaleInv, scratch);
    for (let i = 0; i < len; i++) sum += scratch[i] * scratch[i];
  }
  o.data[index] = sum;
}
