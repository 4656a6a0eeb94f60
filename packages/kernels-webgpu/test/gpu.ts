import type { WebGpuBackend } from '@fp8lm/kernels-webgpu';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import type { BackendUnavailable } from '@fp8lm/tensor-interface';

// One backend for a test file. Where no adapter exists the suites are reported as skipped with the
// reason — except in CI and with FP8LM_REQUIRE_WEBGPU=1, where a missing adapter fails them.
export const requireWebGpu = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_WEBGPU === '1';

export const gpu: WebGpuBackend | BackendUnavailable = await createNodeWebGpuBackend();

/** The backend, or undefined (with {@link unavailableReason} saying why). */
export const backend: WebGpuBackend | undefined = 'unavailable' in gpu ? undefined : gpu;
export const unavailableReason = 'unavailable' in gpu ? gpu.unavailable : '';
export const skip = backend === undefined && !requireWebGpu;

/** The title of the availability test: names the adapter, or the reason there is none. */
export const availabilityTitle =
  backend === undefined
    ? `a WebGPU adapter is available (it is not: ${unavailableReason})`
    : `runs on ${backend.info.adapter} (shader-f16: ${backend.info.shaderF16Status})`;
