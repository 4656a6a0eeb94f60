// Argument checks of the contract, shared by every backend: dtypes, shapes and options, on
// `DeviceTensor` metadata only. Each backend adds only its own ownership and aliasing checks.
export * from './format-args.js';
export * from './gemm-args.js';
export * from './layer-args.js';
export * from './memory-args.js';
export * from './optimizer-args.js';
export * from './tensor-args.js';
