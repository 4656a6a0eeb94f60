import type { Backend, DeviceTensor, DType, StorageArray } from '@fp8lm/tensor-interface';
import type { StateLayout } from './layout.js';
import type { ParamState } from './param-state.js';

/** One saved tensor. */
export interface SavedTensor {
  dtype: DType;
  shape: number[];
  data: StorageArray;
}

/** Per-parameter metadata in a saved state. */
export interface SavedParam {
  name: string;
  shape: number[];
  group: string;
  masterScale: number;
  gradScale: number;
  mScale: number;
  vScale: number;
  vGroupSize?: number;
}

/** The optimizer state as plain typed arrays plus JSON-serializable metadata (checkpoints store both). */
export interface OptimizerState {
  metadata: {
    format: 'fp8lm-optimizer';
    version: 1;
    layout: StateLayout;
    step: number;
    skipped: number;
    params: SavedParam[];
  };
  tensors: Record<string, SavedTensor>;
}

function components(p: ParamState): [string, DeviceTensor][] {
  const list: [string, DeviceTensor][] = [
    ['master', p.master],
    ['m', p.m],
    ['v', p.v],
  ];
  if (p.vGroups) list.push(['v.groupMax', p.vGroups.groupMax], ['v.exponent', p.vGroups.exponent]);
  return list;
}

/** Reads every state tensor back to the host. Gradients are transient and not saved. */
export async function saveState(
  backend: Backend,
  layout: StateLayout,
  counters: { step: number; skipped: number },
  params: readonly ParamState[],
): Promise<OptimizerState> {
  const tensors: Record<string, SavedTensor> = {};
  for (const p of params) {
    for (const [key, t] of components(p)) {
      tensors[`${p.name}.${key}`] = { dtype: t.dtype, shape: [...t.shape], data: await backend.read(t) };
    }
  }
  return {
    metadata: {
      format: 'fp8lm-optimizer',
      version: 1,
      layout: { ...layout },
      step: counters.step,
      skipped: counters.skipped,
      params: params.map((p) => ({
        name: p.name,
        shape: [...p.shape],
        group: p.group,
        masterScale: p.masterScale,
        gradScale: p.gradScale,
        mScale: p.mScale,
        vScale: p.vScale,
        ...(p.vGroups ? { vGroupSize: p.vGroups.groupSize } : {}),
      })),
    },
    tensors,
  };
}

/** Checks a saved state against the optimizer and uploads it; returns the step counters. */
export function loadState(
  backend: Backend,
  layout: StateLayout,
  state: OptimizerState,
  params: Map<string, ParamState>,
): { step: number; skipped: number } {
  const meta = state?.metadata;
  if (meta?.format !== 'fp8lm-optimizer' || meta.version !== 1) {
    throw new TypeError(
      `state.metadata: expected format fp8lm-optimizer version 1, found ${meta?.format} ${meta?.version}`,
    );
  }
  for (const key of ['master', 'grad', 'm', 'v'] as const) {
    if (meta.layout[key] !== layout[key]) {
      throw new RangeError(
        `state.metadata.layout.${key}: the optimizer uses ${layout[key]}, the state has ${meta.layout[key]}`,
      );
    }
  }
  const names = meta.params.map((p) => p.name);
  if (names.length !== params.size || names.some((n) => !params.has(n))) {
    throw new RangeError(
      `state: parameters [${names.join(', ')}] do not match the optimizer's [${[...params.keys()].join(', ')}]`,
    );
  }
  // Validate everything before changing anything, so a bad state leaves the optimizer intact.
  const plan: [ParamState, SavedParam, [string, DeviceTensor, SavedTensor][]][] = meta.params.map((saved) => {
    const p = params.get(saved.name)!;
    if (saved.shape.join() !== p.shape.join()) {
      throw new RangeError(
        `state: "${saved.name}" has shape [${saved.shape}], the optimizer has [${p.shape}]`,
      );
    }
    const parts = components(p).map(([key, t]): [string, DeviceTensor, SavedTensor] => {
      const s = state.tensors[`${saved.name}.${key}`];
      if (s === undefined) throw new RangeError(`state.tensors: "${saved.name}.${key}" is missing`);
      if (s.dtype !== t.dtype || s.data.length !== t.size) {
        throw new RangeError(
          `state.tensors["${saved.name}.${key}"]: expected ${t.dtype} × ${t.size}, found ${s.dtype} × ${s.data.length}`,
        );
      }
      return [key, t, s];
    });
    return [p, saved, parts];
  });
  for (const [p, saved, parts] of plan) {
    for (const [key, old, s] of parts) {
      const fresh = backend.upload(s.dtype, old.shape, s.data);
      backend.dispose(old);
      if (key === 'master') p.master = fresh as ParamState['master'];
      else if (key === 'm') p.m = fresh as ParamState['m'];
      else if (key === 'v') p.v = fresh as ParamState['v'];
      else if (p.vGroups && key === 'v.groupMax') p.vGroups.groupMax = fresh as DeviceTensor<'f32'>;
      else if (p.vGroups && key === 'v.exponent') p.vGroups.exponent = fresh as DeviceTensor<'f32'>;
    }
    p.masterScale = saved.masterScale;
    p.gradScale = saved.gradScale;
    p.gradPending = false;
    p.mScale = saved.mScale;
    p.vScale = saved.vScale;
    p.gradWritten = false;
  }
  return { step: meta.step, skipped: meta.skipped };
}
