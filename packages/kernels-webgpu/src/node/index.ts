// Node entry: Dawn through the `webgpu` package. The main entry has no Node imports, so it also runs
// in browsers; only this file knows about Node and the SwiftShader fallback.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendUnavailable } from '@fp8lm/tensor-interface';
import { createWebGpuBackend, type WebGpuBackend } from '../webgpu-backend.js';

/** Where Debian's chromium package puts SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Options of {@link createNodeWebGpuBackend}. */
export interface NodeWebGpuOptions {
  /**
   * SwiftShader (a CPU Vulkan driver) when no GPU adapter is found: `'fallback'` (default) tries the
   * GPU first, `'only'` goes straight to SwiftShader, `'never'` does not use it. The environment
   * variable `FP8LM_WEBGPU_NO_SWIFTSHADER=1` makes the default `'never'` (a GPU check must not pass on
   * the CPU driver).
   */
  readonly swiftshader?: 'fallback' | 'only' | 'never';
  /** Use `shader-f16` when the adapter has it (default true). */
  readonly shaderF16?: boolean;
  /**
   * A Vulkan driver manifest (ICD JSON) to use instead of the system's drivers for the first attempt,
   * e.g. Mesa's lavapipe. It is set as `VK_ICD_FILENAMES`, which the Vulkan loader reads when Dawn
   * creates an instance, so later Dawn instances in this process see it too.
   */
  readonly vulkanIcd?: string;
  /**
   * Ask for `timestamp-query` so that `startProfile` can time the kernels (default false). Dawn then
   * runs with its timestamp rounding off (`timestamp_quantization`), so short kernels get real times.
   */
  readonly profile?: boolean;
}

/**
 * The WebGPU backend in Node, through Dawn (the `webgpu` package, an optional peer dependency), or the
 * reason it is unavailable. Without a GPU it can use SwiftShader from Debian's chromium package
 * (`VK_ICD_FILENAMES`, see {@link SWIFTSHADER_ICD}).
 * @example
 * const backend = await createNodeWebGpuBackend();
 * if ('unavailable' in backend) console.log(backend.unavailable);
 */
export async function createNodeWebGpuBackend(
  options: NodeWebGpuOptions = {},
): Promise<WebGpuBackend | BackendUnavailable> {
  let dawn: { create(flags: string[]): GPU; globals: object };
  try {
    dawn = (await import('webgpu')) as typeof dawn;
  } catch (e) {
    return { unavailable: `the webgpu package (Dawn for Node) is not installed: ${(e as Error).message}` };
  }
  // The shaders and the backend use GPUBufferUsage & co. as numbers, but user code may expect them.
  Object.assign(globalThis, dawn.globals);
  ensureRuntimeDir(); // the Vulkan loader complains on stderr without one
  const mode =
    options.swiftshader ?? (process.env.FP8LM_WEBGPU_NO_SWIFTSHADER === '1' ? 'never' : 'fallback');
  const reasons: string[] = [];
  const flags = options.profile === true ? ['disable-dawn-features=timestamp_quantization'] : [];
  const backendOptions = { shaderF16: options.shaderF16, profile: options.profile };
  if (options.vulkanIcd !== undefined) {
    if (!existsSync(options.vulkanIcd)) {
      return { unavailable: `vulkanIcd: no such Vulkan driver manifest: ${options.vulkanIcd}` };
    }
    process.env.VK_ICD_FILENAMES = options.vulkanIcd;
  }
  if (mode !== 'only') {
    const backend = await createWebGpuBackend({ gpu: dawn.create(flags), ...backendOptions });
    if (!('unavailable' in backend)) return backend;
    reasons.push(backend.unavailable);
  }
  if (mode !== 'never') {
    if (!existsSync(SWIFTSHADER_ICD)) {
      reasons.push(
        `no SwiftShader fallback: ${SWIFTSHADER_ICD} is missing (apt-get install chromium libvulkan1)`,
      );
    } else {
      useSwiftShader();
      const backend = await createWebGpuBackend({ gpu: dawn.create(flags), ...backendOptions });
      if (!('unavailable' in backend)) return backend;
      reasons.push(`SwiftShader: ${backend.unavailable} (is libvulkan1 installed?)`);
    }
  }
  return { unavailable: reasons.join('; ') };
}

/** Points the Vulkan loader at SwiftShader; it reads this when Dawn creates its next instance. */
function useSwiftShader(): void {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR === undefined) {
    const dir = join(tmpdir(), `fp8lm-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}
