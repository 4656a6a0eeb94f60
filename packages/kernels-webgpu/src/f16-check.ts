import { decode, E4M3, E5M2, FP16 } from '@fp8lm/fp8-format';
import { type GpuContext, writes } from './context.js';
import { uniformLayout } from './uniforms.js';
import { Storage, WebGpuTensor } from './webgpu-tensor.js';
import { decodeF16Wgsl, f16CheckWgsl } from './wgsl.generated.js';

const HALVES = 65536;
const OUTPUTS = HALVES + 256 + 256;
const layout = uniformLayout({ n: 'u32' });

/** The f32 bits a decoder must give for `value` (any NaN matches any NaN). */
function matches(bits: number, value: number): boolean {
  const got = new Float32Array(new Uint32Array([bits]).buffer)[0];
  return Number.isNaN(value) ? Number.isNaN(got) : Object.is(got, value);
}

/**
 * Runs decode-f16.wgsl's decoders on every binary16 pattern and every E4M3/E5M2 code and compares
 * them with fp8-format. Undefined when all are exact; otherwise what went wrong (a device that flushes
 * subnormal halves, say), and the kernels keep to their integer decoders. WGSL lets an implementation
 * flush subnormals, and the FP8 GEMM must not lose E5M2's subnormal codes or E4M3's (halves here).
 */
export async function checkF16Decoders(ctx: GpuContext): Promise<string | undefined> {
  const bytes = OUTPUTS * 4;
  const out = new WebGpuTensor('f32', [OUTPUTS], new Storage(ctx.pool.acquire(bytes).buffer, bytes), true);
  try {
    ctx.dispatch({
      key: 'f16-check',
      code: () => `${decodeF16Wgsl}\n${f16CheckWgsl}`,
      enableF16: true,
      uniforms: layout,
      values: { n: OUTPUTS },
      buffers: writes(out),
      workgroups: ctx.grid1d(HALVES / 2 + 64, 64),
    });
    const got = new Uint32Array(await ctx.readBytes(out, bytes));
    const bad: string[] = [];
    const expect = (index: number, value: number, what: string) => {
      if (!matches(got[index], value) && bad.length < 3) {
        bad.push(`${what}: expected ${value}, found bits 0x${got[index].toString(16)}`);
      }
    };
    for (let h = 0; h < HALVES; h++) expect(h, decode(FP16, h), `binary16 0x${h.toString(16)}`);
    for (let c = 0; c < 256; c++) {
      expect(HALVES + c, decode(E4M3, c), `E4M3 0x${c.toString(16)}`);
      expect(HALVES + 256 + c, decode(E5M2, c), `E5M2 0x${c.toString(16)}`);
    }
    return bad.length === 0 ? undefined : `the f16 decoders are not exact on this device (${bad.join('; ')})`;
  } catch (e) {
    return `the f16 decoders failed to run: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    ctx.pool.release(out.storage.release());
  }
}
