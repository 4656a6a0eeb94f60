export { BACKENDS, type BackendName, makeBackend } from './backend.js';
export {
  checkTrainConfig,
  type DataSpec,
  resolveTrainConfig,
  TRAIN_DEFAULTS,
  type TrainConfig,
  type TrainSpec,
} from './config.js';
export { loadData } from './data.js';
export {
  GRAD_SCALINGS,
  type GradScalingName,
  LEVELS,
  type Level,
  type LevelPlan,
  levelPlan,
  SCALING_RECIPES,
  type ScalingRecipeName,
} from './levels.js';
export { loadTrainedModel, type TrainedModel } from './load.js';
export {
  checkData,
  flagOf,
  RESUMABLE_FIELDS,
  RUN_FILES,
  type RunHooks,
  type RunOptions,
  type RunResult,
  resumedConfig,
  runTraining,
} from './run.js';
export { countParams, createModel, type StepMetrics, Trainer, type TrainerOptions } from './trainer.js';
