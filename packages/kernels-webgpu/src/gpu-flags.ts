// WebGPU's flag values as plain numbers: the `GPUBufferUsage`, `GPUMapMode` and `GPUShaderStage` globals may not
// exist in Node until Dawn's are installed, and the main entry must not depend on them.

/** `GPUBufferUsage` bits. */
export const Usage = {
  MAP_READ: 0x01,
  COPY_SRC: 0x04,
  COPY_DST: 0x08,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  QUERY_RESOLVE: 0x200,
} as const;

/** `GPUMapMode.READ`. */
export const MAP_MODE_READ = 0x1;

/** `GPUShaderStage.COMPUTE`. */
export const SHADER_STAGE_COMPUTE = 0x4;
