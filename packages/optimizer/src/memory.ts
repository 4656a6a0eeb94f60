import { type DeviceTensor, dtypeByteSize } from '@fp8lm/tensor-interface';
import { isScaled, type StateLayout } from './layout.js';
import type { ParamState } from './param-state.js';

/** Bytes held per state component. */
export interface ComponentBytes {
  master: number;
  grad: number;
  m: number;
  v: number;
  /** Scaling metadata: per-tensor scales (4 bytes each) and per-group maxima and exponents. */
  scaling: number;
}

/** What {@link AdamW.memoryReport} returns. */
export interface MemoryReport {
  readonly params: number;
  readonly bytes: ComponentBytes;
  /** Bytes per parameter by component, plus `state` (master+grad+m+v) and `total` (state + scaling). */
  readonly bytesPerParam: ComponentBytes & { state: number; total: number };
  /** Transient per-step scratch (amax slots, the gradients' device-side scales, group statistics), not counted in `total`. */
  readonly scratchBytes: number;
}

const bytesOf = (t: DeviceTensor) => t.size * dtypeByteSize(t.dtype);

/** Sums the device tensors the parameters hold. */
export function memoryReport(layout: StateLayout, params: readonly ParamState[]): MemoryReport {
  const bytes: ComponentBytes = { master: 0, grad: 0, m: 0, v: 0, scaling: 0 };
  let scratch = 0;
  let count = 0;
  const scaledComponents = [layout.master, layout.grad, layout.m, layout.v].filter(isScaled).length;
  for (const p of params) {
    count += p.size;
    bytes.master += bytesOf(p.master);
    bytes.grad += bytesOf(p.grad);
    bytes.m += bytesOf(p.m);
    bytes.v += bytesOf(p.v);
    bytes.scaling += 4 * scaledComponents;
    scratch +=
      bytesOf(p.stats) + bytesOf(p.gradMeta.amax) + bytesOf(p.gradMeta.scale) + bytesOf(p.gradMeta.scaleInv);
    if (p.vGroups) {
      bytes.scaling += bytesOf(p.vGroups.groupMax) + bytesOf(p.vGroups.exponent);
      scratch += bytesOf(p.vGroups.groupStats);
    }
  }
  const per = (x: number) => (count === 0 ? 0 : x / count);
  const state = bytes.master + bytes.grad + bytes.m + bytes.v;
  return {
    params: count,
    bytes,
    bytesPerParam: {
      master: per(bytes.master),
      grad: per(bytes.grad),
      m: per(bytes.m),
      v: per(bytes.v),
      scaling: per(bytes.scaling),
      state: per(state),
      total: per(state + bytes.scaling),
    },
    scratchBytes: scratch,
  };
}
