// The browser side of test/browser.test.ts: loads the main entry through the page's import map and
// runs the ops on navigator.gpu. Floats cross the page boundary as uint32 bit patterns, so NaN, ±0 and
// ±inf arrive exactly as they were.
import { createWebGpuBackend } from '@fp8lm/kernels-webgpu';

/** @type {import('@fp8lm/kernels-webgpu').WebGpuBackend | undefined} */
let backend;

const floats = (bits) => new Float32Array(Uint32Array.from(bits).buffer);
const bitsOf = (f32) => Array.from(new Uint32Array(f32.buffer, f32.byteOffset, f32.length));

/** Creates the backend on navigator.gpu once; says which adapter it got, or why there is none. */
async function open() {
  if (backend === undefined) {
    const created = await createWebGpuBackend();
    if ('unavailable' in created) return { unavailable: created.unavailable };
    backend = created;
  }
  return { adapter: backend.info.adapter, shaderF16Status: backend.info.shaderF16Status };
}

function ready() {
  if (backend === undefined) throw new Error('open() first');
  return backend;
}

/** Quantizes to E4M3 with a device-tensor scale and a fused amax into slot 1 of a 2-element tensor. */
async function quantize({ xBits, scale }) {
  const b = ready();
  const x = floats(xBits);
  const src = b.upload('f32', [x.length], x);
  const scaleT = b.upload('f32', [1], new Float32Array([scale]));
  const amax = b.alloc('f32', [2]);
  const dst = b.alloc('e4m3', [x.length]);
  b.quantize(src, dst, { scale: scaleT, amaxOut: amax, amaxIndex: 1 });
  const codes = await b.read(dst);
  const amaxBits = bitsOf(await b.read(amax));
  for (const t of [src, scaleT, amax, dst]) b.dispose(t);
  return { codes: Array.from(codes), amaxBits, live: b.liveTensors };
}

/**
 * FP8 GEMM: quantizes A [m, k] and B [k, n] to E4M3 on the device (scale `scale`), then multiplies
 * the codes with scaleInvs 1/scale (A's as a number, B's as a device tensor) into f32 C [m, n].
 */
async function gemm({ m, k, n, aBits, bBits, scale }) {
  const b = ready();
  const a32 = b.upload('f32', [m, k], floats(aBits));
  const b32 = b.upload('f32', [k, n], floats(bBits));
  const qa = b.alloc('e4m3', [m, k]);
  const qb = b.alloc('e4m3', [k, n]);
  b.quantize(a32, qa, { scale });
  b.quantize(b32, qb, { scale });
  const bScaleInv = b.upload('f32', [1], new Float32Array([1 / scale]));
  const c = b.alloc('f32', [m, n]);
  b.gemm(qa, qb, c, { aScaleInv: 1 / scale, bScaleInv });
  const aCodes = Array.from(await b.read(qa));
  const bCodes = Array.from(await b.read(qb));
  const cBits = bitsOf(await b.read(c));
  for (const t of [a32, b32, qa, qb, bScaleInv, c]) b.dispose(t);
  return { aCodes, bCodes, cBits, live: b.liveTensors };
}

globalThis.fp8lmPage = { open, quantize, gemm };
document.getElementById('status').textContent = 'ready';
