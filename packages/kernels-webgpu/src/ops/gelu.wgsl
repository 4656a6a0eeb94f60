// GELU, GPT-2's tanh form, and its derivative: the math shared by gelu-forward*.wgsl and
// gelu-backward.wgsl (prepended to each).
const GELU_SCALE: f32 = 0.7978845608028654; // sqrt(2/π)
const GELU_CUBIC: f32 = 0.044715;

// tanh from one exp of a non-positive argument: finite for any |u| (a tanh built as
// (e^2u - 1)/(e^2u + 1) gives inf/inf = NaN once e^2u overflows, near |x| = 5 here).
fn tanh_stable(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  return sign(u) * ((1.0 - e) / (1.0 + e));
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh_stable(GELU_SCALE * (x + GELU_CUBIC * x * x * x)));
}

// d gelu / dx of the tanh form.
fn gelu_grad(x: f32) -> f32 {
  let th = tanh_stable(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
  let sech2 = 1.0 - th * th;
  return 0.5 * (1.0 + th) + 0.5 * x * sech2 * GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * x * x);
}
