export { CpuBackend, type CpuBackendOptions, createCpuBackend } from './cpu-backend.js';
export { CpuTensor } from './cpu-tensor.js';
export { configureFastPath, type FastPathInfo, fastPathStatus } from './fast/native.js';
