// The shader-f16 paths, on an adapter that has shader-f16: the Vulkan driver FP8LM_WEBGPU_F16_ICD
// names, else the default adapter where it has it (a GPU), else Mesa's lavapipe where
// tools/lavapipe.sh put it (/opt/fp8lm-lavapipe; SwiftShader has no shader-f16). There the whole
// conformance suite runs with the f16 decoders on, and GEMMs must come out bit-identical with and
// without them on the same device. Without such an adapter the suite is skipped with the reason, or
// fails with FP8LM_REQUIRE_SHADER_F16=1 (as .ci/run sets).
import { existsSync } from 'node:fs';
import type { WebGpuBackend } from '@fp8lm/kernels-webgpu';
import { createNodeWebGpuBackend } from '@fp8lm/kernels-webgpu/node';
import type { BackendUnavailable, GemmInputDType } from '@fp8lm/tensor-interface';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceTests } from './conformance-suite.js';

/** Where tools/lavapipe.sh writes the manifest by default. */
const LAVAPIPE_ICD = '/opt/fp8lm-lavapipe/lvp_icd.json';
const required = process.env.FP8LM_REQUIRE_SHADER_F16 === '1';

type Opened = WebGpuBackend | BackendUnavailable;

/** The backend with the f16 decoders and one without, on the driver `icd` (undefined: the default). */
async function open(icd: string | undefined): Promise<{ f16: Opened; plain: Opened; reason: string }> {
  const options = { vulkanIcd: icd, swiftshader: 'never' } as const;
  const f16 = await createNodeWebGpuBackend(options);
  const plain = await createNodeWebGpuBackend({ ...options, shaderF16: false });
  let reason = '';
  if ('unavailable' in f16) reason = f16.unavailable;
  else if (!f16.info.shaderF16) reason = `${f16.info.adapter}: shader-f16 ${f16.info.shaderF16Status}`;
  return { f16, plain, reason };
}

function destroy(...backends: Opened[]): void {
  for (const be of backends) if (!('unavailable' in be)) be.destroy();
}

let icd = process.env.FP8LM_WEBGPU_F16_ICD;
let opened = await open(icd);
if (icd === undefined && opened.reason !== '' && existsSync(LAVAPIPE_ICD)) {
  destroy(opened.f16, opened.plain);
  icd = LAVAPIPE_ICD;
  opened = await open(icd);
}
const { f16, plain, reason } = opened;
const where = icd === undefined ? 'the default adapter' : icd;

/** Deterministic codes of a dtype: any finite code, or only subnormal/smallest-normal ones ('tiny'). */
function codes(dtype: GemmInputDType, n: number, seed: number, tiny: boolean): Uint8Array | Uint16Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 8;
  };
  const wide = dtype === 'f16';
  const out = wide ? new Uint16Array(n) : new Uint8Array(n);
  // Magnitude bits below the exponent field's second value: subnormals, zero and the smallest normals.
  const mantBits = dtype === 'e4m3' ? 3 : dtype === 'e5m2' ? 2 : 10;
  const magBits = wide ? 15 : 7;
  for (let i = 0; i < n; i++) {
    let mag = next() & ((1 << magBits) - 1);
    if (tiny) mag &= (2 << mantBits) - 1;
    // The top exponent field holds NaN/inf in E5M2 and f16, and E4M3's NaN at mantissa all-ones.
    const top = mag >> mantBits === (1 << (magBits - mantBits)) - 1;
    if ((dtype !== 'e4m3' && top) || (dtype === 'e4m3' && mag === 0x7f)) mag -= 1 << mantBits;
    out[i] = mag | (next() & 1 ? 1 << magBits : 0);
  }
  return out;
}

async function gemmOn(
  be: WebGpuBackend,
  dt: [GemmInputDType, GemmInputDType],
  trans: boolean,
  tiny: boolean,
): Promise<Float32Array> {
  const [m, n, k] = [37, 45, 70];
  const a = be.upload(dt[0], trans ? [k, m] : [m, k], codes(dt[0], m * k, 1, tiny) as never);
  const b = be.upload(dt[1], trans ? [n, k] : [k, n], codes(dt[1], k * n, 2, tiny) as never);
  const c = be.alloc('f32', [m, n]);
  try {
    be.gemm(a, b, c, { transA: trans, transB: trans, aScaleInv: 1, bScaleInv: 1 });
    return (await be.read(c)) as Float32Array;
  } finally {
    for (const t of [a, b, c]) be.dispose(t);
  }
}

describe(`shader-f16 on ${where}`, () => {
  afterAll(() => destroy(f16, plain));
  it.skipIf(reason !== '' && !required)(
    'an adapter with shader-f16 is available, and its f16 decoders are exact',
    () => {
      expect(reason, `no shader-f16 adapter at ${where}`).toBe('');
    },
  );
  if (reason !== '' || 'unavailable' in f16 || 'unavailable' in plain) return;

  it('reports the f16 paths on, and off where not requested', () => {
    expect(f16.info.shaderF16Status).toBe('used');
    expect(plain.info).toMatchObject({ shaderF16: false, shaderF16Status: 'not requested' });
  });

  const dtypes: GemmInputDType[] = ['e4m3', 'e5m2', 'f16'];
  for (const da of dtypes) {
    for (const db of dtypes) {
      for (const trans of [false, true]) {
        for (const tiny of [false, true]) {
          const name = `gemm ${da}×${db}${trans ? ' transposed' : ''}${tiny ? ', subnormal inputs' : ''}`;
          it(`${name}: f16 decoders give the integer decoders' bits`, async () => {
            const want = await gemmOn(plain, [da, db], trans, tiny);
            const got = await gemmOn(f16, [da, db], trans, tiny);
            // A subnormal-only product must not be all zeros (that would hide a flushing decoder).
            if (tiny) expect(want.some((x) => x !== 0)).toBe(true);
            expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
          });
        }
      }
    }
  }

  it('compiled the f16 variants', () => {
    expect(f16.pipelineKeys.filter((k) => k.includes('.h.')).length).toBeGreaterThan(0);
    expect(plain.pipelineKeys.some((k) => k.includes('.h.'))).toBe(false);
  });

  describe('conformance with the f16 decoders', () => {
    conformanceTests(f16);
  });
});
