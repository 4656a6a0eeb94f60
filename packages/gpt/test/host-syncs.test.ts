import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining, TRAIN_DEFAULTS } from '@fp8lm/gpt';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend } from '@fp8lm/tensor-interface';
import { afterAll, describe, expect, it } from 'vitest';

// A GPU backend stalls at every `read` until the device has drained: a training step must wait a few
// times, not once per tensor, and must not copy FP8 tensors back for its diagnostics. Counted on the
// cpu backend (the trainer's calls are the same on every backend): a "wait" is a read started while no
// other is in flight (reads started together, as with Promise.all, share one).
function counting(backend: Backend) {
  const counts = { waits: 0, bytes: 0 };
  let inFlight = 0;
  const proxy = new Proxy(backend, {
    get(target, key) {
      if (key === 'read') {
        return async (t: Parameters<Backend['read']>[0]) => {
          if (inFlight++ === 0) counts.waits++;
          const data = await target.read(t);
          inFlight--;
          counts.bytes += data.byteLength;
          return data;
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { backend: proxy, counts };
}

const root = mkdtempSync(join(tmpdir(), 'fp8lm-syncs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('host round trips per training step', () => {
  for (const level of ['fp32', 'O2'] as const) {
    it(`${level}: at most 6 waits and 4 kB read per step, whatever the number of layers`, async () => {
      const { backend, counts } = counting(createCpuBackend());
      const perStep: { waits: number; bytes: number }[] = [];
      let last = { waits: 0, bytes: 0 };
      await runTraining(
        {
          spec: {
            ...TRAIN_DEFAULTS,
            data: { ...TRAIN_DEFAULTS.data, syntheticLength: 20_000 },
            model: { nLayer: 3, nEmbd: 32 },
            level,
            steps: 4,
            warmup: 0,
            batchSize: 4,
            evalInterval: 0,
            evalBatches: 1,
          },
          out: join(root, level),
          report: false,
          backend,
        },
        {
          onStep: () => {
            perStep.push({ waits: counts.waits - last.waits, bytes: counts.bytes - last.bytes });
            last = { ...counts };
          },
        },
      );
      expect(perStep).toHaveLength(4);
      // Before the device-side counts and the batched reads: 67 (fp32) and 163 (O2) waits a step here.
      for (const s of perStep.slice(0, -1)) {
        expect(s.waits).toBeLessThanOrEqual(6);
        expect(s.bytes).toBeLessThanOrEqual(4096);
      }
      backend.destroy();
    });
  }
});
