export {
  type Bindable,
  type BufferBinding,
  type BufferSlice,
  type Dispatch,
  GpuContext,
  reads,
  writes,
} from './context.js';
export { type KernelProfile, KernelProfiler, type KernelTime } from './kernel-profiler.js';
export { type UniformLayout, type UniformType, uniformLayout } from './uniforms.js';
export {
  createWebGpuBackend,
  WebGpuBackend,
  type WebGpuBackendOptions,
  type WebGpuInfo,
} from './webgpu-backend.js';
export { WebGpuTensor } from './webgpu-tensor.js';
