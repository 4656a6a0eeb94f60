import type { ScaleArg } from '@fp8lm/tensor-interface';

// Argument checks shared by the format ops, with kernels-cpu's messages (the conformance oracle).

/** Throws a RangeError unless `index` is an integer element index into a tensor of `size` elements. */
export function checkIndex(index: number, size: number, argument: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${argument}: expected an integer in 0..${size - 1}, found ${index}`);
  }
}

/**
 * Checks a host scale (a finite positive float32, as fp8-format's `checkScale`); device tensors pass
 * through unchecked, since their value is only known on the device.
 */
export function checkScaleArg(value: ScaleArg | undefined, argument: string): void {
  if (value === undefined || typeof value !== 'number') return;
  const scale = Math.fround(value);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(
      `${argument}: expected a finite positive number (as a float32), found ${String(value)}`,
    );
  }
}

/** The IEEE bits of `Math.fround(x)`, for uniforms that must reach the shader bit for bit. */
export function f32Bits(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return view.getUint32(0);
}
