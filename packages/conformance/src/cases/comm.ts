import { dequantize, FORMATS } from '@fp8lm/fp8-format';
import { allocStorage, type Backend, type ChunkDType } from '@fp8lm/tensor-interface';
import { type ConformanceCase, expectFloatsIdentical, expectThrows } from '../case.js';
import { lcg } from '../inputs.js';

const DTYPES: readonly ChunkDType[] = ['f32', 'f16', 'bf16', 'e4m3', 'e5m2'];
const N = 1000; // not a multiple of 4: the packed byte tensors end in a partial word

/** A received chunk: random finite codes (or f32 values) and their decoded values times `scaleInv`. */
function chunk(dtype: ChunkDType, seed: number, scaleInv: number) {
  const rand = lcg(seed);
  const decoded = new Float32Array(N);
  if (dtype === 'f32') {
    const data = new Float32Array(N);
    for (let i = 0; i < N; i++) data[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10);
    const s = Math.fround(scaleInv); // backends hold the scale as an f32
    for (let i = 0; i < N; i++) decoded[i] = data[i] * s;
    return { data, decoded };
  }
  const fmt = FORMATS[dtype];
  const data = allocStorage(dtype, N);
  for (let i = 0; i < N; i++) {
    let c: number;
    do c = Math.floor(rand() * 2 ** fmt.bits);
    while (!Number.isFinite(dequantizeOne(dtype, c)));
    data[i] = c;
  }
  dequantize(fmt, data, decoded, { scaleInv });
  return { data, decoded };
}

function dequantizeOne(dtype: Exclude<ChunkDType, 'f32'>, code: number): number {
  const out = new Float32Array(1);
  const codes = allocStorage(dtype, 1);
  codes[0] = code;
  dequantize(FORMATS[dtype], codes, out);
  return out[0];
}

async function checkAccumulate(backend: Backend, dtype: ChunkDType, scaleInv: number, onDevice: boolean) {
  const accInit = new Float32Array(N);
  const rand = lcg(99);
  for (let i = 0; i < N; i++) accInit[i] = rand() * 4 - 2;
  const first = chunk(dtype, 1, scaleInv);
  const second = chunk(dtype, 2, scaleInv);
  // Two chunks in a row, as a rank receives them: each addition rounded to f32.
  const expected = new Float32Array(accInit);
  for (let i = 0; i < N; i++) expected[i] += first.decoded[i];
  for (let i = 0; i < N; i++) expected[i] += second.decoded[i];
  const acc = backend.upload('f32', [N], accInit);
  const arg = onDevice ? backend.upload('f32', [1], new Float32Array([scaleInv])) : scaleInv;
  const tensors = [first, second].map((c) => backend.upload(dtype, [N], c.data as never));
  for (const t of tensors) backend.accumulateChunk(t, acc, { scaleInv: arg });
  expectFloatsIdentical(await backend.read(acc), expected, 'acc');
  for (const t of [acc, ...tensors]) backend.dispose(t);
  if (typeof arg !== 'number') backend.dispose(arg);
}

/** Conformance cases of the comm ops: bit-exact, like the format ops. */
export const commCases: readonly ConformanceCase[] = [
  ...DTYPES.flatMap((dtype) =>
    [1, 0.0371].map(
      (scaleInv): ConformanceCase => ({
        op: 'accumulateChunk',
        name: `accumulateChunk ${dtype} scaleInv=${scaleInv}${scaleInv === 1 ? '' : ' (device scale)'}`,
        run: (backend) => checkAccumulate(backend, dtype, scaleInv, scaleInv !== 1),
      }),
    ),
  ),
  {
    op: 'accumulateChunk',
    name: 'accumulateChunk rejects bad arguments with the argument named',
    async run(backend) {
      const codes = backend.alloc('e4m3', [8]);
      const acc = backend.alloc('f32', [8]);
      const short = backend.alloc('f32', [7]);
      const ints = backend.alloc('i32', [8]);
      expectThrows(() => backend.accumulateChunk(codes, short), RangeError, 'chunk, acc', 'size mismatch');
      expectThrows(() => backend.accumulateChunk(ints as never, acc), TypeError, 'chunk', 'i32 chunk');
      expectThrows(() => backend.accumulateChunk(codes, codes as never), TypeError, 'acc', 'e4m3 acc');
      for (const t of [codes, acc, short, ints]) backend.dispose(t);
    },
  },
];
