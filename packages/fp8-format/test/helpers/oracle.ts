// An independent brute-force reference for every format, written from the DESIGN.md format table
// (not from the package's sources). Decoding follows the textbook field formula; encoding lists every
// finite code's value and picks the nearest one by exact comparison, ties to the even code.
//
// Exactness: every value here is a dyadic rational. A float32 `a` and two neighbouring code values
// `lo < hi` (≤ 24 significant bits each, exponents close together, or lo = 0) are compared as
// `2a` against `lo + hi`; both sides are exact in double precision, so the comparison is exact.

import { addWithNeighbours, FLOAT32_SPECIAL_BITS } from './float32.js';

export type Specials = 'ieee' | 'fn' | 'fnuz' | 'none' | 'e8m0';

export interface OracleFormat {
  name: string;
  e: number;
  m: number;
  bias: number;
  specials: Specials;
}

/** The formats of DESIGN.md ("Formats and conventions"). */
export const ORACLE_FORMATS: Record<string, OracleFormat> = {
  e4m3: { name: 'e4m3', e: 4, m: 3, bias: 7, specials: 'fn' },
  e5m2: { name: 'e5m2', e: 5, m: 2, bias: 15, specials: 'ieee' },
  e4m3fnuz: { name: 'e4m3fnuz', e: 4, m: 3, bias: 8, specials: 'fnuz' },
  e5m2fnuz: { name: 'e5m2fnuz', e: 5, m: 2, bias: 16, specials: 'fnuz' },
  e8m0: { name: 'e8m0', e: 8, m: 0, bias: 127, specials: 'e8m0' },
  e3m2: { name: 'e3m2', e: 3, m: 2, bias: 3, specials: 'none' },
  e2m3: { name: 'e2m3', e: 2, m: 3, bias: 1, specials: 'none' },
  e2m1: { name: 'e2m1', e: 2, m: 1, bias: 1, specials: 'none' },
  f16: { name: 'f16', e: 5, m: 10, bias: 15, specials: 'ieee' },
  bf16: { name: 'bf16', e: 8, m: 7, bias: 127, specials: 'ieee' },
};

export function codeBits(f: OracleFormat): number {
  return f.specials === 'e8m0' ? 8 : 1 + f.e + f.m;
}

function signBit(f: OracleFormat): number {
  return f.specials === 'e8m0' ? 0 : 1 << (f.e + f.m);
}

/** The value of a magnitude code by the field formula, ignoring specials (also for one past the top). */
function fieldValue(f: OracleFormat, mag: number): number {
  if (f.specials === 'e8m0') return 2 ** (mag - f.bias);
  const field = Math.floor(mag / 2 ** f.m);
  const mant = mag % 2 ** f.m;
  if (field === 0) return mant * 2 ** (1 - f.bias - f.m);
  return 2 ** (field - f.bias) * (1 + mant / 2 ** f.m);
}

/** Decodes a code: NaN for NaN codes, ±Infinity, signed zeros. */
export function oracleDecode(f: OracleFormat, code: number): number {
  const bits = codeBits(f);
  if (!Number.isInteger(code) || code < 0 || code >= 2 ** bits) throw new Error(`bad code ${code}`);
  if (f.specials === 'e8m0') return code === 0xff ? Number.NaN : fieldValue(f, code);
  const sb = signBit(f);
  const mag = code & (sb - 1);
  const negative = (code & sb) !== 0;
  const allOnesField = (1 << f.e) - 1;
  switch (f.specials) {
    case 'ieee':
      if (mag >> f.m === allOnesField) {
        if ((mag & ((1 << f.m) - 1)) !== 0) return Number.NaN;
        return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      }
      break;
    case 'fn':
      if (mag === sb - 1) return Number.NaN;
      break;
    case 'fnuz':
      if (code === sb) return Number.NaN;
      break;
    default:
      break;
  }
  const v = fieldValue(f, mag);
  return negative ? -v : v;
}

interface Entry {
  value: number;
  /** Magnitude code (no sign bit). */
  code: number;
  /** The sentinel one step past the largest finite value: choosing it means overflow. */
  overflow: boolean;
}

export interface OracleTable {
  format: OracleFormat;
  /** Non-negative finite values with their codes, ascending, plus the overflow sentinel at the end. */
  entries: Entry[];
  maxFinite: number;
  maxCode: number;
  minSubnormal: number;
  nanCode: number | null;
  infinityCode: number | null;
}

const tables = new Map<string, OracleTable>();

