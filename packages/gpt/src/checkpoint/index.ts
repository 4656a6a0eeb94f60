export { writeAll, writeBytesAtomic, writeFileAtomic } from './atomic.js';
export {
  CHECKPOINT_KEYS,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointOptimizerState,
  type CheckpointTensor,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  loadCheckpoint,
  OPTIMIZER_PREFIX,
  SAFETENSORS_DTYPE_OF,
  saveCheckpoint,
} from './checkpoint.js';
export { decodeJson, encodeJson } from './json.js';
export {
  encodeSafetensors,
  isSafetensorsDType,
  MAX_HEADER_BYTES,
  parseSafetensors,
  readSafetensors,
  SAFETENSORS_DTYPE_BYTES,
  type SafetensorsArray,
  type SafetensorsDType,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsTensor,
  writeSafetensors,
} from './safetensors.js';
