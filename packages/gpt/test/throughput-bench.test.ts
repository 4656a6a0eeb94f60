// bench/throughput.mjs with --profile: the script tools/gpu-check.sh runs on a GPU machine, checked
// here for what it prints (not for its speed): tokens/s on both backends with the same losses, and a
// kernel profile of exactly the profiled steps.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import { describe, expect, it } from 'vitest';

const required = process.env.CI === 'true' || process.env.FP8LM_REQUIRE_WEBGPU === '1';
const gpu = await createNodeWebGpuBackend();
const reason = 'unavailable' in gpu ? gpu.unavailable : '';
if (!('unavailable' in gpu)) gpu.destroy();
const skip = reason !== '' && !required;
const why = skip ? ` (skipped: no WebGPU adapter: ${reason})` : '';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'throughput.mjs');

function bench(...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 240_000 });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, stderr: r.stderr, lines };
}

describe('bench/throughput.mjs', () => {
  it('rejects a profile that leaves no step to time', () => {
    const r = bench('--backends', 'cpu', '--steps', '4', '--skip', '1', '--profile', '2');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--steps: expected an integer ≥ 5, found "4"/);
  });

  it.skipIf(skip)(`prints tokens/s and a kernel profile of the profiled webgpu steps${why}`, () => {
    const r = bench(
      ...['--backends', 'cpu,webgpu', '--levels', 'O2', '--preset', 'tiny'],
      ...['--batch-size', '2', '--block-size', '8', '--steps', '5', '--skip', '1', '--profile', '2'],
    );
    expect(r.status, r.stderr).toBe(0);
    const byName = (name: string) => r.lines.filter((l) => l.bench === name);
    const [cpu] = byName('gpt/train-tiny-O2-cpu');
    const [webgpu] = byName('gpt/train-tiny-O2-webgpu');
    expect(webgpu.ratio).toBeGreaterThan(0);
    expect(Math.abs((webgpu.lastLoss as number) - (cpu.lastLoss as number))).toBeLessThan(2e-3);
    // No profile for cpu; for webgpu, exactly 2 steps of the same dispatches each.
    expect(byName('gpt/train-tiny-O2-cpu/profile')).toEqual([]);
    const [profile] = byName('gpt/train-tiny-O2-webgpu/profile');
    expect(profile).toMatchObject({ unit: 'GPU ms/step', steps: 2 });
    expect(Number.isInteger(profile.dispatchesPerStep)).toBe(true);
    expect(profile.value).toBeGreaterThan(0);
    expect(profile.gpuBusy).toBeGreaterThan(0);
    expect(profile.gpuBusy).toBeLessThanOrEqual(1);
    const kernels = byName('gpt/train-tiny-O2-webgpu/kernel');
    expect(kernels.length).toBeGreaterThan(5);
    expect(kernels.some((k) => String(k.key).startsWith('gemm'))).toBe(true);
    const sum = (f: string) => kernels.reduce((s, k) => s + (k[f] as number), 0);
    expect(sum('dispatchesPerStep')).toBeCloseTo(profile.dispatchesPerStep as number, 0);
    expect(sum('share')).toBeCloseTo(1, 1);
    expect(sum('value')).toBeCloseTo(profile.value as number, 0);
  });
});
