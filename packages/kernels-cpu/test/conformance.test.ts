import { conformanceCases } from '@fp8lm/conformance';
import { createCpuBackend, fastPathStatus } from '@fp8lm/kernels-cpu';
import { describe, expect, it } from 'vitest';

describe('conformance: cpu backend (TypeScript reference)', () => {
  const backend = createCpuBackend({ fast: false });
  it('is the reference', () => expect(backend.fast).toBe(false));
  for (const c of conformanceCases) {
    it(`${c.op}: ${c.name}`, async () => {
      await c.run(backend);
    });
  }
  it('leaks no tensors across the suite', () => {
    expect(backend.liveTensors).toBe(0);
  });
});

// The fast path is built by `npm run build` (the build:native target). Where it is not built it is
// reported as skipped with the reason — except in CI and with FP8LM_REQUIRE_FAST=1, where that fails.
const status = fastPathStatus();
const required = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_FAST === '1';

describe('conformance: cpu backend (native fast path)', () => {
  const label = status.available
    ? 'the fast path is available'
    : `the fast path is available (it is not: ${status.reason})`;
  it.skipIf(!status.available && !required)(label, () => {
    expect(status.available ? 'available' : status.reason).toBe('available');
  });
  if (!status.available) return;
  const backend = createCpuBackend({ fast: true });
  it(`runs the ${status.info.kernel} kernel on ${status.info.threads} thread(s)`, () => {
    expect(backend.fast).toBe(true);
  });
  for (const c of conformanceCases) {
    it(`${c.op}: ${c.name}`, async () => {
      await c.run(backend);
    });
  }
  it('leaks no tensors across the suite', () => {
    expect(backend.liveTensors).toBe(0);
  });
});
