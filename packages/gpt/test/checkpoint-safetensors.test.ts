import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeSafetensors,
  MAX_HEADER_BYTES,
  parseSafetensors,
  readSafetensors,
  SAFETENSORS_DTYPE_BYTES,
  type SafetensorsArray,
  type SafetensorsDType,
  SafetensorsError,
  type SafetensorsTensor,
  writeSafetensors,
} from '@fp8lm/gpt';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'fp8lm-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const tmpFiles = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));

/** Random bits of `n` elements of `dtype` (every bit pattern, NaN payloads included). */
function randomTensor(dtype: SafetensorsDType, shape: number[], seed: number): SafetensorsTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = new Uint8Array(n * SAFETENSORS_DTYPE_BYTES[dtype]);
  let s = seed;
  for (let i = 0; i < raw.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    raw[i] = s >>> 24;
  }
  const b = raw.buffer;
  const data: Record<SafetensorsDType, () => SafetensorsArray> = {
    BOOL: () => raw.map((x) => x & 1),
    U8: () => raw,
    I8: () => new Int8Array(b),
    F8_E5M2: () => raw,
    F8_E4M3: () => raw,
    F8_E8M0: () => raw,
    I16: () => new Int16Array(b),
    U16: () => new Uint16Array(b),
    F16: () => new Uint16Array(b),
    BF16: () => new Uint16Array(b),
    I32: () => new Int32Array(b),
    U32: () => new Uint32Array(b),
    F32: () => new Float32Array(b),
    I64: () => new BigInt64Array(b),
    U64: () => new BigUint64Array(b),
    F64: () => new Float64Array(b),
  };
  return { dtype, shape, data: data[dtype]() };
}

/** A file from a header (object or raw JSON text) and a data buffer, with a correct length prefix. */
function build(header: unknown, buffer: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}

