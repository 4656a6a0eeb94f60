import { checkScaleTensor, type ScaleArg } from '@fp8lm/tensor-interface';
import { asCpu } from './cpu-tensor.js';

/** The host value of a scale argument: the number itself, or element 0 of a one-element f32 tensor. */
export function scaleValue(arg: ScaleArg | undefined, argument: string): number | undefined {
  if (arg === undefined || typeof arg === 'number') return arg;
  return checkScaleTensor(arg, argument, asCpu).data[0];
}

// Kept here for the modules that import it with scaleValue; the check itself is the contract's.
export { checkIndex } from '@fp8lm/tensor-interface';
