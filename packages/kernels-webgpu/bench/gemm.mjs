#!/usr/bin/env node
// GEMM benchmark of the WebGPU backend against TensorFlow.js's webgpu backend `tf.matMul`, in the same
// process on the same adapter. Prints JSON lines: first the machine and the adapter, then for each N
// the f32 GEMM and the FP8 GEMM (E4M3 × E4M3 with per-tensor scaleInvs, decode included, f32 out) in
// GFLOP/s (2·N³ / time per call), each with TF.js f32 matMul of the same size as the baseline.
//
// Timing: after a warm-up (pipeline compiles), rounds interleave TF.js, f32 and FP8 (so a change in
// machine load hits all three alike); a round times a burst of back-to-back calls ended by one wait for
// the queue (ours: `synchronize()`; TF.js: submit + `onSubmittedWorkDone()`, no read-back), and each
// figure is the median round. The burst is sized from the warm-up to ~50 ms. Rounds: `--iters N`, or by
// default until TF.js has run ~1 s (at least 2, at most 15).
// Usage: node bench/gemm.mjs [--sizes 256,512,1024] [--iters N] [--shader-f16 off]
// (`--shader-f16 off` keeps the integer decoders where the adapter has shader-f16, to compare.)
// On SwiftShader (CPU Vulkan, no GPU) the run takes a few minutes and the figures only mean something
// as ratios; the first line says which adapter ran.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import {
  emit,
  emitGemmFigures,
  gemmOperands,
  machine,
  round3,
} from '../../../tools/bench-support/gemm-bench.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,512,1024' },
    iters: { type: 'string' },
    'shader-f16': { type: 'string', default: 'on' },
  },
});
if (!['on', 'off'].includes(values['shader-f16']))
  throw new RangeError(`--shader-f16: ${values['shader-f16']}`);
const sizes = values.sizes.split(',').map(Number);
const fixedRounds = values.iters === undefined ? undefined : Number(values.iters);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new RangeError(`--sizes: ${values.sizes}`);
if (fixedRounds !== undefined && !(fixedRounds >= 1)) throw new RangeError(`--iters: ${values.iters}`);

const backend = await createNodeWebGpuBackend({ shaderF16: values['shader-f16'] === 'on' });
if ('unavailable' in backend) {
  console.error(`kernels-webgpu bench: no WebGPU adapter: ${backend.unavailable}`);
  process.exit(1);
}
const swiftshader = /swiftshader/i.test(backend.info.adapter);

// TF.js's webgpu backend registers itself at import only where navigator.gpu exists. Its GPU object is
// made after ours, so it sees the same Vulkan driver (createNodeWebGpuBackend sets VK_ICD_FILENAMES when
// it falls back to SwiftShader); navigator keeps the object alive.
const dawn = await import('webgpu');
Object.assign(globalThis, dawn.globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { ...globalThis.navigator, gpu: dawn.create([]) },
  configurable: true,
  writable: true,
});
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
const tfVersion = createRequire(import.meta.url)('@tensorflow/tfjs-backend-webgpu/package.json').version;
if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend did not initialise');
await tf.ready();
tf.env().set('WEBGPU_CPU_FORWARD', false); // every matMul on the GPU, however small
const tfBackend = tf.backend();
const tfAdapter = [tfBackend.adapterInfo?.vendor, tfBackend.adapterInfo?.architecture]
  .filter((s) => s !== undefined && s !== '')
  .join(' / ');

emit({
  bench: 'kernels-webgpu/machine',
  ...machine(),
  adapter: backend.info.adapter,
  shaderF16: backend.info.shaderF16Status,
  baseline: `tfjs-backend-webgpu ${tfVersion} matMul f32 (adapter ${tfAdapter || 'unknown'})`,
  note: swiftshader
    ? 'SwiftShader: a CPU Vulkan driver, no GPU. Absolute GFLOP/s are meaningless; compare the ratios only.'
    : undefined,
  timing:
    'median of interleaved rounds; a round = a burst of back-to-back calls + one queue wait; GFLOP/s = 2*N^3 / time per call',
});

for (const n of sizes) {
  const ops = gemmOperands(backend, n);
  const ta = tf.tensor2d(ops.a, [n, n]);
  const tb = tf.tensor2d(ops.b, [n, n]);

  /** Times `burst` calls of `enqueue` ended by `wait`, in ms per call. */
  const timed = async (burst, enqueue, wait) => {
    const t0 = performance.now();
    for (let r = 0; r < burst; r++) enqueue();
    await wait();
    return (performance.now() - t0) / burst;
  };
  const tfWait = async () => {
    // What tfjs does before its own submits: close the open compute pass, then submit.
    if (tfBackend.commandEncoder) {
      tfBackend.endComputePassEncoder();
      tfBackend.submitQueue();
    }
    await tfBackend.device.queue.onSubmittedWorkDone();
  };
  const runs = {
    tf: [() => tf.matMul(ta, tb).dispose(), tfWait],
    f32: [() => backend.gemm(ops.a32, ops.b32, ops.c), () => backend.synchronize()],
    fp8: [() => backend.gemm(ops.a8, ops.b8, ops.c, ops.fp8Options), () => backend.synchronize()],
  };

  // Warm-up: the first call compiles the pipelines; a second one (skipped when calls take seconds, as
  // on SwiftShader at N = 1024) sizes the burst from the slowest of the three.
  let slowest = 0;
  for (const [enqueue, wait] of Object.values(runs)) {
    const first = await timed(1, enqueue, wait);
    slowest = Math.max(slowest, first < 1000 ? await timed(1, enqueue, wait) : first);
  }
  const burst = Math.max(1, Math.min(64, Math.ceil(50 / slowest)));

  const times = { tf: [], f32: [], fp8: [] };
  let tfTotal = 0;
  const more = () =>
    fixedRounds !== undefined
      ? times.tf.length < fixedRounds
      : times.tf.length < 2 || (tfTotal < 1000 && times.tf.length < 15);
  while (more()) {
    for (const [key, [enqueue, wait]] of Object.entries(runs)) {
      const t = await timed(burst, enqueue, wait);
      times[key].push(t);
      if (key === 'tf') tfTotal += t * burst;
    }
  }
  emitGemmFigures({
    pkg: 'kernels-webgpu',
    n,
    times,
    baseline: 'tfjs-webgpu-matmul-f32',
    callsPerRound: burst,
    digits: round3,
    extra: swiftshader ? { swiftshader: true } : {},
  });
  tf.dispose([ta, tb]);
  ops.dispose();
}
backend.destroy();
tf.disposeVariables();
// Dawn's instances keep Node's event loop alive; the figures are out.
process.exit(0);
