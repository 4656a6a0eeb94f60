import { stat } from 'node:fs/promises';
import type { TokenDataset } from '../data/dataset.js';
import { loadBinShards, loadTextFile, syntheticDataset } from '../data/loaders.js';
import type { DataSpec } from './config.js';

/**
 * The dataset a run trains on: `synthetic` is the built-in corpus; a folder or a `.bin` file is read as
 * llm.c token shards (tokenizer from `meta.json`, else GPT-2); any other file as UTF-8 text, tokenized
 * char-level or with GPT-2 BPE. Errors name the path (missing, empty, not text, ...).
 */
export async function loadData(spec: DataSpec, seed: number): Promise<TokenDataset> {
  if (spec.source === 'synthetic') {
    return syntheticDataset({ length: spec.syntheticLength, tokenizer: spec.tokenizer, seed });
  }
  const info = await stat(spec.source).catch(() => undefined);
  if (info === undefined) throw new Error(`data file ${spec.source} does not exist`);
  if (info.isDirectory() || spec.source.endsWith('.bin')) return loadBinShards(spec.source, { seed });
  return loadTextFile(spec.source, spec.tokenizer, { seed });
}
