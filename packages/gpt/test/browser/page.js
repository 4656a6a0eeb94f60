// The browser side of test/browser.test.ts: trains a tiny GPT in FP8 in the page, on navigator.gpu
// (kernels-webgpu) and on kernels-cpu (its TypeScript reference: a page has no native addon).
import { createCpuBackend } from '@fp8lm/kernels-cpu';
import { createWebGpuBackend } from '@fp8lm/kernels-webgpu';
import { trainLosses } from './train.js';

/** @type {import('@fp8lm/kernels-webgpu').WebGpuBackend | undefined} */
let gpu;

/** Creates the WebGPU backend once; says which adapter it got, or why there is none. */
async function open() {
  if (gpu === undefined) {
    const created = await createWebGpuBackend();
    if ('unavailable' in created) return { unavailable: created.unavailable };
    gpu = created;
  }
  return { adapter: gpu.info.adapter, cpuFast: createCpuBackend().fast };
}

/** The losses of a run of `spec` on 'webgpu' or 'cpu', and the tensors left alive after it. */
async function train({ backend, spec, syntheticLength }) {
  if (backend === 'webgpu') {
    if (gpu === undefined) throw new Error('open() first');
    const losses = await trainLosses(gpu, spec, syntheticLength);
    return { losses, live: gpu.liveTensors };
  }
  const cpu = createCpuBackend();
  const losses = await trainLosses(cpu, spec, syntheticLength);
  return { losses, live: cpu.liveTensors };
}

globalThis.fp8lmPage = { open, train };
document.getElementById('status').textContent = 'ready';
