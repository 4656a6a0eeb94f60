export * from './formats.js';
export { encode, decode, isNaNCode, type EncodeOptions } from './codec.js';
export { quantize, dequantize, type QuantizeOptions, type DequantizeOptions } from './quantize.js';
export { counterRandomU32, counterUniform } from './stochastic.js';
export { quantizeMX, dequantizeMX, type MXOptions, type MXTensor, type MXScaleRounding } from './mx.js';
export { amax } from './amax.js';
