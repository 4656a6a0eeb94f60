import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeBytesAtomic } from '../checkpoint/atomic.js';
import { readDataFile, writeBinShard } from './shards.js';
import { CharTokenizer, Gpt2Tokenizer, type Tokenizer } from './tokenizer.js';

/** Where nanoGPT's `data/shakespeare_char/prepare.py` downloads tinyshakespeare from. */
export const TINYSHAKESPEARE_URL =
  'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt';

/** Options of {@link prepareShakespeare}. */
export interface PrepareOptions {
  /** Output folder (created if missing). */
  out: string;
  /** A local copy of the text; without it `out/input.txt` is used if present, else it is downloaded. */
  from?: string;
  /** Char-level (default, nanoGPT's `shakespeare_char`) or GPT-2 BPE (nanoGPT's `shakespeare`). */
  tokenizer?: 'char' | 'gpt2';
  /** Download address. Default {@link TINYSHAKESPEARE_URL}. */
  url?: string;
  /** The fetch to download with. Default: the global `fetch` (Node ≥ 18). */
  fetch?: (
    url: string,
  ) => Promise<{ ok: boolean; status: number; statusText: string; text(): Promise<string> }>;
}

/** What {@link prepareShakespeare} wrote. */
export interface PrepareResult {
  files: { input: string; train: string; val: string; meta: string };
  tokenizer: Tokenizer;
  /** Characters (Unicode code points) of the text. */
  characters: number;
  trainTokens: number;
  valTokens: number;
  /** Where the text came from: the `from` path, `out/input.txt`, or the URL. */
  source: string;
}

async function download(options: PrepareOptions): Promise<string> {
  const url = options.url ?? TINYSHAKESPEARE_URL;
  const get = options.fetch ?? globalThis.fetch;
  let response: Awaited<ReturnType<NonNullable<PrepareOptions['fetch']>>>;
  try {
    response = await get(url);
  } catch (error) {
    const cause = error as Error & { cause?: { message?: string } };
    throw new Error(
      `could not download tinyshakespeare from ${url}: ${cause.cause?.message ?? cause.message} (offline? pass --from FILE with a local copy)`,
      { cause: error },
    );
  }
  if (!response.ok) {
    throw new Error(
      `could not download tinyshakespeare from ${url}: expected HTTP 200, found ${response.status} ${response.statusText} (pass --from FILE with a local copy)`,
    );
  }
  const text = await response.text();
  if (text.length === 0)
    throw new Error(`could not download tinyshakespeare from ${url}: the response is empty`);
  return text;
}

/**
 * `fp8lm prepare shakespeare`: nanoGPT's `data/shakespeare_char/prepare.py` in TypeScript. Gets the
 * text (from `options.from`, else an existing `out/input.txt`, else downloaded from
 * {@link TINYSHAKESPEARE_URL} with the global fetch), writes `input.txt`, splits the characters
 * 90/10 (`data[:int(n*0.9)]`), tokenizes each part and writes `train.bin` / `val.bin` as llm.c token
 * shards (nanoGPT writes headerless uint16; llm.c's header makes them self-checking) and
 * `meta.json` with `vocab_size`, `itos`, `stoi` (char-level) and the `tokenizer` JSON that
 * {@link loadBinShards} reads back. Every file is written atomically.
 */
export async function prepareShakespeare(options: PrepareOptions): Promise<PrepareResult> {
  if (typeof options?.out !== 'string' || options.out.length === 0) {
    throw new TypeError(`options.out: expected an output folder path, found ${JSON.stringify(options?.out)}`);
  }
  const kind = options.tokenizer ?? 'char';
  if (kind !== 'char' && kind !== 'gpt2') {
    throw new TypeError(`options.tokenizer: expected 'char' or 'gpt2', found ${JSON.stringify(kind)}`);
  }
  const out = options.out;
  await mkdir(out, { recursive: true });
  const files = {
    input: join(out, 'input.txt'),
    train: join(out, 'train.bin'),
    val: join(out, 'val.bin'),
    meta: join(out, 'meta.json'),
  };
  let text: string;
  let source: string;
  if (options.from !== undefined) {
    const bytes = await readDataFile(options.from);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      throw new Error(`data file ${options.from} is not UTF-8 text`, { cause: error });
    }
    source = options.from;
  } else {
    const existing = await readFile(files.input, 'utf8').catch(() => undefined);
    if (existing !== undefined && existing.length > 0) {
      text = existing;
      source = files.input;
    } else {
      text = await download(options);
      source = options.url ?? TINYSHAKESPEARE_URL;
    }
  }
  if (source !== files.input && resolve(source) !== resolve(files.input)) {
    await writeBytesAtomic(files.input, new TextEncoder().encode(text));
  }
  const chars = [...text];
  const cut = Math.floor(chars.length * 0.9);
  const trainText = chars.slice(0, cut).join('');
  const valText = chars.slice(cut).join('');
  const tokenizer: Tokenizer = kind === 'char' ? CharTokenizer.fromText(text) : new Gpt2Tokenizer();
  const trainIds = tokenizer.encode(trainText);
  const valIds = tokenizer.encode(valText);
  await writeBinShard(files.train, trainIds);
  await writeBinShard(files.val, valIds);
  const meta: Record<string, unknown> = { vocab_size: tokenizer.vocabSize };
  if (tokenizer instanceof CharTokenizer) {
    meta.itos = Object.fromEntries(tokenizer.chars.map((c, i) => [i, c]));
    meta.stoi = Object.fromEntries(tokenizer.chars.map((c, i) => [c, i]));
  }
  meta.tokenizer = tokenizer.toJSON();
  meta.format = 'llm.c token shards: 256 int32 header (magic 20240520, version 1, count), uint16 ids';
  meta.train_tokens = trainIds.length;
  meta.val_tokens = valIds.length;
  await writeBytesAtomic(files.meta, new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`));
  return {
    files,
    tokenizer,
    characters: chars.length,
    trainTokens: trainIds.length,
    valTokens: valIds.length,
    source,
  };
}
