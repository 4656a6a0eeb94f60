export { Adam, AdamW, type AddParamOptions, type StepReport } from './adamw.js';
export {
  type FirstMomentDType,
  type GradDType,
  type MasterDType,
  PRESETS,
  type PresetName,
  resolveLayout,
  type SecondMomentDType,
  type StateLayout,
} from './layout.js';
export type { ComponentBytes, MemoryReport } from './memory.js';
export type { AdamWOptions, ParamGroupOptions } from './options.js';
export { constantLr, type LrSchedule, type WarmupCosineOptions, warmupCosine } from './schedule.js';
export type { OptimizerState, SavedParam, SavedTensor } from './state-dict.js';
