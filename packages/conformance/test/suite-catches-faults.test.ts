import { conformanceCases, runConformance } from '@fp8lm/conformance';
import { FORMATS } from '@fp8lm/fp8-format';
import { CpuTensor, createCpuBackend } from '@fp8lm/kernels-cpu';
import type { Backend, CodeDType, DeviceTensor, QuantizeOptions } from '@fp8lm/tensor-interface';
import { describe, expect, it } from 'vitest';

// The suite must be able to fail: wrap the reference backend with small, realistic faults
// and check the cases of the faulty op catch each one.
function withFault(patch: (cpu: Backend) => Partial<Backend>): Backend {
  const cpu = createCpuBackend({ fast: false });
  const overrides: Partial<Backend> = patch(cpu);
  // Everything not overridden goes to the reference backend, bound to it (it has private state).
  return new Proxy(cpu, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof Backend];
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Backend;
}

async function failures(backend: Backend, op: string): Promise<string[]> {
  const results = await runConformance(backend, (c) => c.op === op);
  expect(results.length).toBeGreaterThan(0);
  return results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
}

describe('the conformance suite catches faults', () => {
  it('has cases for every format and optimizer op', () => {
    const ops = new Set(conformanceCases.map((c) => c.op));
    for (const op of ['amax', 'countCodes', 'dequantize', 'memory', 'quantize', 'adamw', 'sumSquares'])
      expect(ops).toContain(op);
  });

  it('passes on the reference backend', async () => {
    const results = await runConformance(createCpuBackend({ fast: false }));
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('catches one code off by one ulp', async () => {
    const faulty = withFault((cpu) => ({
      quantize(src: DeviceTensor<'f32'>, dst: DeviceTensor<CodeDType>, o?: QuantizeOptions) {
        cpu.quantize(src, dst, o);
        const d = (dst as unknown as { data: Uint8Array | Uint16Array }).data;
        if (d.length > 10) d[10] ^= 1;
      },
    }));
    const failed = await failures(faulty, 'quantize');
    expect(failed.length).toBeGreaterThan(10);
    expect(failed[0]).toMatch(/codes: index 10/);
  });

  it('catches an amax that ignores NaN', async () => {
    const faulty = withFault((cpu) => ({
      amax(src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index = 0) {
        cpu.amax(src, out, index);
        const o = (out as unknown as { data: Float32Array }).data;
        if (Number.isNaN(o[index])) o[index] = 5;
      },
    }));
    expect((await failures(faulty, 'amax')).join()).toMatch(/expected NaN, found 5/);
  });

  it('catches a countCodes that forgets infinities, or counts NaN codes as zeros', async () => {
    const noInf = withFault((cpu) => ({
      countCodes(src, out, index = 0) {
        cpu.countCodes(src, out, index);
        const codes = (src as unknown as { data: Uint8Array | Uint16Array }).data;
        const fmt = FORMATS[src.dtype as CodeDType];
        const inf = fmt.infinityCode;
        const o = (out as unknown as { data: Int32Array }).data;
        if (inf !== null) for (const c of codes) if ((c & ~(1 << (fmt.bits - 1))) === inf) o[index + 1]--;
      },
    }));
    expect((await failures(noInf, 'countCodes')).join()).toMatch(/countCodes e5m2.*counts: index/);
    const nanAsZero = withFault((cpu) => ({
      countCodes(src, out, index = 0) {
        cpu.countCodes(src, out, index);
        // Linear's old test, (code & 0x7f) === 0: FNUZ's NaN 0x80 looks like a zero.
        if (src.dtype !== 'e4m3fnuz') return;
        const codes = (src as unknown as { data: Uint8Array }).data;
        const o = (out as unknown as { data: Int32Array }).data;
        o[index] = codes.filter((c) => (c & 0x7f) === 0).length;
      },
    }));
    expect((await failures(nanAsZero, 'countCodes')).join()).toMatch(/countCodes e4m3fnuz/);
  });

  it('catches a dequantize that multiplies in float64 without rounding the scale', async () => {
    const faulty = withFault((cpu) => ({
      dequantize(src, dst, o) {
        cpu.dequantize(src, dst, o);
        const d = (dst as unknown as { data: Float32Array }).data;
        d[d.length - 2] = Math.fround(d[d.length - 2] * (1 + 2 ** -20));
      },
    }));
    expect((await failures(faulty, 'dequantize')).length).toBeGreaterThan(5);
  });

  it('catches a read that aliases host memory', async () => {
    const faulty = withFault((_cpu) => ({
      upload(dtype, shape, data) {
        // A backend that keeps a reference to the caller's array instead of copying it.
        return new CpuTensor(dtype, [...shape], data);
      },
    }));
    expect((await failures(faulty, 'memory')).join()).toMatch(/read f32: index 0/);
  });

  it('catches an AdamW kernel that skips bias correction', async () => {
    const faulty = withFault((cpu) => ({
      adamwStats: (t, h, stats, gs) => cpu.adamwStats(t, { ...h, biasCorrection: false }, stats, gs),
      adamwApply: (t, h, next) => cpu.adamwApply(t, { ...h, biasCorrection: false }, next),
    }));
    const failed = await failures(faulty, 'adamw');
    expect(failed.length).toBeGreaterThanOrEqual(5);
    expect(failed.join()).toMatch(/stats \(amax of new master, m, v\)/);
  });

  it('catches an FP8 second moment stored without range expansion', async () => {
    const faulty = withFault((cpu) => ({
      adamwApply(t, h, next) {
        cpu.adamwApply(t, h, next);
        // Overwrite the exponents with 1: the codes then decode to the wrong values.
        if (t.vGroups) (t.vGroups.exponent as unknown as { data: Float32Array }).data.fill(1);
      },
    }));
    expect((await failures(faulty, 'adamw')).join()).toMatch(/exponent/);
  });
});
