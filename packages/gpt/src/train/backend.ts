import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend } from '@fp8lm/tensor-interface';

/** Backends `--backend` can name. */
export const BACKENDS = ['cpu', 'cpu-reference'] as const;

/**
 * The backend a config names: `cpu` (kernels-cpu, with its native fast path when the addon is built) or
 * `cpu-reference` (kernels-cpu's plain TypeScript reference, slow, for checking).
 */
export function makeBackend(name: (typeof BACKENDS)[number]): Backend {
  if (name === 'cpu') return createCpuBackend();
  if (name === 'cpu-reference') return createCpuBackend({ fast: false });
  throw new RangeError(`backend: expected ${BACKENDS.join(' or ')}, found ${JSON.stringify(name)}`);
}
