// @fp8lm/gpt: one line per module folder; each folder's index.ts lists its public API.
export * from './checkpoint/index.js';
export * from './core.js';
export * from './data/index.js';
export * from './report/index.js';
export * from './train/index.js';
