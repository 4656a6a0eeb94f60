/**
 * Element types known to fp8lm. FP8/FP6/FP4 and E8M0 codes are stored one code per byte
 * (`Uint8Array`), FP16/BF16 as raw bits in `Uint16Array` (Node 20 has no `Float16Array`).
 */
export const DTYPES = [
  'f32',
  'f16',
  'bf16',
  'e4m3',
  'e5m2',
  'e4m3fnuz',
  'e5m2fnuz',
  'e8m0',
  'e3m2',
  'e2m3',
  'e2m1',
  'i32',
] as const;

/** One of {@link DTYPES}. */
export type DType = (typeof DTYPES)[number];

/** Types whose elements are codes of a low-precision float format (everything but f32 and i32). */
export type CodeDType = Exclude<DType, 'f32' | 'i32'>;
/** Every {@link CodeDType}, in {@link DTYPES} order. */
export const CODE_DTYPES: readonly CodeDType[] = DTYPES.filter(
  (d): d is CodeDType => d !== 'f32' && d !== 'i32',
);

/** Dtypes stored one code per byte. */
export type ByteDType = Exclude<CodeDType, 'f16' | 'bf16'>;
/** Dtypes stored as 16-bit raw bits. */
export type HalfDType = 'f16' | 'bf16';

/** The typed array that holds elements of a given dtype. */
export type StorageArray<D extends DType = DType> = D extends 'f32'
  ? Float32Array
  : D extends 'i32'
    ? Int32Array
    : D extends HalfDType
      ? Uint16Array
      : Uint8Array;

/** Facts about a dtype's storage. */
export interface DTypeInfo {
  /** Bits of information per element (4 for E2M1 even though it is stored one per byte). */
  readonly bits: number;
  /** Bytes one element occupies in its storage array. */
  readonly bytes: number;
  /** Name of the typed-array class that stores it. */
  readonly storage: 'Float32Array' | 'Int32Array' | 'Uint16Array' | 'Uint8Array';
}

const INFO: Record<DType, DTypeInfo> = {
  f32: { bits: 32, bytes: 4, storage: 'Float32Array' },
  i32: { bits: 32, bytes: 4, storage: 'Int32Array' },
  f16: { bits: 16, bytes: 2, storage: 'Uint16Array' },
  bf16: { bits: 16, bytes: 2, storage: 'Uint16Array' },
  e4m3: { bits: 8, bytes: 1, storage: 'Uint8Array' },
  e5m2: { bits: 8, bytes: 1, storage: 'Uint8Array' },
  e4m3fnuz: { bits: 8, bytes: 1, storage: 'Uint8Array' },
  e5m2fnuz: { bits: 8, bytes: 1, storage: 'Uint8Array' },
  e8m0: { bits: 8, bytes: 1, storage: 'Uint8Array' },
  e3m2: { bits: 6, bytes: 1, storage: 'Uint8Array' },
  e2m3: { bits: 6, bytes: 1, storage: 'Uint8Array' },
  e2m1: { bits: 4, bytes: 1, storage: 'Uint8Array' },
};

/** True if `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(INFO, value);
}

/** Storage facts of `dtype`; throws a TypeError naming the bad value otherwise. */
export function dtypeInfo(dtype: DType): DTypeInfo {
  if (!isDType(dtype)) {
    throw new TypeError(`dtype: expected one of ${DTYPES.join(', ')}, found ${JSON.stringify(dtype)}`);
  }
  return INFO[dtype];
}

/** Bytes per element in storage. */
export function dtypeByteSize(dtype: DType): number {
  return dtypeInfo(dtype).bytes;
}

/** A new zero-filled storage array of `length` elements for `dtype`. */
export function allocStorage<D extends DType>(dtype: D, length: number): StorageArray<D> {
  const { storage } = dtypeInfo(dtype);
  const ctor = { Float32Array, Int32Array, Uint16Array, Uint8Array }[storage];
  return new ctor(length) as StorageArray<D>;
}

/** True if `array` is the storage class `dtype` uses. */
export function isStorageFor(dtype: DType, array: unknown): boolean {
  const { storage } = dtypeInfo(dtype);
  return ArrayBuffer.isView(array) && array.constructor.name === storage;
}

/** Throws a TypeError naming `argument` unless `array` is `dtype`'s storage class. */
export function assertStorageFor(dtype: DType, array: unknown, argument: string): void {
  if (!isStorageFor(dtype, array)) {
    const found = ArrayBuffer.isView(array) ? array.constructor.name : typeof array;
    throw new TypeError(
      `${argument}: dtype ${dtype} is stored in a ${dtypeInfo(dtype).storage}, found ${found}`,
    );
  }
}
