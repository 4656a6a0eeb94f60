#!/usr/bin/env node
// The main job until the trainer exists: quantize a tensor shaped like a weight gradient and show
// what each format and scaling choice does to it (error, underflow, saturation, bytes). Gradients
// are tiny, which is why FP8-LM scales them before the cast.
import {
  amax,
  BF16,
  dequantize,
  dequantizeMX,
  E2M1,
  E4M3,
  E5M2,
  FP16,
  quantize,
  quantizeMX,
} from '@fp8lm/fp8-format';

const n = 1 << 20;
// Roughly normal values (σ = 1e-4) with a few large outliers, from a seeded generator so every run
// prints the same table.
let s = 2024;
const rand = () => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return (s + 0.5) / 2 ** 32;
};
const x = new Float32Array(n);
for (let i = 0; i < n; i += 2) {
  const r = Math.sqrt(-2 * Math.log(rand()));
  const t = 2 * Math.PI * rand();
  x[i] = 1e-4 * r * Math.cos(t);
  x[i + 1] = 1e-4 * r * Math.sin(t);
}
for (let i = 0; i < 64; i++) x[Math.floor(rand() * n)] = (rand() < 0.5 ? -1 : 1) * (0.001 + 0.02 * rand());

function stats(name, y, bitsPerElement) {
  let se = 0;
  let ss = 0;
  let underflow = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i] - x[i];
    se += d * d;
    ss += x[i] * x[i];
    if (x[i] !== 0 && y[i] === 0) underflow++;
  }
  return {
    format: name,
    'rel RMS error': Math.sqrt(se / ss).toExponential(2),
    underflow: `${((100 * underflow) / n).toFixed(2)}%`,
    'bytes/elem': bitsPerElement / 8,
  };
}

function perTensor(fmt, scaled) {
  const codes = fmt.bits > 8 ? new Uint16Array(n) : new Uint8Array(n);
  const probe = quantize(fmt, x, codes, {});
  const scale = scaled ? fmt.maxFinite / probe.amax : 1;
  quantize(fmt, x, codes, { scale });
  const y = new Float32Array(n);
  dequantize(fmt, codes, y, { scaleInv: 1 / Math.fround(scale) });
  let saturated = 0;
  const maxCode = fmt.maxCode;
  for (let i = 0; i < n; i++) if ((codes[i] & ~(1 << (fmt.bits - 1))) === maxCode) saturated++;
  const label = `${fmt.name}${scaled ? ` scaled ×${scale.toPrecision(4)}` : ' unscaled'}`;
  return { ...stats(label, y, fmt.bits), 'at ±max': saturated };
}

const rows = [];
rows.push(
  perTensor(FP16, false),
  perTensor(BF16, false),
  perTensor(E4M3, false),
  perTensor(E4M3, true),
  perTensor(E5M2, false),
  perTensor(E5M2, true),
);
for (const fmt of [E4M3, E2M1]) {
  const mx = quantizeMX(fmt, x);
  rows.push({
    ...stats(`${fmt.name} MX blocks of 32`, dequantizeMX(fmt, mx), fmt.bits + 8 / 32),
    'at ±max': '-',
  });
}

console.log(
  `fp8lm demo: ${n.toLocaleString()} gradient-like values (σ = 1e-4, 64 outliers up to ±0.021), amax ${amax(x).toExponential(3)}\n`,
);
console.table(rows);
const e4 = rows.find((r) => r.format === 'e4m3 unscaled');
const e4s = rows.find((r) => r.format.startsWith('e4m3 scaled'));
console.log(
  `\nCast as they are, ${e4.underflow} of these values underflow to zero in E4M3 (smallest subnormal 2^-9).\n` +
    `With a per-tensor scale of 448 / amax, ${e4s.underflow} do, at 1 byte per element instead of 4.\n` +
    'MX blocks of 32 carry one E8M0 scale per block. Next: `npm test`; the packages are listed in README.md.',
);
