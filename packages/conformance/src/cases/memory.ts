import { allocStorage, DTYPES, type DType, type StorageArray } from '@fp8lm/tensor-interface';
import {
  type ConformanceCase,
  ConformanceError,
  expectCodesEqual,
  expectFloatsIdentical,
  expectThrows,
} from '../case.js';
import { lcg } from '../inputs.js';

function sample<D extends DType>(dtype: D, n: number): StorageArray<D> {
  const data = allocStorage(dtype, n);
  const rand = lcg(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (dtype === 'f32') data[i] = (r - 0.5) * 1e3;
    else if (dtype === 'i32') data[i] = Math.floor((r - 0.5) * 2 ** 32);
    else data[i] = Math.floor(r * (data instanceof Uint16Array ? 65536 : 256));
  }
  return data;
}

/** Device memory: upload/read round trips, zero-filled alloc, dispose. */
export const memoryCases: ConformanceCase[] = [
  ...DTYPES.map(
    (dtype): ConformanceCase => ({
      op: 'memory',
      name: `upload/read round trip ${dtype}`,
      async run(backend) {
        const data = sample(dtype, 1000);
        const t = backend.upload(dtype, [10, 100], data);
        if (t.dtype !== dtype || t.size !== 1000 || t.shape.join() !== '10,100') {
          throw new ConformanceError(
            `upload: tensor has dtype ${t.dtype}, shape [${t.shape}], size ${t.size}`,
          );
        }
        data.fill(0); // the device copy must not alias the host array
        const back = await backend.read(t);
        const expected = sample(dtype, 1000);
        if (back instanceof Float32Array)
          expectFloatsIdentical(back, expected as Float32Array, `read ${dtype}`);
        else expectCodesEqual(back, expected, `read ${dtype}`);
        if (back.constructor !== data.constructor) {
          throw new ConformanceError(
            `read ${dtype}: expected a ${data.constructor.name}, found ${back.constructor.name}`,
          );
        }
        backend.dispose(t);
      },
    }),
  ),
  {
    op: 'memory',
    name: 'alloc is zero-filled',
    async run(backend) {
      for (const dtype of ['f32', 'e4m3', 'f16'] as const) {
        const t = backend.alloc(dtype, [7, 3]);
        const back = await backend.read(t);
        expectCodesEqual(back, new Array(21).fill(0), `alloc ${dtype}`);
        backend.dispose(t);
      }
    },
  },
  {
    op: 'memory',
    name: 'bad uploads are rejected with the argument named',
    async run(backend) {
      expectThrows(
        () => backend.upload('f32', [3], new Float32Array(4)),
        RangeError,
        'data',
        'length mismatch',
      );
      expectThrows(
        () => backend.upload('e4m3', [2], new Uint16Array(2) as never),
        TypeError,
        'data',
        'wrong storage',
      );
      expectThrows(() => backend.alloc('f8' as never, [2]), TypeError, 'dtype', 'unknown dtype');
      expectThrows(() => backend.alloc('f32', [-1]), TypeError, 'shape', 'negative extent');
    },
  },
  {
    op: 'memory',
    name: 'copy between tensors of one dtype',
    async run(backend) {
      const data = sample('e5m2', 300);
      const src = backend.upload('e5m2', [3, 100], data);
      const dst = backend.alloc('e5m2', [300]);
      backend.copy(src, dst);
      expectCodesEqual(await backend.read(dst), data, 'copy e5m2');
      const f = backend.alloc('f32', [300]);
      expectThrows(() => backend.copy(src, f as never), TypeError, 'dst', 'copy across dtypes');
      for (const t of [src, dst, f]) backend.dispose(t);
    },
  },
  {
    op: 'memory',
    name: 'a view shares storage under another shape',
    async run(backend) {
      const data = sample('f32', 24);
      const t = backend.upload('f32', [2, 3, 4], data);
      const v = backend.view(t, [6, 4]);
      if (v.shape.join() !== '6,4' || v.size !== 24) throw new ConformanceError(`view: shape [${v.shape}]`);
      const out = backend.alloc('f32', [1]);
      backend.amax(v, out);
      const expected = data.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expectFloatsIdentical(await backend.read(out), new Float32Array([expected]), 'amax through a view');
      const q = backend.alloc('e4m3', [24]);
      const qv = backend.view(q, [4, 6]);
      backend.quantize(v, qv);
      const codes = await backend.read(q);
      if (codes.every((c) => c === 0))
        throw new ConformanceError('a write through a view is not visible in its base');
      expectThrows(() => backend.view(t, [5, 5]), RangeError, 'shape', 'view with another element count');
      backend.dispose(v);
      backend.dispose(qv);
      for (const x of [t, out, q]) backend.dispose(x);
    },
  },
  {
    op: 'memory',
    name: 'fill sets every element',
    async run(backend) {
      const t = backend.upload('f32', [3, 5], sample('f32', 15));
      backend.fill(t, 0);
      expectFloatsIdentical(await backend.read(t), new Float32Array(15), 'fill 0');
      backend.fill(t, -2.5);
      expectFloatsIdentical(await backend.read(t), new Float32Array(15).fill(-2.5), 'fill -2.5');
      backend.dispose(t);
    },
  },
  {
    op: 'memory',
    name: 'a disposed tensor cannot be used',
    async run(backend) {
      const t = backend.upload('f32', [2], new Float32Array([1, 2]));
      const out = backend.alloc('f32', [1]);
      backend.dispose(t);
      expectThrows(() => backend.amax(t, out), Error, 'disposed', 'amax of a disposed tensor');
      backend.dispose(out);
    },
  },
];
