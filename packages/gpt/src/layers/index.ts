export {
  LINEAR_TENSORS,
  Linear,
  type LinearDiagnostics,
  type LinearOptions,
  type LinearTensor,
} from './linear.js';
export type {
  LinearGranularity,
  LinearPrecision,
  LinearRecipe,
  LinearScaling,
  WeightGrad,
  WeightRef,
} from './linear-types.js';
