/** Type of one uniform field. Every field is one 32-bit scalar, so the layout needs no padding rules. */
export type UniformType = 'u32' | 'i32' | 'f32';

/** A uniform block: its WGSL struct and a packer for its values, laid out in declaration order. */
export interface UniformLayout<K extends string> {
  /** `struct Params { n: u32, scale: f32, }` and the binding line `@group(0) @binding(0) var<uniform> params: Params;`. */
  readonly wgsl: string;
  readonly byteLength: number;
  pack(values: Record<K, number>): ArrayBuffer;
}

/**
 * The one helper that lays out uniforms: each op declares its fields once, and gets the WGSL struct
 * (prepended to its shader) and a packer that writes the values in the same order.
 * @example
 * const layout = uniformLayout({ n: 'u32', scale: 'f32' });
 * layout.pack({ n: 10, scale: 0.5 });
 */
export function uniformLayout<K extends string>(fields: Record<K, UniformType>): UniformLayout<K> {
  const entries = Object.entries(fields) as [K, UniformType][];
  // Uniform buffers are 16-byte aligned; pad with whole words.
  const words = Math.max(4, Math.ceil(entries.length / 4) * 4);
  const members = entries.map(([name, type]) => `  ${name}: ${type},`);
  for (let i = entries.length; i < words; i++) members.push(`  _pad${i}: u32,`);
  const wgsl = `struct Params {\n${members.join('\n')}\n}\n@group(0) @binding(0) var<uniform> params: Params;\n`;
  return {
    wgsl,
    byteLength: words * 4,
    pack(values) {
      const buf = new ArrayBuffer(words * 4);
      const view = new DataView(buf);
      entries.forEach(([name, type], i) => {
        const v = values[name];
        if (typeof v !== 'number' || Number.isNaN(v) !== (type === 'f32' && Number.isNaN(v))) {
          throw new TypeError(`uniform ${name}: expected a number, found ${String(v)}`);
        }
        if (type === 'f32') view.setFloat32(i * 4, v, true);
        else if (type === 'i32') view.setInt32(i * 4, v, true);
        else view.setUint32(i * 4, v >>> 0, true);
      });
      return buf;
    },
  };
}
