export { amax } from './amax.js';
export { decode, type EncodeOptions, encode, isNaNCode } from './codec.js';
export { float32Exponent } from './float32.js';
export * from './formats.js';
export { dequantizeMX, type MXOptions, type MXScaleRounding, type MXTensor, quantizeMX } from './mx.js';
export { type DequantizeOptions, dequantize, type QuantizeOptions, quantize } from './quantize.js';
export { counterRandomU32, counterUniform, mix32 } from './stochastic.js';
export { decodeTable, encodeTable, encodeTableIndex } from './tables.js';