describe('safetensors writer and reader', () => {
  it('round-trips every dtype bit-exactly, including scalars and empty tensors', async () => {
    const dtypes = Object.keys(SAFETENSORS_DTYPE_BYTES) as SafetensorsDType[];
    const tensors: Record<string, SafetensorsTensor> = {};
    dtypes.forEach((d, i) => {
      tensors[`t.${d}`] = randomTensor(d, [3, 5], i + 1);
    });
    tensors.scalar = randomTensor('F32', [], 99);
    tensors.empty = randomTensor('BF16', [0, 4], 98);
    tensors['weird name/ü.0'] = randomTensor('F8_E4M3', [7], 97);
    const path = join(dir, 'all.safetensors');
    await writeSafetensors(path, tensors, { note: 'hi', json: '{"a":1}' });
    const file = await readSafetensors(path);
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = file.tensors[name];
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(bytesOf(got.data)).toEqual(bytesOf(t.data));
      expect(got.data.byteOffset).toBe(0); // copied into its own aligned buffer
    }
    expect(file.metadata).toEqual({ note: 'hi', json: '{"a":1}' });
    expect((8 + file.headerLength) % 8).toBe(0);
    expect(parseSafetensors(new Uint8Array(readFileSync(path))).tensors['t.F64'].data).toEqual(
      tensors['t.F64'].data,
    );
    expect(tmpFiles()).toEqual([]);
  });

  it('writes the exact byte layout: u64 header length, padded JSON header, buffer ordered by dtype size', () => {
    const chunks = encodeSafetensors(
      {
        c: { dtype: 'F8_E4M3', shape: [3], data: Uint8Array.from([1, 2, 3]) },
        b: { dtype: 'F16', shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
        a: { dtype: 'F32', shape: [1, 2], data: Float32Array.from([1.5, -2]) },
      },
      { k: 'v' },
    );
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }

    const json =
      '{"__metadata__":{"k":"v"},' +
      '"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},' +
      '"c":{"dtype":"F8_E4M3","shape":[3],"data_offsets":[12,15]}}';
    expect(json.length).toBe(194); // padded with 6 spaces to 200
    const expected = [
      ...[200, 0, 0, 0, 0, 0, 0, 0],
      ...new TextEncoder().encode(json),
      ...Array(6).fill(0x20),
      ...[0x00, 0x00, 0xc0, 0x3f], // 1.5f
      ...[0x00, 0x00, 0x00, 0xc0], // -2f
      ...[0x00, 0x3c, 0x00, 0xc0], // f16 1, -2
      ...[1, 2, 3],
    ];
    expect([...bytes]).toEqual(expected);
    const parsed = parseSafetensors(bytes);
    expect(parsed.headerLength).toBe(200);
    expect([...parsed.tensors.a.data]).toEqual([1.5, -2]);
  });

  it('validates the writer arguments before touching the disk', async () => {
    const path = join(dir, 'never.safetensors');
    const write = (t: unknown, m?: unknown) =>
      writeSafetensors(path, t as Record<string, SafetensorsTensor>, m as Record<string, string>);
    await expect(write({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).rejects.toThrow(
      'tensors["x"].data: shape [3] has 3 elements, found 2',
    );
    await expect(write({ x: { dtype: 'F16', shape: [2], data: new Float32Array(2) } })).rejects.toThrow(
      'tensors["x"].data: dtype F16 is stored in a Uint16Array, found Float32Array',
    );
    await expect(write({ x: { dtype: 'F4', shape: [2], data: new Uint8Array(2) } })).rejects.toThrow(
      /tensors\["x"\].dtype: expected one of BOOL, U8, .*, found "F4"/,
    );
    await expect(write({ x: { dtype: 'U8', shape: [-1], data: new Uint8Array(0) } })).rejects.toThrow(
      'tensors["x"].shape: expected an array of non-negative integers, found [-1]',
    );
    await expect(
      write({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }),
    ).rejects.toThrow(/the name __metadata__ is reserved/);
    await expect(write({}, { n: 1 })).rejects.toThrow('metadata["n"]: expected a string, found number');
    expect(existsSync(path)).toBe(false);
  });
});

describe('atomic write', () => {
  it('a write that fails midway leaves the previous file intact and no temp file', async () => {
    const path = join(dir, 'keep.safetensors');
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) } });
    const before = readFileSync(path);
    const bad = new Float32Array(4);
    // The tensor's bytes are read while the temp file is being written: make that throw.
    Object.defineProperty(bad, 'buffer', {
      get() {
        throw new Error('disk on fire');
      },
    });
    await expect(
      writeSafetensors(path, {
        a: { dtype: 'F32', shape: [4], data: new Float32Array(4) },
        b: { dtype: 'F32', shape: [4], data: bad },
      }),
    ).rejects.toThrow('disk on fire');
    expect(readFileSync(path)).toEqual(before);
    expect(tmpFiles()).toEqual([]);
  });

  it('a missing directory is a clear error and creates nothing', async () => {
    const path = join(dir, 'no', 'such', 'dir', 'x.safetensors');
    await expect(writeSafetensors(path, {})).rejects.toThrow(
      `cannot write ${path}: the directory ${join(dir, 'no', 'such', 'dir')} does not exist`,
    );
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('replaces an existing file completely', async () => {
    const path = join(dir, 'replace.safetensors');
    await writeSafetensors(path, { big: { dtype: 'U8', shape: [1000], data: new Uint8Array(1000) } });
    await writeSafetensors(path, { small: { dtype: 'U8', shape: [1], data: Uint8Array.from([7]) } });
    const file = await readSafetensors(path);
    expect(Object.keys(file.tensors)).toEqual(['small']);
    expect(readFileSync(path).length).toBe(8 + file.headerLength + 1);
  });
});

