import type { PresetName, StateLayout } from './layout.js';
import { constantLr, type LrSchedule } from './schedule.js';

/** Per-group overrides (e.g. no weight decay for biases and LayerNorm gains). */
export interface ParamGroupOptions {
  weightDecay?: number;
  /** Multiplies the scheduled learning rate (default 1). */
  lrScale?: number;
}

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** State layout: a preset name (`fp32`, `O1`, `O2`, `O2+fp8v`) or a custom layout. Default `O2`. */
  preset?: PresetName | StateLayout;
  /** A constant learning rate or a schedule of the 1-based step (see `warmupCosine`). Default 1e-3. */
  lr?: number | LrSchedule;
  betas?: readonly [number, number];
  eps?: number;
  /** Weight decay of the default group (default 0). */
  weightDecay?: number;
  /** Clip the global gradient norm to this value (default: no clipping). */
  clipGradNorm?: number;
  /** Named parameter groups; parameters join one with `addParam(..., { group })`. */
  groups?: Record<string, ParamGroupOptions>;
  /** Elements per scaling group of an `e4m3-group` second moment (default 128). */
  vGroupSize?: number;
  /** Scales are `fpMax / amax / 2^margin` (default 0). */
  margin?: number;
  /** Bias correction of m and v (default true). */
  biasCorrection?: boolean;
}

/** Checked options with defaults filled in. */
export interface ResolvedOptions {
  schedule: LrSchedule;
  beta1: number;
  beta2: number;
  eps: number;
  clipGradNorm: number | undefined;
  groups: Map<string, Required<ParamGroupOptions>>;
  vGroupSize: number;
  margin: number;
  biasCorrection: boolean;
}

function check(name: string, value: number, lo: number, hi: number, integer = false): number {
  if (typeof value !== 'number' || !(value >= lo && value <= hi) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `${name}: expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], found ${String(value)}`,
    );
  }
  return value;
}

/** Fills defaults and validates every option, naming the bad one. */
export function resolveOptions(options: AdamWOptions): ResolvedOptions {
  const lr = options.lr ?? 1e-3;
  const schedule = typeof lr === 'function' ? lr : constantLr(lr);
  const [beta1, beta2] = options.betas ?? [0.9, 0.999];
  const groups = new Map<string, Required<ParamGroupOptions>>();
  groups.set('default', { weightDecay: check('weightDecay', options.weightDecay ?? 0, 0, 1e6), lrScale: 1 });
  for (const [name, g] of Object.entries(options.groups ?? {})) {
    groups.set(name, {
      weightDecay: check(
        `groups.${name}.weightDecay`,
        g.weightDecay ?? groups.get('default')!.weightDecay,
        0,
        1e6,
      ),
      lrScale: check(`groups.${name}.lrScale`, g.lrScale ?? 1, 0, 1e6),
    });
  }
  return {
    schedule,
    beta1: check('betas[0]', beta1, 0, 1 - 2 ** -30),
    beta2: check('betas[1]', beta2, 0, 1 - 2 ** -30),
    eps: check('eps', options.eps ?? 1e-8, 0, 1),
    clipGradNorm:
      options.clipGradNorm === undefined
        ? undefined
        : check('clipGradNorm', options.clipGradNorm, 1e-12, 1e12),
    groups,
    vGroupSize: check('vGroupSize', options.vGroupSize ?? 128, 1, 2 ** 24, true),
    margin: check('margin', options.margin ?? 0, 0, 64, true),
    biasCorrection: options.biasCorrection ?? true,
  };
}
