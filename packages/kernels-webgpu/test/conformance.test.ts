import { describe, expect, it } from 'vitest';
import { conformanceTests } from './conformance-suite.js';
import { availabilityTitle, backend, skip, unavailableReason } from './gpu.js';

describe('conformance: webgpu backend', () => {
  it.skipIf(skip)(availabilityTitle, () => {
    expect(backend === undefined ? unavailableReason : 'available').toBe('available');
  });
  if (backend !== undefined) conformanceTests(backend);
});
