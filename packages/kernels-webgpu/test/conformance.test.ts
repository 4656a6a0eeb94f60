import { conformanceCases } from '@fp8lm/conformance';
import { describe, expect, it } from 'vitest';
import { availabilityTitle, backend, skip, unavailableReason } from './gpu.js';

describe('conformance: webgpu backend', () => {
  it.skipIf(skip)(availabilityTitle, () => {
    expect(backend === undefined ? unavailableReason : 'available').toBe('available');
  });
  if (backend === undefined) return;
  const b = backend;
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
});
