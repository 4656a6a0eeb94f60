import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend } from '@fp8lm/tensor-interface';

import { BACKENDS, type BackendName } from './backend-names.js';

export { BACKENDS, type BackendName } from './backend-names.js';

/**
 * The backend a config names: `cpu` (kernels-cpu, with its native fast path when the addon is built),
 * `cpu-reference` (kernels-cpu's plain TypeScript reference, slow, for checking) or `webgpu`
 * (kernels-webgpu through Dawn: the GPU's adapter, or SwiftShader on a machine without one). A backend
 * that cannot run here is an error that says why.
 */
export async function makeBackend(name: BackendName): Promise<Backend> {
  if (name === 'cpu') return createCpuBackend();
  if (name === 'cpu-reference') return createCpuBackend({ fast: false });
  if (name === 'webgpu') {
    // Loaded only when asked for: CPU runs never load Dawn.
    const { createNodeWebGpuBackend } = await import('@fp8lm/kernels-webgpu/node');
    const backend = await createNodeWebGpuBackend();
    if ('unavailable' in backend) throw new Error(`backend webgpu is unavailable: ${backend.unavailable}`);
    return backend;
  }
  throw new RangeError(`backend: expected ${BACKENDS.join(' or ')}, found ${JSON.stringify(name)}`);
}
