export * from './backend.js';
export * from './dtype.js';
export * from './ops/format-ops.js';
export * from './shape.js';
export * from './tensor.js';
