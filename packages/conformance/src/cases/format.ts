import {
  amax as amaxRef,
  counterUniform,
  decode,
  dequantize as dequantizeRef,
  E4M3,
  type FloatFormat,
  FORMATS,
  quantizeMX,
  quantize as quantizeRef,
} from '@fp8lm/fp8-format';
import {
  countSaturated,
  quantizeBlocks as referenceBlocks,
  computeScale as referenceComputeScale,
} from '@fp8lm/scaling';
import { allocStorage, type Backend } from '@fp8lm/tensor-interface';
import {
  type ConformanceCase,
  ConformanceError,
  expectCodesEqual,
  expectFloatsIdentical,
  expectThrows,
} from '../case.js';
import { formatInputs, lcg } from '../inputs.js';

const SCALES = [1, 2 ** -5, 0.37, 300];

/** The host formula of @fp8lm/scaling, the reference for the device op. */
function referenceScale(fpMax: number, amax: number, margin: number, previous: number): number {
  return referenceComputeScale(fpMax, Math.abs(amax), { margin, previous });
}

function canSaturateOff(fmt: FloatFormat): boolean {
  return fmt.nanCode !== null || fmt.infinityCode !== null;
}

async function checkQuantize(
  backend: Backend,
  fmt: FloatFormat,
  scale: number,
  saturate: boolean,
  scaleOnDevice: boolean,
): Promise<void> {
  const x = formatInputs(fmt, scale);
  const expected = allocStorage(fmt.name, x.length);
  const { amax } = quantizeRef(fmt, x, expected, { scale, saturate });
  const src = backend.upload('f32', [x.length], x);
  const dst = backend.alloc(fmt.name, [x.length]);
  const amaxOut = backend.alloc('f32', [4]);
  const scaleArg = scaleOnDevice ? backend.upload('f32', [1], new Float32Array([scale])) : scale;
  backend.quantize(src, dst, { scale: scaleArg, saturate, amaxOut, amaxIndex: 2 });
  expectCodesEqual(await backend.read(dst), expected, `codes`);
  const amaxes = await backend.read(amaxOut);
  expectFloatsIdentical(amaxes, new Float32Array([0, 0, amax, 0]), 'amaxOut');
  for (const t of [src, dst, amaxOut]) backend.dispose(t);
  if (typeof scaleArg !== 'number') backend.dispose(scaleArg);
}

const quantizeCases: ConformanceCase[] = Object.values(FORMATS).flatMap((fmt) =>
  SCALES.flatMap((scale) =>
    [true, false]
      .filter((saturate) => saturate || canSaturateOff(fmt))
      .map(
        (saturate): ConformanceCase => ({
          op: 'quantize',
          name: `quantize ${fmt.name} scale=${scale}${saturate ? '' : ' no-saturate'}`,
          // A device-side scale on every other case, so both ScaleArg forms are covered.
          run: (backend) => checkQuantize(backend, fmt, scale, saturate, scale === 0.37 || scale === 2 ** -5),
        }),
      ),
  ),
);

const stochasticCases: ConformanceCase[] = (['e4m3', 'e5m2', 'f16', 'bf16', 'e2m1'] as const).map((name) => ({
  op: 'quantize',
  name: `quantize ${name} stochastic rounding is the counter-based reference`,
  async run(backend) {
    const fmt = FORMATS[name];
    const x = formatInputs(fmt, 0.75, 4096);
    const expected = allocStorage(name, x.length);
    quantizeRef(fmt, x, expected, { scale: 0.75, rounding: 'stochastic', seed: 1234 });
    const src = backend.upload('f32', [x.length], x);
    const dst = backend.alloc(name, [x.length]);
    backend.quantize(src, dst, { scale: 0.75, rounding: 'stochastic', seed: 1234 });
    expectCodesEqual(await backend.read(dst), expected, 'codes');
    // The draws must be the documented ones: check a few directly.
    if (!(counterUniform(1234, 0) >= 0 && counterUniform(1234, 0) < 1))
      throw new ConformanceError('counterUniform range');
    backend.dispose(src);
    backend.dispose(dst);
  },
}));

