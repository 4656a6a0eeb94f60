import { conformanceCases } from '@fp8lm/conformance';
import type { Backend } from '@fp8lm/tensor-interface';
import { expect, it } from 'vitest';

/**
 * One vitest case per conformance case on `b` (inside the caller's describe), then the leak check.
 * `FP8LM_WEBGPU_OPS=gemm,quantize` keeps only those ops (and drops the leak check).
 */
export function conformanceTests(b: Backend & { readonly liveTensors: number }): void {
  const only = process.env.FP8LM_WEBGPU_OPS?.split(',');
  for (const c of conformanceCases) {
    if (only !== undefined && !only.includes(c.op)) continue;
    it(`${c.op}: ${c.name}`, async () => {
      await c.run(b);
      await b.synchronize(); // a WebGPU validation error of this case fails this case
    });
  }
  it.runIf(only === undefined)('leaks no tensors across the suite', () => {
    expect(b.liveTensors).toBe(0);
  });
}
