// Loads the fast CPU path: a small C++ addon (native/src, built by `npm run build:native`) that uses
// Node's stable C N-API. Loaded lazily and without a static `node:` import, so the package still
// imports (with the TypeScript reference only) where there is no addon or no Node.

/** The calling convention this wrapper speaks; the addon reports its own as `abi`. */
const ABI = 5;

/** What the loaded addon runs with. */
export interface FastPathInfo {
  /** Micro-kernel in use: 'avx512', 'avx2' or 'generic'. */
  readonly kernel: string;
  /** Kernels this build has and this CPU runs, best first. */
  readonly kernels: readonly string[];
  /** Threads a large GEMM uses (the calling thread included). */
  readonly threads: number;
  /** Register tile of the micro-kernel. */
  readonly mr: number;
  readonly nr: number;
}

/** Source kinds of the addon's packing (native/src/gemm.h `SrcKind`). */
export const SRC_F32 = 0;
export const SRC_BF16 = 1;
export const SRC_TABLE16 = 2;
export const SRC_TABLE8 = 3;

type Data = Float32Array | Uint16Array | Uint8Array;

/** The addon's exports. */
export interface NativeAddon {
  readonly abi: number;
  gemm(
    aData: Data,
    aKind: number,
    aTable: Float32Array | null,
    transA: boolean,
    aBlocks: Float32Array | null,
    aBlockRows: number,
    aBlockCols: number,
    bData: Data,
    bKind: number,
    bTable: Float32Array | null,
    transB: boolean,
    bBlocks: Float32Array | null,
    bBlockRows: number,
    bBlockCols: number,
    c: Float32Array,
    m: number,
    n: number,
    k: number,
    alpha: number,
    beta: number,
    bias: Float32Array | null,
  ): void;
  info(): FastPathInfo;
  configure(kernel: string | null, threads: number | null): FastPathInfo;
  layernormForward(
    x: Float32Array,
    weight: Float32Array,
    bias: Float32Array,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    rows: number,
    C: number,
    eps: number,
  ): void;
  layernormBackward(
    dout: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dweight: Float32Array,
    dbias: Float32Array,
    rows: number,
    C: number,
  ): void;
  attentionForward(
    qkv: Float32Array,
    out: Float32Array,
    att: Float32Array,
    B: number,
    T: number,
    C: number,
    NH: number,
  ): void;
  attentionBackward(
    dout: Float32Array,
    qkv: Float32Array,
    att: Float32Array,
    dqkv: Float32Array,
    B: number,
    T: number,
    C: number,
    NH: number,
  ): void;
  geluForward(x: Float32Array, out: Float32Array, n: number): void;
  geluBackward(dout: Float32Array, x: Float32Array, dx: Float32Array, n: number): void;
  /** Table cast (fp8-format's `encodeTable`) with the amax of `src` fused in; returns the amax. */
  quantizeTable8(src: Float32Array, dst: Uint8Array, table: Uint8Array, scale: number): number;
  /** Cast to f16 (bf16 when `bf16`) with the amax of `src` fused in; returns the amax. */
  quantizeHalf(src: Float32Array, dst: Uint16Array, scale: number, bf16: boolean, saturate: boolean): number;
  /** `out[index]`, `out[index + 1]` = the codes whose class is 1 (zero) and 2 (saturated). */
  countCodes(codes: Uint8Array | Uint16Array, classes: Uint8Array, out: Int32Array, index: number): void;
  /** `out[i] = fround(table[codes[i]] · scaleInv)` (a float32 `scaleInv`). */
  dequantizeTable(
    codes: Uint8Array | Uint16Array,
    table: Float32Array,
    scaleInv: number,
    out: Float32Array,
  ): void;
  /** `max |x|` (NaN if any element is NaN, 0 if empty). */
  amaxF32(x: Float32Array): number;
  residualForward(a: Float32Array, b: Float32Array, out: Float32Array, n: number): void;
  residualBackward(dout: Float32Array, da: Float32Array, db: Float32Array, n: number): void;
  biasAdd(x: Float32Array, bias: Float32Array, out: Float32Array, rows: number, C: number): void;
  biasBackward(dout: Float32Array, dbias: Float32Array, rows: number, C: number): void;
  /**
   * Fused AdamW: stage 1 (`apply` false) writes `stats[0..2]` (and `groups.stats`), stage 2 the state.
   * `hyper` = [lr, beta1, beta2, eps, weightDecay, correction1, correction2, gradMultiplier, decoupled].
   */
  adamw(
    apply: boolean,
    n: number,
    master: NativeStateTensor,
    grad: NativeStateTensor,
    m: NativeStateTensor,
    v: NativeStateTensor,
    hyper: Float64Array,
    stats: Float32Array | null,
    groups: NativeMomentGroups | null,
  ): void;
}