const dequantizeCases: ConformanceCase[] = Object.values(FORMATS).flatMap((fmt) =>
  [1, 0.125, 3.7].map(
    (scaleInv): ConformanceCase => ({
      op: 'dequantize',
      name: `dequantize ${fmt.name} every code scaleInv=${scaleInv}`,
      async run(backend) {
        const codes = allocStorage(fmt.name, 2 ** fmt.bits);
        for (let c = 0; c < codes.length; c++) codes[c] = c;
        const expected = new Float32Array(codes.length);
        dequantizeRef(fmt, codes, expected, { scaleInv });
        const src = backend.upload(fmt.name, [codes.length], codes);
        const dst = backend.alloc('f32', [codes.length]);
        const arg = scaleInv === 3.7 ? backend.upload('f32', [1], new Float32Array([scaleInv])) : scaleInv;
        backend.dequantize(src, dst, { scaleInv: arg });
        expectFloatsIdentical(await backend.read(dst), expected, 'values');
        backend.dispose(src);
        backend.dispose(dst);
        if (typeof arg !== 'number') backend.dispose(arg);
      },
    }),
  ),
);

const amaxCases: ConformanceCase[] = [
  {
    op: 'amax',
    name: 'amax of random, negative, empty and NaN inputs',
    async run(backend) {
      const rand = lcg(7);
      const big = new Float32Array(100_003).map(() => (rand() - 0.5) * 2 ** (rand() * 40 - 20));
      big[77_777] = -123456.75;
      const inputs = [
        big,
        new Float32Array([-3, 2, -0]),
        new Float32Array(0),
        new Float32Array([1, Number.NaN, 5]),
        new Float32Array([-Infinity, 1]),
      ];
      const out = backend.alloc('f32', [inputs.length]);
      const tensors = inputs.map((x) => backend.upload('f32', [x.length], x));
      for (const [i, t] of tensors.entries()) backend.amax(t, out, i);
      expectFloatsIdentical(await backend.read(out), new Float32Array(inputs.map(amaxRef)), 'amax');
      for (const t of [...tensors, out]) backend.dispose(t);
    },
  },
];

/** Every code of the format once (in a shuffled order), then `extra` random codes. */
function codeSample(fmt: FloatFormat, extra: number, seed: number): Uint8Array | Uint16Array {
  const n = 2 ** fmt.bits;
  const codes = allocStorage(fmt.name, n + extra) as Uint8Array | Uint16Array;
  const rand = lcg(seed);
  for (let c = 0; c < n; c++) codes[c] = c;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [codes[i], codes[j]] = [codes[j], codes[i]];
  }
  for (let i = n; i < codes.length; i++) codes[i] = Math.floor(rand() * n);
  return codes;
}

const countCodesCases: ConformanceCase[] = Object.values(FORMATS).map(
  (fmt): ConformanceCase => ({
    op: 'countCodes',
    name: `countCodes ${fmt.name}: zeros as decode, saturation as @fp8lm/scaling countSaturated, sizes 0..100k`,
    async run(backend) {
      const big = codeSample(fmt, 100_003, fmt.bits);
      const inputs = [big, big.subarray(0, 1), big.subarray(0, 3), big.subarray(0, 0), big.subarray(5, 4102)];
      // Slots 2i, 2i + 1 per input, between sentinels that must stay as they are.
      const out = backend.upload(
        'i32',
        [2 * inputs.length + 2],
        new Int32Array(2 * inputs.length + 2).fill(-7),
      );
      const tensors = inputs.map((codes) => backend.upload(fmt.name, [codes.length], codes));
      for (const [i, t] of tensors.entries()) backend.countCodes(t, out, 2 * i + 1);
      const expected = new Int32Array(2 * inputs.length + 2).fill(-7);
      for (const [i, codes] of inputs.entries()) {
        let zeros = 0;
        for (const c of codes) if (decode(fmt, c) === 0) zeros++;
        expected[2 * i + 1] = zeros;
        expected[2 * i + 2] = countSaturated(fmt, codes);
      }
      expectCodesEqual(await backend.read(out), expected, 'counts');
      for (const t of [...tensors, out]) backend.dispose(t);
    },
  }),
);

