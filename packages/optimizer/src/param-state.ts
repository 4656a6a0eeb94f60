import { E4M3, FP16 } from '@fp8lm/fp8-format';
import type { Backend, DeviceTensor } from '@fp8lm/tensor-interface';
import { isScaled, type StateLayout, storageDType } from './layout.js';

/** Largest finite value of a component's storage, for `scale = fpMax / amax`. */
export function fpMax(component: string): number {
  if (component === 'f16') return FP16.maxFinite;
  if (component.startsWith('e4m3')) return E4M3.maxFinite;
  return Number.NaN; // f32 and bf16 are not scaled
}

/** The grouped second moment's device tensors. */
export interface VGroups {
  groupSize: number;
  groupMax: DeviceTensor<'f32'>;
  exponent: DeviceTensor<'f32'>;
  groupStats: DeviceTensor<'f32'>;
}

/** One parameter tensor: its state on the device and the per-tensor scales on the host. */
export interface ParamState {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly group: string;
  master: DeviceTensor<'f32' | 'f16' | 'bf16'>;
  readonly grad: DeviceTensor<'f32' | 'f16' | 'e4m3'>;
  m: DeviceTensor<'f32' | 'f16' | 'e4m3'>;
  v: DeviceTensor<'f32' | 'f16' | 'e4m3'>;
  vGroups?: VGroups;
  /** Scratch for the stage-1 amaxes of master, m, v. */
  readonly stats: DeviceTensor<'f32'>;
  /**
   * The last written gradient's amax and (for a scaled gradient) its scale and scaleInv, computed on
   * the device by `writeGrad`; `gradAmax`/`gradScale` take them at the next step (`gradPending`).
   */
  readonly gradMeta: { amax: DeviceTensor<'f32'>; scale: DeviceTensor<'f32'>; scaleInv: DeviceTensor<'f32'> };
  masterScale: number;
  gradScale: number;
  mScale: number;
  vScale: number;
  /** Amax of the gradient last written (NaN/Inf marks a non-finite gradient). */
  gradAmax: number;
  /** `gradMeta` holds a gradient's amax and scale that the host has not read yet. */
  gradPending: boolean;
  /** A non-finite amax the caller gave for a pending gradient (a saturating cast hides it from `gradMeta`). */
  gradAmaxOverride: number | undefined;
  gradWritten: boolean;
}

/** Allocates a parameter's state (moments zero, scales 1) for a layout. */
export function allocParamState(
  backend: Backend,
  layout: StateLayout,
  init: { name: string; shape: readonly number[]; size: number; group: string; vGroupSize: number },
): ParamState {
  const { size } = init;
  const alloc = <D extends 'f32' | 'f16' | 'bf16' | 'e4m3'>(dtype: D) => backend.alloc(dtype, [size]);
  let vGroups: VGroups | undefined;
  if (layout.v === 'e4m3-group') {
    const count = Math.ceil(size / init.vGroupSize);
    vGroups = {
      groupSize: init.vGroupSize,
      groupMax: backend.alloc('f32', [count]),
      exponent: backend.upload('f32', [count], new Float32Array(count).fill(1)),
      groupStats: backend.alloc('f32', [2 * count]),
    };
  }
  return {
    name: init.name,
    shape: [...init.shape],
    size,
    group: init.group,
    master: alloc(storageDType(layout.master) as 'f32' | 'f16' | 'bf16'),
    grad: alloc(storageDType(layout.grad) as 'f32' | 'f16' | 'e4m3'),
    m: alloc(storageDType(layout.m) as 'f32' | 'f16' | 'e4m3'),
    v: alloc(storageDType(layout.v) as 'f32' | 'f16' | 'e4m3'),
    vGroups,
    stats: backend.alloc('f32', [3]),
    gradMeta: {
      amax: backend.alloc('f32', [1]),
      scale: backend.alloc('f32', [1]),
      scaleInv: backend.alloc('f32', [1]),
    },
    masterScale: 1,
    gradScale: 1,
    mScale: 1,
    vScale: 1,
    gradAmax: 0,
    gradPending: false,
    gradAmaxOverride: undefined,
    gradWritten: false,
  };
}

/** Every device tensor a parameter holds, for dispose. */
export function paramTensors(p: ParamState): DeviceTensor[] {
  const list: DeviceTensor[] = [p.master, p.grad, p.m, p.v, p.stats, ...Object.values(p.gradMeta)];
  if (p.vGroups) list.push(p.vGroups.groupMax, p.vGroups.exponent, p.vGroups.groupStats);
  return list;
}

export { isScaled };
