/** Where the master weight lives: f32, FP16 with a per-tensor scale, or BF16. */
export type MasterDType = 'f32' | 'f16' | 'bf16';
/** Where the gradient lives: f32, FP16 with a per-tensor scale, or E4M3 with a per-tensor scale. */
export type GradDType = 'f32' | 'f16' | 'e4m3';
/** Where the first moment lives. */
export type FirstMomentDType = 'f32' | 'f16' | 'e4m3';
/**
 * Where the second moment lives: f32, FP16 with a per-tensor scale, E4M3 per group with COAT's
 * dynamic range expansion (`e4m3-group`), or E4M3 with one per-tensor scale (`e4m3-tensor`, the
 * variant FP8-LM found to diverge; kept to show why).
 */
export type SecondMomentDType = 'f32' | 'f16' | 'e4m3-group' | 'e4m3-tensor';

/** The storage of each component of AdamW's state. f16 and e4m3 components carry a per-tensor scale. */
export interface StateLayout {
  readonly master: MasterDType;
  readonly grad: GradDType;
  readonly m: FirstMomentDType;
  readonly v: SecondMomentDType;
}

/** The presets, named after FP8-LM's levels. */
export const PRESETS = {
  /** 16 bytes/param: f32 master, grad, m, v. */
  fp32: { master: 'f32', grad: 'f32', m: 'f32', v: 'f32' },
  /** 11 bytes/param: FP16 scaled master, E4M3 grad, f32 moments. */
  O1: { master: 'f16', grad: 'e4m3', m: 'f32', v: 'f32' },
  /** 6 bytes/param (FP8-LM): FP16 scaled master, E4M3 grad, E4M3 m, FP16 scaled v. */
  O2: { master: 'f16', grad: 'e4m3', m: 'e4m3', v: 'f16' },
  /** 5 bytes/param (+ per-group metadata): O2 with v in E4M3 per group of 128 with range expansion (COAT). */
  'O2+fp8v': { master: 'f16', grad: 'e4m3', m: 'e4m3', v: 'e4m3-group' },
} as const satisfies Record<string, StateLayout>;

/** A preset name. */
export type PresetName = keyof typeof PRESETS;

/** Resolves a preset name or checks a custom layout; errors name the bad component. */
export function resolveLayout(layout: PresetName | StateLayout): StateLayout {
  if (typeof layout === 'string') {
    if (!Object.hasOwn(PRESETS, layout)) {
      throw new RangeError(
        `preset: expected one of ${Object.keys(PRESETS).join(', ')}, found ${JSON.stringify(layout)}`,
      );
    }
    return PRESETS[layout as PresetName];
  }
  const allowed: Record<keyof StateLayout, readonly string[]> = {
    master: ['f32', 'f16', 'bf16'],
    grad: ['f32', 'f16', 'e4m3'],
    m: ['f32', 'f16', 'e4m3'],
    v: ['f32', 'f16', 'e4m3-group', 'e4m3-tensor'],
  };
  for (const key of Object.keys(allowed) as (keyof StateLayout)[]) {
    if (!allowed[key].includes(layout?.[key])) {
      throw new RangeError(
        `layout.${key}: expected one of ${allowed[key].join(', ')}, found ${JSON.stringify(layout?.[key])}`,
      );
    }
  }
  return layout;
}

/** The device dtype that stores a component. */
export function storageDType(component: string): 'f32' | 'f16' | 'bf16' | 'e4m3' {
  return component.startsWith('e4m3') ? 'e4m3' : (component as 'f32' | 'f16' | 'bf16');
}

/** True if the component keeps a per-tensor scale (f16 and E4M3 need one; f32 and bf16 have range enough). */
export function isScaled(component: string): boolean {
  return component === 'f16' || component === 'e4m3' || component === 'e4m3-tensor';
}