export function oracleTable(f: OracleFormat): OracleTable {
  const cached = tables.get(f.name);
  if (cached) return cached;
  const sb = signBit(f);
  const positiveCodes = f.specials === 'e8m0' ? 256 : sb;
  const entries: Entry[] = [];
  for (let code = 0; code < positiveCodes; code++) {
    const v = oracleDecode(f, code);
    if (Number.isFinite(v)) entries.push({ value: v, code, overflow: false });
  }
  entries.sort((a, b) => a.value - b.value);
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i].value > entries[i - 1].value)) throw new Error(`${f.name}: duplicate value`);
  }
  const top = entries[entries.length - 1];
  entries.push({ value: fieldValue(f, top.code + 1), code: top.code + 1, overflow: true });
  const nanCode = { ieee: sb - 1, fn: sb - 1, fnuz: sb, e8m0: 0xff, none: null }[f.specials];
  const infinityCode = f.specials === 'ieee' ? ((1 << f.e) - 1) << f.m : null;
  const table: OracleTable = {
    format: f,
    entries,
    maxFinite: top.value,
    maxCode: top.code,
    minSubnormal: entries[1].value > 0 && entries[0].value === 0 ? entries[1].value : entries[0].value,
    nanCode,
    infinityCode,
  };
  tables.set(f.name, table);
  return table;
}

/**
 * The reference encoder. `x` must be a float32 value. Returns the code, or 'throws' when the format
 * cannot encode the input (NaN without a NaN code).
 * Rules (DESIGN.md): round to nearest, ties to the even code, also into subnormals; overflow = rounding
 * past the largest finite value; saturate → ±max (±Inf too), otherwise Inf (IEEE formats), the signed NaN
 * S.1111.111 (E4M3 "fn"), the single NaN (FNUZ, E8M0). FNUZ has no -0. E8M0: unsigned, no zero; values
 * below 2^-127 (0 included) give code 0, negative values NaN.
 */
export function oracleEncode(f: OracleFormat, x: number, saturate: boolean): number | 'throws' {
  const t = oracleTable(f);
  if (Number.isNaN(x)) return t.nanCode ?? 'throws';
  if (f.specials === 'e8m0') {
    if (x < 0) return 0xff;
    if (x < 2 ** -127) return 0;
  }
  const negative = x < 0 || Object.is(x, -0);
  const sb = signBit(f);
  const sign = negative ? sb : 0;
  const a = Math.abs(x);
  const overflow = (): number => {
    if (saturate) return t.maxCode | sign;
    switch (f.specials) {
      case 'ieee':
        return (t.infinityCode as number) | sign;
      case 'fn':
        return (sb - 1) | sign;
      case 'fnuz':
        return sb;
      case 'e8m0':
        return 0xff;
      default:
        throw new Error(`${f.name}: saturate false is not possible`);
    }
  };
  const entries = t.entries;
  const last = entries[entries.length - 1];
  if (a > last.value) return overflow();
  // Binary search: the largest index with entries[i].value <= a.
  let lo = 0;
  let hi = entries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (entries[mid].value <= a) lo = mid;
    else hi = mid - 1;
  }
  const below = entries[lo];
  let chosen: Entry;
  if (below.value === a) {
    chosen = below;
  } else {
    const above = entries[lo + 1];
    const twice = 2 * a;
    const sum = below.value + above.value;
    if (twice < sum) chosen = below;
    else if (twice > sum) chosen = above;
    else chosen = below.code % 2 === 0 ? below : above;
  }
  if (chosen.overflow) return overflow();
  if (chosen.code === 0 && (f.specials === 'fnuz' || f.specials === 'e8m0')) return 0;
  return chosen.code | sign;
}

/**
 * Boundary inputs of a format (float32 bit patterns): every finite value and every midpoint of
 * neighbouring values, 2 float32 ulps each way, the overflow threshold and the next value past max
 * with neighbours, 2·max, subnormal edges, both signs, plus the float32 specials.
 */
export function boundaryInputs(f: OracleFormat): Float32Array {
  const t = oracleTable(f);
  const set = new Set<number>();
  const finite = t.entries.filter((e) => !e.overflow).map((e) => e.value);
  for (const v of finite) addWithNeighbours(set, v, 2);
  for (let i = 0; i + 1 < t.entries.length; i++) {
    addWithNeighbours(set, (t.entries[i].value + t.entries[i + 1].value) / 2, 2);
  }
  const next = t.entries[t.entries.length - 1].value;
  addWithNeighbours(set, next, 2);
  addWithNeighbours(set, 2 * t.maxFinite, 2);
  for (const k of [0.25, 0.5, 0.75, 1.25, 1.5]) addWithNeighbours(set, t.minSubnormal * k, 2);
  for (const b of FLOAT32_SPECIAL_BITS) set.add(b);
  return new Float32Array(Uint32Array.from(set).buffer);
}
