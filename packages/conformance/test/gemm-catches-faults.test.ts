import { conformanceCases, runConformance } from '@fp8lm/conformance';
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend, DeviceTensor, GemmOptions } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

// The GEMM cases must be able to fail: wrap the reference backend's gemm with small, realistic faults
// and check that the gemm cases catch each one (and still pass on the unmodified backends).
type Gemm = Backend['gemm'];

function withGemm(fault: (cpu: Backend, ...args: Parameters<Gemm>) => void): Backend {
  const cpu = createCpuBackend({ fast: false });
  return new Proxy(cpu, {
    get(target, key) {
      if (key === 'gemm') return (...args: Parameters<Gemm>) => fault(cpu, ...args);
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Backend;
}

async function gemmFailures(backend: Backend): Promise<string[]> {
  const results = await runConformance(backend, (c) => c.op === 'gemm');
  expect(results.length).toBeGreaterThan(50);
  return results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
}

const storage = (t: DeviceTensor) => (t as unknown as { data: Float32Array | Uint8Array }).data;

/** Rounds every f32 element to bf16 (round to nearest even): what a bf16 accumulator or output does. */
function roundToBf16(x: Float32Array): void {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < u.length; i++) {
    if (x[i] !== x[i]) continue;
    u[i] = ((u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16) << 16;
  }
}

describe('the gemm conformance cases catch faults', { timeout: 60_000 }, () => {
  it('cover gemm', () => {
    expect(conformanceCases.filter((c) => c.op === 'gemm').length).toBeGreaterThan(50);
  });

  it('pass on the reference and on the default (fast when built) cpu backend', async () => {
    for (const backend of [createCpuBackend({ fast: false }), createCpuBackend()]) {
      expect(await gemmFailures(backend)).toEqual([]);
    }
  });

  it('catch a backend that ignores transB', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o) => {
        if (!o?.transB) return cpu.gemm(a, b, c, o);
        // Reads B [N, K] as if it were [K, N] (same bytes, wrong layout): only square B gets this far.
        const [n, k] = b.shape;
        const wrong = cpu.upload(b.dtype, [k, n], storage(b) as never);
        try {
          cpu.gemm(a, wrong, c, { ...o, transB: false, bBlocks: undefined });
        } finally {
          cpu.dispose(wrong);
        }
      }),
    );
    expect(failed.filter((f) => f.includes('transB')).length).toBeGreaterThan(10);
  });

  it('catch a backend that ignores bScaleInv', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o) => cpu.gemm(a, b, c, { ...o, bScaleInv: undefined })),
    );
    expect(failed.length).toBeGreaterThan(10);
    expect(failed.join('\n')).toMatch(/e4m3×e4m3 17×33×65: C: index 0/);
  });

  it('catch a backend that ignores block scales of A', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o) => cpu.gemm(a, b, c, { ...o, aBlocks: undefined })),
    );
    expect(failed.filter((f) => f.includes('A blocks')).length).toBe(
      conformanceCases.filter((c) => c.op === 'gemm' && c.name.includes('A blocks')).length,
    );
  });

  it('catch a backend that takes each block scale from the next block along K', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o) => {
        const blocks = o?.aBlocks;
        if (blocks === undefined || blocks.blockCols === 1) return cpu.gemm(a, b, c, o);
        const s = storage(blocks.scaleInv).slice();
        const [rows, cols] = blocks.scaleInv.shape;
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < cols - 1; j++) s[r * cols + j] = s[r * cols + j + 1];
        const shifted = cpu.upload(blocks.scaleInv.dtype, [rows, cols], s as never);
        try {
          cpu.gemm(a, b, c, { ...o, aBlocks: { ...blocks, scaleInv: shifted as never } });
        } finally {
          cpu.dispose(shifted);
        }
      }),
    );
    expect(failed.filter((f) => f.includes('A blocks 1×')).length).toBeGreaterThanOrEqual(4);
  });

  it('catch a bf16-precision accumulator', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o) => {
        cpu.gemm(a, b, c, o);
        if (c.dtype === 'f32') roundToBf16(storage(c) as Float32Array);
      }),
    );
    expect(failed.length).toBeGreaterThan(30);
  });

  it('catch a sum that drops the last K term', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o?: GemmOptions) => {
        // Zero the last column of op(A) before multiplying: the K loop stops one short.
        const [r, cols] = a.shape;
        const data = storage(a).slice();
        for (let i = 0; i < r; i++)
          for (let j = 0; j < cols; j++) if (o?.transA ? i === r - 1 : j === cols - 1) data[i * cols + j] = 0;
        const short = cpu.upload(a.dtype, [r, cols], data as never);
        try {
          cpu.gemm(short, b, c, o);
        } finally {
          cpu.dispose(short);
        }
      }),
    );
    expect(
      failed.filter((f) => f.includes('×300') || f.includes('×520') || f.includes('×700')).length,
    ).toBeGreaterThan(10);
  });

  it('catch an amax taken after outScale, and a bias that is ignored', async () => {
    const late = await gemmFailures(
      withGemm((cpu, a, b, c, o) => {
        cpu.gemm(a, b, c, o);
        if (o?.amaxOut && typeof o.outScale === 'number') storage(o.amaxOut)[o.amaxIndex ?? 0] *= o.outScale;
      }),
    );
    expect(late.join('\n')).toMatch(/→ e4m3 outScale=37.5 amax: amaxOut\[1\]/);
    const noBias = await gemmFailures(
      withGemm((cpu, a, b, c, o) => cpu.gemm(a, b, c, { ...o, bias: undefined })),
    );
    expect(noBias.filter((f) => f.includes(' bias')).length).toBeGreaterThanOrEqual(5);
  });

  it('catch a beta = 0 that still reads C', async () => {
    const failed = await gemmFailures(
      withGemm((cpu, a, b, c, o) =>
        cpu.gemm(a, b, c, c.dtype === 'f32' && !o?.beta ? { ...o, beta: 2 ** -30 } : o),
      ),
    );
    expect(failed.join('\n')).toMatch(/C=NaN: C: index 0/);
  });
});
