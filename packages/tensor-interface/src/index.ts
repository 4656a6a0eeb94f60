export * from './backend.js';
export * from './dtype.js';
export * from './ops/format-ops.js';
export * from './ops/gemm-ops.js';
export * from './ops/layer-ops.js';
export * from './ops/optimizer-ops.js';
export * from './shape.js';
export * from './tensor.js';
