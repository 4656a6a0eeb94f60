/**
 * JSON that keeps every number bit-exact: NaN, ±Infinity and −0 (which plain JSON turns into
 * `null` and `0`) are written as `{"$float": "NaN" | "Infinity" | "-Infinity" | "-0"}` and read
 * back as numbers; typed arrays are written as arrays of numbers. Finite numbers already round-trip
 * exactly through `JSON.stringify` (shortest round-trip form), float32 values included.
 */

const SPECIAL: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
  '-0': -0,
};

/** Serializes `value`; a TypeError naming `argument` if it cannot be JSON (BigInt, a cycle). */
export function encodeJson(value: unknown, argument: string): string {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'number') {
        if (Number.isNaN(v)) return { $float: 'NaN' };
        if (v === Infinity) return { $float: 'Infinity' };
        if (v === -Infinity) return { $float: '-Infinity' };
        if (Object.is(v, -0)) return { $float: '-0' };
        return v;
      }
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        return Array.from(v as unknown as ArrayLike<number | bigint>, (x) =>
          typeof x === 'bigint' ? Number(x) : x,
        );
      }
      return v;
    });
    if (text === undefined) throw new TypeError(`found ${typeof value}`);
    return text;
  } catch (error) {
    throw new TypeError(`${argument}: expected a JSON-serializable value: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Parses what {@link encodeJson} wrote; throws SyntaxError on invalid JSON. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const tag = (v as { $float?: unknown }).$float;
      if (keys.length === 1 && typeof tag === 'string' && Object.hasOwn(SPECIAL, tag)) return SPECIAL[tag];
    }
    return v;
  });
}
