// train/'s API that needs Node (files, runs, Dawn); the trainer itself, its config and the levels are
// listed in ../core.ts.
export { BACKENDS, type BackendName, makeBackend } from './backend.js';
export { loadData } from './data.js';
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