const computeScaleCases: ConformanceCase[] = [
  {
    op: 'computeScale',
    name: 'computeScale follows @fp8lm/scaling computeScale, keeps the previous scale on 0/NaN/Inf',
    async run(backend) {
      const amaxes = [3.7, 1e-30, 448, 1e-45, 0, Number.NaN, Number.POSITIVE_INFINITY, 6.1e4];
      const amax = backend.upload('f32', [amaxes.length], new Float32Array(amaxes));
      const scale = backend.upload('f32', [1], new Float32Array([0.5]));
      const scaleInv = backend.upload('f32', [1], new Float32Array([2]));
      let previous = 0.5;
      for (const [i, a] of amaxes.entries()) {
        for (const margin of [0, 2]) {
          backend.computeScale(amax, scale, scaleInv, { fpMax: 448, margin, amaxIndex: i });
          const expected = referenceScale(448, Math.fround(a), margin, previous);
          const [s] = await backend.read(scale);
          const [si] = await backend.read(scaleInv);
          expectFloatsIdentical(
            new Float32Array([s, si]),
            new Float32Array([expected, 1 / expected]),
            `amax ${a} margin ${margin}`,
          );
          previous = expected;
        }
      }
      for (const t of [amax, scale, scaleInv]) backend.dispose(t);
    },
  },
];

function blockInput(rows: number, cols: number, seed: number): Float32Array {
  const rand = lcg(seed);
  // Rows and columns of very different magnitudes, so every block gets its own scale.
  return new Float32Array(rows * cols).map(
    (_, i) => (rand() - 0.5) * 2 ** (((i % cols) % 7) - (Math.floor(i / cols) % 5) * 3),
  );
}

const BLOCK_SHAPES: [number, number, number, number][] = [
  [4, 256, 1, 128],
  [200, 130, 128, 128],
  [70, 9, 32, 1],
  [3, 100, 1, 32],
];

const quantizeBlocksCases: ConformanceCase[] = [
  ...(['f32', 'pow2'] as const).flatMap((scaleType) =>
    BLOCK_SHAPES.map(
      ([rows, cols, br, bc]): ConformanceCase => ({
        op: 'quantizeBlocks',
        name: `quantizeBlocks e4m3 [${rows}, ${cols}] in ${br}×${bc} blocks, ${scaleType} scales = @fp8lm/scaling quantizeBlocks`,
        async run(backend) {
          const x = blockInput(rows, cols, rows + cols);
          x[5] = Number.NaN;
          const ref = referenceBlocks(E4M3, x, rows, cols, { tile: [br, bc], scaleType });
          const src = backend.upload('f32', [rows, cols], x);
          const dst = backend.alloc('e4m3', [rows, cols]);
          const scaleInv = backend.alloc('f32', [ref.tileRows, ref.tileCols]);
          backend.quantizeBlocks(src, dst, scaleInv, { blockRows: br, blockCols: bc, scaleType });
          expectCodesEqual(await backend.read(dst), ref.codes, 'codes');
          expectFloatsIdentical(await backend.read(scaleInv), ref.scaleInvs, 'scaleInv');
          for (const t of [src, dst, scaleInv]) backend.dispose(t);
        },
      }),
    ),
  ),
  ...(
    [
      [6, 100, false],
      [96, 7, true],
    ] as const
  ).map(
    ([rows, cols, columns]): ConformanceCase => ({
      op: 'quantizeBlocks',
      name: `quantizeBlocks e4m3 [${rows}, ${cols}] in MX ${columns ? '32×1' : '1×32'} blocks with E8M0 scales = quantizeMX`,
      async run(backend) {
        const x = blockInput(rows, cols, 3);
        x[7] = Number.POSITIVE_INFINITY;
        // The reference quantizes along rows; column blocks are the row blocks of the transpose.
        const t = new Float32Array(rows * cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        const mx = quantizeMX(E4M3, columns ? t : x, { rowLength: columns ? rows : cols });
        const expectedCodes = new Uint8Array(rows * cols);
        if (columns)
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < cols; j++) expectedCodes[i * cols + j] = mx.codes[j * rows + i];
        else expectedCodes.set(mx.codes);
        const [gr, gc] = columns ? [Math.ceil(rows / 32), cols] : [rows, Math.ceil(cols / 32)];
        const expectedScales = new Uint8Array(gr * gc);
        if (columns)
          for (let bi = 0; bi < gr; bi++)
            for (let j = 0; j < cols; j++) expectedScales[bi * gc + j] = mx.scales[j * gr + bi];
        else expectedScales.set(mx.scales);
        const src = backend.upload('f32', [rows, cols], x);
        const dst = backend.alloc('e4m3', [rows, cols]);
        const scaleInv = backend.alloc('e8m0', [gr, gc]);
        backend.quantizeBlocks(src, dst, scaleInv, {
          blockRows: columns ? 32 : 1,
          blockCols: columns ? 1 : 32,
        });
        expectCodesEqual(await backend.read(dst), expectedCodes, 'codes');
        expectCodesEqual(await backend.read(scaleInv), expectedScales, 'E8M0 scales');
        for (const tt of [src, dst, scaleInv]) backend.dispose(tt);
      },
    }),
  ),
];