describe('safetensors reader rejects malformed files with a clear error', () => {
  const f32 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const buf8 = new Uint8Array(8);
  const cases: [string, Uint8Array, string | RegExp][] = [
    [
      'an empty file',
      new Uint8Array(0),
      'f: not a safetensors file: expected at least 8 bytes (the header length), found 0',
    ],
    ['a file shorter than 8 bytes', new Uint8Array(5), /found 5$/],
    [
      'a header length above the cap',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
        return b;
      })(),
      `f: header length 1099511627776 exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`,
    ],
    [
      'a header length beyond the end of the file',
      build({ w: f32 }, buf8).subarray(0, 30),
      /^f: truncated: the header length is \d+ bytes, so expected at least \d+ bytes, found 30$/,
    ],
    ['a header that is not JSON', build('{"w": {"dtype": "F32",'), /^f: header is not valid JSON: /],
    ['a header that is not UTF-8', build(''), 'f: header is not valid UTF-8'],
    ['a header that is a JSON array', build('[1, 2]'), 'f: header: expected a JSON object, found an array'],
    [
      'an unknown dtype',
      build({ w: { ...f32, dtype: 'F7' } }, buf8),
      /^f: tensor "w": unknown dtype "F7" \(expected one of BOOL, U8, /,
    ],
    [
      'a negative or fractional shape',
      build({ w: { ...f32, shape: [2.5] } }, buf8),
      'f: tensor "w": shape: expected an array of non-negative integers, found [2.5]',
    ],
    [
      'offsets that are not two integers',
      build({ w: { ...f32, data_offsets: [0] } }, buf8),
      'f: tensor "w": data_offsets: expected [begin, end] of non-negative integers, found [0]',
    ],
    [
      'begin after end',
      build({ w: { ...f32, data_offsets: [8, 0] } }, buf8),
      'f: tensor "w": data_offsets [8, 0]: begin is after end',
    ],
    [
      'offsets outside the buffer (a truncated file)',
      build({ w: { ...f32, shape: [4], data_offsets: [0, 16] } }, buf8),
      'f: tensor "w": data_offsets [0, 16] run past the end of the data buffer: expected end ≤ 8 (truncated file?)',
    ],
    [
      'a byte length that is not shape × dtype size',
      build({ w: { ...f32, shape: [3] } }, buf8),
      'f: tensor "w": data_offsets [0, 8] hold 8 bytes, expected 12 (shape [3] × 4 bytes of F32)',
    ],
    [
      'overlapping tensors',
      build({ a: f32, b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, buf8),
      'f: tensor "b": data_offsets [4, 8] overlap tensor "a", which ends at 8',
    ],
    [
      'a hole between tensors',
      build(
        {
          a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
          b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
        },
        buf8,
      ),
      'f: tensor "b": bytes [2, 4) of the data buffer belong to no tensor: expected tensor data to start at 2, found 4',
    ],
    [
      'a hole at the start',
      build({ b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, buf8),
      /bytes \[0, 4\) of the data buffer belong to no tensor/,
    ],
    [
      'trailing bytes after the last tensor',
      build({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, buf8),
      /^f: bytes \[4, 8\) at the end of the data buffer belong to no tensor: expected the file to end at byte \d+, found \d+ bytes$/,
    ],
    [
      'non-string metadata',
      build({ __metadata__: { step: 3 }, w: f32 }, buf8),
      'f: __metadata__["step"]: expected a string, found number',
    ],
    [
      'metadata that is not an object',
      build({ __metadata__: ['x'], w: f32 }, buf8),
      'f: __metadata__: expected an object of strings, found an array',
    ],
    [
      'an entry that is not an object',
      build({ w: 'F32' }, buf8),
      'f: tensor "w": expected { dtype, shape, data_offsets }, found "F32"',
    ],
    [
      'an unknown entry field',
      build({ w: { ...f32, stride: [1] } }, buf8),
      'f: tensor "w": unknown field "stride" (expected dtype, shape, data_offsets)',
    ],
  ];
  // a non-UTF-8 header: replace the placeholder with an invalid byte
  cases[5][1] = (() => {
    const b = build('{"a":1}');
    b[9] = 0xff;
    return b;
  })();

  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, () => {
      let error: unknown;
      try {
        parseSafetensors(bytes, 'f');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      if (typeof message === 'string') expect((error as Error).message).toBe(message);
      else expect((error as Error).message).toMatch(message);
    });
  }

  it('accepts what the format allows: no metadata, null metadata, unpadded header, zero-size tensors', () => {
    expect(parseSafetensors(build({}, new Uint8Array(0), false)).tensors).toEqual({});
    const f = parseSafetensors(
      build(
        {
          __metadata__: null,
          z: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
          a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
        },
        Uint8Array.from([5, 6]),
        false,
      ),
    );
    expect(f.metadata).toEqual({});
    expect([...f.tensors.a.data]).toEqual([5, 6]);
    expect(f.tensors.z.data.length).toBe(0);
  });

  it('names the file when reading from disk, and a missing file', async () => {
    const path = join(dir, 'truncated.safetensors');
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 3));
    await expect(readSafetensors(path)).rejects.toThrow(
      `${path}: tensor "w": data_offsets [0, 16] run past the end of the data buffer: expected end ≤ 13 (truncated file?)`,
    );
    await expect(readSafetensors(join(dir, 'missing.safetensors'))).rejects.toThrow(
      `safetensors file ${join(dir, 'missing.safetensors')} does not exist`,
    );
  });
});
