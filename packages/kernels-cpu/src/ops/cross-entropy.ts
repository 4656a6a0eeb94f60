import {
  type CrossEntropyBackwardOptions,
  type CrossEntropyOptions,
  crossEntropyArgs,
  crossEntropyOutArg,
  type DeviceTensor,
  layerFiniteScale,
} from '@fp8lm/tensor-interface';
import { checkIds, cpuLayer } from '../layer-checks.js';
import { scaleValue } from '../scale-arg.js';

/** The shared checks of logits and targets, then the targets, which are host data here. */
function check(logits: DeviceTensor<'f32'>, targets: DeviceTensor<'i32'>, options: CrossEntropyOptions) {
  const { L, Y, B, T, V, ignore } = crossEntropyArgs(cpuLayer, logits, targets, options);
  checkIds(Y.data, V, 'targets', ignore);
  return { L: L.data, Y: Y.data, B, T, V, ignore };
}

/** Row max and `Σ exp(l - max)` of `logits[off .. off+V-1]`. */
function softmaxStats(l: Float32Array, off: number, V: number): { max: number; sum: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < V; v++) if (l[off + v] > max) max = l[off + v];
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(l[off + v] - max);
  return { max, sum };
}

/** Backend op: `losses[b,t] = logsumexp(logits[b,t,:]) - logits[b,t,target]`, 0 where ignored. Overwrites `losses`. */
export function crossEntropyForward(
  logits: DeviceTensor<'f32'>,
  targets: DeviceTensor<'i32'>,
  losses: DeviceTensor<'f32'>,
  options: CrossEntropyOptions = {},
): void {
  const { L, Y, B, T, V, ignore } = check(logits, targets, options);
  const O = crossEntropyOutArg(cpuLayer, losses, 'losses', { B, T, V });
  for (let r = 0; r < B * T; r++) {
    if (Y[r] === ignore) {
      O.data[r] = 0;
      continue;
    }
    const { max, sum } = softmaxStats(L, r * V, V);
    // log Σ exp(l - max) - (l_target - max): no large intermediate, so no precision lost to the max.
    O.data[r] = Math.log(sum) - (L[r * V + Y[r]] - max);
  }
}

/**
 * Backend op: `dlogits[b,t,:] += dlossScale · (softmax(logits[b,t,:]) - onehot(target))`, rows with an
 * ignored target left as they are. Accumulates into `dlogits`.
 */
export function crossEntropyBackward(
  logits: DeviceTensor<'f32'>,
  targets: DeviceTensor<'i32'>,
  dlogits: DeviceTensor<'f32'>,
  options: CrossEntropyBackwardOptions = {},
): void {
  const { L, Y, B, T, V, ignore } = check(logits, targets, options);
  const D = crossEntropyOutArg(cpuLayer, dlogits, 'dlogits', { B, T, V });
  layerFiniteScale(options.dlossScale, 'dlossScale');
  // A tensor's value is host data here, so it is checked too.
  const scale = scaleValue(options.dlossScale, 'dlossScale') ?? 1;
  if (!Number.isFinite(scale)) throw new RangeError(`dlossScale: expected a finite number, found ${scale}`);
  for (let r = 0; r < B * T; r++) {
    if (Y[r] === ignore) continue;
    const off = r * V;
    const { max, sum } = softmaxStats(L, off, V);
    for (let v = 0; v < V; v++) {
      const p = Math.exp(L[off + v] - max) / sum;
      D.data[off + v] += scale * (p - (v === Y[r] ? 1 : 0));
    }
  }
}