const orderingCases: ConformanceCase[] = [
  {
    op: 'quantize',
    name: 'enqueued ops run in order before read resolves',
    async run(backend) {
      const x = new Float32Array([1.5, -2.25, 100, 0.001]);
      const src = backend.upload('f32', [4], x);
      const q = backend.alloc('e4m3', [4]);
      const y = backend.alloc('f32', [4]);
      const scale = backend.upload('f32', [1], new Float32Array([2]));
      backend.quantize(src, q, { scale });
      backend.dequantize(q, y, { scaleInv: 0.5 });
      const expectedCodes = new Uint8Array(4);
      quantizeRef('e4m3', x, expectedCodes, { scale: 2 });
      const expected = new Float32Array(4);
      dequantizeRef('e4m3', expectedCodes, expected, { scaleInv: 0.5 });
      expectFloatsIdentical(await backend.read(y), expected, 'quantize then dequantize');
      for (const t of [src, q, y, scale]) backend.dispose(t);
    },
  },
];

const errorCases: ConformanceCase[] = [
  {
    op: 'quantize',
    name: 'format ops reject bad arguments with the argument named',
    async run(backend) {
      const x = backend.upload('f32', [4], new Float32Array(4));
      const q = backend.alloc('e4m3', [4]);
      const q3 = backend.alloc('e4m3', [3]);
      const f = backend.alloc('f32', [4]);
      expectThrows(() => backend.quantize(q as never, q), TypeError, 'src', 'quantize from e4m3');
      expectThrows(() => backend.quantize(x, f as never), TypeError, 'dst', 'quantize into f32');
      expectThrows(() => backend.quantize(x, q3), RangeError, 'src, dst', 'size mismatch');
      expectThrows(() => backend.quantize(x, q, { scale: Number.NaN }), RangeError, 'scale', 'NaN scale');
      expectThrows(
        () => backend.quantize(x, q, { amaxOut: f, amaxIndex: 9 }),
        RangeError,
        'amaxIndex',
        'amaxIndex outside',
      );
      expectThrows(() => backend.dequantize(q, q as never), TypeError, 'dst', 'dequantize into e4m3');
      expectThrows(
        () => backend.dequantize(q, f, { scaleInv: -1 }),
        RangeError,
        'scaleInv',
        'negative scaleInv',
      );
      expectThrows(() => backend.amax(x, f, 4), RangeError, 'index', 'amax index outside');
      const counts = backend.alloc('i32', [4]);
      expectThrows(() => backend.countCodes(x as never, counts), TypeError, 'src', 'countCodes of f32');
      expectThrows(() => backend.countCodes(q, f as never), TypeError, 'out', 'countCodes into f32');
      expectThrows(
        () => backend.countCodes(q, counts, 3),
        RangeError,
        'index',
        'countCodes index + 1 outside',
      );
      backend.dispose(counts);
      for (const t of [x, q, q3, f]) backend.dispose(t);
    },
  },
];

/** Format ops: quantize (every format, scale, saturation mode), stochastic rounding, dequantize, amax, countCodes. Bit-exact. */
export const formatCases: ConformanceCase[] = [
  ...quantizeCases,
  ...stochasticCases,
  ...dequantizeCases,
  ...amaxCases,
  ...countCodesCases,
  ...computeScaleCases,
  ...quantizeBlocksCases,
  ...orderingCases,
  ...errorCases,
];
