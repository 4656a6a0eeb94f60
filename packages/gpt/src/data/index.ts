// data/'s API that needs Node or GPT-2's BPE; the rest (dataset, RNG, synthetic corpus, char tokenizer)
// is listed in ../core.ts.
export {
  type LoadOptions,
  loadBinShards,
  loadTextFile,
  type SyntheticDatasetOptions,
  syntheticDataset,
} from './loaders.js';
export {
  type PrepareOptions,
  type PrepareResult,
  prepareShakespeare,
  TINYSHAKESPEARE_URL,
} from './prepare.js';
export {
  BIN_HEADER_BYTES,
  BIN_MAGIC,
  BIN_VERSION,
  decodeBinShard,
  encodeBinShard,
  readBinShard,
  readDataFile,
  writeBinShard,
} from './shards.js';
export { assertSameVocabulary, Gpt2Tokenizer, resolveTokenizer, tokenizerFromJSON } from './tokenizer.js';
