import { conformanceCases } from '@fp8lm/conformance';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { describe, expect, it } from 'vitest';

describe('conformance: cpu backend', () => {
  const backend = createCpuBackend();
  for (const c of conformanceCases) {
    it(`${c.op}: ${c.name}`, async () => {
      await c.run(backend);
    });
  }
  it('leaks no tensors across the suite', () => {
    expect(backend.liveTensors).toBe(0);
  });
});
