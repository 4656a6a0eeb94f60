import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type TokenArray, TokenDataset, toTokenArray } from './dataset.js';
import { readBinShard, readDataFile } from './shards.js';
import {
  generateSynthetic,
  type SyntheticGrammar,
  syntheticEntropy,
  syntheticTokenizer,
} from './synthetic.js';
import {
  Gpt2Tokenizer,
  resolveTokenizer,
  type Tokenizer,
  type TokenizerName,
  tokenizerFromJSON,
} from './tokenizer.js';

/** Options shared by the loaders. */
export interface LoadOptions {
  /** Seed of the batch sampler (val uses seed + 1). Default 1337. */
  seed?: number;
}

/**
 * Loads a UTF-8 text file and tokenizes it (char-level by default, vocabulary built from the
 * text like nanoGPT's `shakespeare_char`; or GPT-2 BPE), split 90/10 by tokens. A missing, empty
 * or non-UTF-8 file is an Error naming it.
 */
export async function loadTextFile(
  path: string,
  tokenizer: Tokenizer | TokenizerName = 'char',
  options: LoadOptions = {},
): Promise<TokenDataset> {
  const bytes = await readDataFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new Error(`data file ${path} is not UTF-8 text (a binary token shard? use loadBinShards)`, {
      cause: error,
    });
  }
  const tok = resolveTokenizer(tokenizer, text);
  let ids: Int32Array;
  try {
    ids = tok.encode(text);
  } catch (error) {
    throw new Error(`data file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return TokenDataset.fromTokens(toTokenArray(ids, tok.vocabSize), {
    source: path,
    tokenizer: tok,
    seed: options.seed,
  });
}

function concat(parts: Uint16Array[]): Uint16Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function readMetaTokenizer(dir: string): Promise<Tokenizer | undefined> {
  const path = join(dir, 'meta.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const meta = JSON.parse(text) as { tokenizer?: unknown };
    return meta.tokenizer === undefined ? undefined : tokenizerFromJSON(meta.tokenizer);
  } catch (error) {
    throw new Error(`${path}: invalid meta.json: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads llm.c token shards (`.bin`: 256 int32 header with magic 20240520, version 1 and the token
 * count, then uint16 ids).
 *
 * - A file: its tokens, split 90/10.
 * - A folder: every `*.bin` in name order; files whose name contains `val` form the val split and
 *   the others the train split (llm.c's `*_train.bin` / `*_val.bin`, or `prepare`'s
 *   `train.bin` / `val.bin`); without a val file, all tokens are split 90/10.
 *
 * The tokenizer comes from `meta.json` next to the shards (written by {@link prepareShakespeare}),
 * else `options.tokenizer`, else GPT-2 (what llm.c's shards hold).
 */
export async function loadBinShards(
  pathOrDir: string,
  options: LoadOptions & { tokenizer?: Tokenizer } = {},
): Promise<TokenDataset> {
  if (typeof pathOrDir !== 'string' || pathOrDir.length === 0) {
    throw new TypeError(`pathOrDir: expected a file or folder path, found ${JSON.stringify(pathOrDir)}`);
  }
  const info = await stat(pathOrDir).catch(() => undefined);
  if (info === undefined) throw new Error(`data path ${pathOrDir} does not exist`);
  const dir = info.isDirectory() ? pathOrDir : dirname(pathOrDir);
  const tokenizer = options.tokenizer ?? (await readMetaTokenizer(dir)) ?? new Gpt2Tokenizer();
  const common = { source: pathOrDir, tokenizer, seed: options.seed };
  let dataset: TokenDataset;
  if (!info.isDirectory()) {
    dataset = TokenDataset.fromTokens(await readBinShard(pathOrDir), common);
  } else {
    const files = (await readdir(pathOrDir)).filter((f) => f.endsWith('.bin')).sort();
    if (files.length === 0) throw new Error(`data folder ${pathOrDir} holds no .bin token shards`);
    const valFiles = files.filter((f) => basename(f).includes('val'));
    const trainFiles = files.filter((f) => !valFiles.includes(f));
    const read = async (names: string[]) =>
      concat(await Promise.all(names.map((f) => readBinShard(join(pathOrDir, f)))));
    if (trainFiles.length === 0) {
      throw new Error(
        `data folder ${pathOrDir} holds only val shards (${valFiles.join(', ')}), no train shard`,
      );
    }
    dataset =
      valFiles.length === 0
        ? TokenDataset.fromTokens(await read(trainFiles), common)
        : new TokenDataset({ train: await read(trainFiles), val: await read(valFiles) }, common);
  }
  dataset.assertVocabulary(tokenizer.vocabSize);
  return dataset;
}

/** Options of {@link syntheticDataset}. */
export interface SyntheticDatasetOptions extends LoadOptions {
  /** Characters of text to generate. Default 1,000,000 (about the size of tinyshakespeare). */
  length?: number;
  /** Seed of the text generator. Default 1337. */
  textSeed?: number;
  /** Char-level (default; vocabulary = every character the grammar can produce) or GPT-2 BPE. */
  tokenizer?: 'char' | 'gpt2';
  grammar?: SyntheticGrammar;
}

/**
 * The zero-setup default corpus: deterministic text from the synthetic grammar, tokenized and
 * split 90/10, with its exact loss floor in nats per token as `entropyFloor`.
 */
export function syntheticDataset(options: SyntheticDatasetOptions = {}): TokenDataset {
  const length = options.length ?? 1_000_000;
  const textSeed = options.textSeed ?? 1337;
  const grammar = options.grammar;
  const text = generateSynthetic(length, { seed: textSeed, grammar });
  const tokenizer: Tokenizer =
    (options.tokenizer ?? 'char') === 'char'
      ? syntheticTokenizer(grammar)
      : resolveTokenizer(options.tokenizer!);
  const tokens: TokenArray = toTokenArray(tokenizer.encode(text), tokenizer.vocabSize);
  return TokenDataset.fromTokens(tokens, {
    source: `synthetic corpus (${length} characters, seed ${textSeed})`,
    tokenizer,
    seed: options.seed,
    entropyFloor: syntheticEntropy({ grammar, tokenizer }).natsPerToken,
  });
}
