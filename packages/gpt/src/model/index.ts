export {
  type ActivationGrads,
  type Activations,
  allocActivationGrads,
  allocActivations,
  type BlockActivations,
  Zeroer,
} from './activations.js';
export {
  checkConfig,
  type GPTConfig,
  MODEL_PRESET_NAMES,
  MODEL_PRESETS,
  type ModelPreset,
  type ModelSize,
  parameterCount,
  resolveConfig,
} from './config.js';
export { GPT, type GPTOptions, type ModelDiagnostics, type ParamSource } from './gpt.js';
export {
  BLOCK_LINEARS,
  type BlockLinear,
  initParams,
  linearShape,
  type ParamKind,
  type ParamSpec,
  paramSpecs,
} from './params.js';
export { generate, type SampleOptions, sampleToken } from './sample.js';
