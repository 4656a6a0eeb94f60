export {
  type Batch,
  type DatasetState,
  type Split,
  splitTokens,
  type TokenArray,
  TokenDataset,
  type TokenDatasetOptions,
  toTokenArray,
} from './dataset.js';
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
  assertRngState,
  CounterRng,
  type RandomSource,
  type RngState,
  randomFloat,
  randomInt,
} from './rng.js';
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
export {
  DEFAULT_GRAMMAR,
  generateSynthetic,
  type SyntheticEntropy,
  type SyntheticGrammar,
  type SyntheticOptions,
  syntheticEntropy,
  syntheticTokenizer,
  validateGrammar,
} from './synthetic.js';
export {
  assertSameVocabulary,
  CharTokenizer,
  checkTokenizerJSON,
  Gpt2Tokenizer,
  resolveTokenizer,
  type Tokenizer,
  type TokenizerJSON,
  type TokenizerName,
  tokenizerFromJSON,
} from './tokenizer.js';
