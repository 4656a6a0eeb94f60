import type { TrainSpec } from '@fp8lm/gpt/core';
import type { Backend } from '@fp8lm/tensor-interface';

/** See train.js: the losses of `spec.steps` steps on `syntheticLength` characters of the synthetic corpus. */
export function trainLosses(backend: Backend, spec: TrainSpec, syntheticLength: number): Promise<number[]>;
