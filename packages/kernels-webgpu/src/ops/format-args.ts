import type { ScaleArg } from '@fp8lm/tensor-interface';

// Host-side helpers of the format ops that only a GPU backend needs: the CPU gets the scale check
// from fp8-format's codec, and passes values, not bits. The tensor checks are the contract's
// (@fp8lm/tensor-interface's format checks).

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