/** A grouped E4M3 second moment (native/src/adamw.h `MomentGroups`), one entry per group. */
export interface NativeMomentGroups {
  readonly size: number;
  readonly max: Float32Array;
  readonly exponent: Float32Array;
  /** Stage 1's output: `[max, smallest non-zero]` of the new v per group. */
  readonly stats?: Float32Array;
  /** Stage 2's inputs: the max and exponent the new codes are written with. */
  readonly nextMax?: Float32Array;
  readonly nextExponent?: Float32Array;
}

/** Stage 2's cast of a state tensor (native/src/adamw.h `StateTensor::cast`). */
export const CAST_F32 = 0;
export const CAST_F16 = 1;
export const CAST_BF16 = 2;
export const CAST_TABLE8 = 3;

/** One AdamW state tensor as the addon reads (`x = fround(decode(q) · scaleInv)`) and writes it. */
export interface NativeStateTensor {
  readonly data: Data;
  /** fp8-format's decode table of a code dtype (65536 or 256 entries); null for f32. */
  readonly decode: Float32Array | null;
  readonly scaleInv: number;
  readonly cast: number;
  /** fp8-format's saturating encode table, for {@link CAST_TABLE8}. */
  readonly encode: Uint8Array | null;
  readonly scale: number;
}

interface NodeLike {
  getBuiltinModule?(id: string): unknown;
  env?: Record<string, string | undefined>;
}

let loaded: { addon: NativeAddon } | { reason: string } | undefined;

function load(): { addon: NativeAddon } | { reason: string } {
  const proc = (globalThis as { process?: NodeLike }).process;
  if (proc?.env?.FP8LM_CPU_FAST === '0') return { reason: 'disabled by FP8LM_CPU_FAST=0' };
  const mod = proc?.getBuiltinModule?.('node:module') as
    | { createRequire(from: string): (id: string) => unknown }
    | undefined;
  if (mod === undefined) return { reason: 'not running in Node.js (>= 20.16)' };
  const path = '../native/fp8lm_cpu.node';
  let addon: NativeAddon;
  try {
    // import.meta.url is dist/fast/native.js; the addon is dist/native/fp8lm_cpu.node.
    addon = mod.createRequire((import.meta as { url: string }).url)(path) as NativeAddon;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND') {
      return {
        reason:
          'the addon dist/native/fp8lm_cpu.node is not built (run `npm run build -w @fp8lm/kernels-cpu`; ' +
          'it needs a C++ compiler)',
      };
    }
    return { reason: `the addon failed to load: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (addon.abi !== ABI) {
    return { reason: `the addon speaks ABI ${addon.abi}, this package ${ABI}: rebuild it` };
  }
  return { addon };
}

/** The addon, or why there is none (cached after the first call). */
export function nativeAddon(): { addon: NativeAddon } | { reason: string } {
  loaded ??= load();
  return loaded;
}

/** The addon; throws an Error with the reason if it is unavailable. */
export function requireNative(): NativeAddon {
  const r = nativeAddon();
  if ('reason' in r) throw new Error(`kernels-cpu fast path unavailable: ${r.reason}`);
  return r.addon;
}

/**
 * Whether the fast CPU path can run here, and with what.
 * @example
 * const s = fastPathStatus();
 * if (s.available) console.log(s.info.kernel, s.info.threads); else console.log(s.reason);
 */
export function fastPathStatus():
  | { readonly available: true; readonly info: FastPathInfo }
  | { readonly available: false; readonly reason: string } {
  const r = nativeAddon();
  return 'reason' in r ? { available: false, reason: r.reason } : { available: true, info: r.addon.info() };
}

/**
 * Chooses the fast path's micro-kernel and thread count for the whole process (for tests and
 * benchmarks; the defaults are the best kernel and all cores, or FP8LM_CPU_KERNEL / FP8LM_CPU_THREADS).
 */
export function configureFastPath(options: { kernel?: string; threads?: number }): FastPathInfo {
  return requireNative().configure(options.kernel ?? null, options.threads ?? null);
}
