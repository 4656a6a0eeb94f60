import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSynthetic } from '@fp8lm/gpt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(pkg, 'dist', 'cli', 'main.js');
const root = mkdtempSync(join(tmpdir(), 'fp8lm-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `fp8lm` with node, as a user would (no TTY: plain log lines). */
function fp8lm(...args: string[]): Result {
  const r = spawnSync(process.execPath, [main, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small, fast training run. */
const SMALL = ['--n-embd', '32', '--batch-size', '8', '--synthetic-length', '60000', '--eval-batches', '2'];

/** Every file of a folder with its hash: what must not change when a command fails. */
function snapshot(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex'),
      ]),
  );
}

/** A failed command: exit code 1, exactly one line on stderr matching `pattern`, nothing on stdout. */
function expectOneLineError(r: Result, pattern: RegExp): void {
  expect(r.code, `stderr: ${r.stderr}`).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

const run = join(root, 'run');

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b packages/gpt)`);
  const r = fp8lm(
    'train',
    '--data',
    'synthetic',
    '--preset',
    'tiny',
    '--level',
    'O2',
    '--backend',
    'cpu',
    '--steps',
    '30',
    '--lr',
    '1e-2',
    '--warmup',
    '3',
    '--seed',
    '5',
    '--eval-interval',
    '10',
    ...SMALL,
    '--out',
    run,
    '--sample-tokens',
    '40',
    '--sample-prompt',
    'The ',
  );
  if (r.code !== 0) throw new Error(`fp8lm train failed (${r.code}): ${r.stderr}`);
  writeFileSync(join(root, 'train-stdout.txt'), r.stdout);
});

describe('fp8lm train, sample, eval, report, prepare', () => {
  it('trains, writing config.json, metrics.jsonl, checkpoint.safetensors and report.html, and prints a sample', () => {
    const stdout = readFileSync(join(root, 'train-stdout.txt'), 'utf8');
    expect(stdout).toMatch(/fp8lm train: tiny \(2 layers, 2 heads, 32 channels, block 32, vocab 33/);
    expect(stdout).toMatch(/loss floor 0\.381/);
    expect(stdout).toMatch(/step 10\/30 \| loss \d\.\d{4} \| val \d\.\d{4} \| lr/);
    expect(stdout).toMatch(
      /done at step 30: loss \d\.\d{4}, val loss \d\.\d{4} \(floor 0\.381\), \d+ tokens\/s/,
    );
    expect(stdout).toMatch(/sample:\nThe .{40}\nreport: .*report\.html \(open it in a browser\)\n$/s);
    expect(Object.keys(snapshot(run))).toEqual([
      'checkpoint.safetensors',
      'config.json',
      'metrics.jsonl',
      'report.html',
    ]);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ level: 'O2', steps: 30, model: { nEmbd: 32, vocabSize: 33 }, seed: 5 });
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(30);
    for (const m of lines)
      expect(Object.keys(m)).toEqual(expect.arrayContaining(['step', 'loss', 'lr', 'tokensPerSec']));
    expect(lines.filter((m) => 'valLoss' in m).map((m) => m.step)).toEqual([10, 20, 30]);
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('FP8 scale per tensor');
    expect(html).toContain('saturation');
  });

  it('samples deterministically from a checkpoint', () => {
    const ckpt = join(run, 'checkpoint.safetensors');
    const a = fp8lm('sample', '--checkpoint', ckpt, '--prompt', 'The cat', '--tokens', '30', '--seed', '3');
    const b = fp8lm('sample', '--checkpoint', ckpt, '--prompt', 'The cat', '--tokens', '30', '--seed', '3');
    const c = fp8lm('sample', '--checkpoint', ckpt, '--prompt', 'The cat', '--tokens', '30', '--top-k', '1');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^The cat.{30}\n$/s);
    expect(b.stdout).toBe(a.stdout);
    expect(c.code).toBe(0);
    expect(a.stderr).toBe('');
  });

  it('prints the validation loss of a checkpoint', () => {
    const r = fp8lm('eval', '--checkpoint', join(run, 'checkpoint.safetensors'), '--eval-batches', '3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^val loss \d\.\d{4} \(3 batches of 8×32 tokens of synthetic corpus/);
  });

  it('overlays several runs in one report', () => {
    const other = join(root, 'run-fp32');
    const t = fp8lm('train', '--level', 'fp32', '--steps', '10', ...SMALL, '--out', other, '--no-report');
    expect(t.code, t.stderr).toBe(0);
    expect(existsSync(join(other, 'report.html'))).toBe(false);
    const out = join(root, 'compare.html');
    const r = fp8lm('report', run, other, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('run (O2)');
    expect(html).toContain('run-fp32');
    expect(html).toContain('val / fp32');
  });

  it('prepares shakespeare from a local copy', () => {
    const text = join(root, 'input-src.txt');
    writeFileSync(text, generateSynthetic(3000));
    const r = fp8lm('prepare', 'shakespeare', '--out', join(root, 'prep'), '--from', text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/prepared .*: 3000 characters, vocabulary \d+, 2700 train \/ 300 val tokens/);
    expect(Object.keys(snapshot(join(root, 'prep')))).toEqual([
      'input.txt',
      'meta.json',
      'train.bin',
      'val.bin',
    ]);
  });

  it('documents every flag of every command with its default', () => {
    for (const cmd of ['train', 'sample', 'eval', 'report', 'prepare']) {
      const r = fp8lm(cmd, '--help');
      expect(r.code).toBe(0);
      const options = r.stdout
        .split('Options:')[1]
        .split(/\n(?= {2}-)/)
        .filter((o) => o.trim() !== '');
      for (const o of options) {
        if (/--help|--version/.test(o)) continue;
        expect(o.replace(/\s+/g, ' '), `${cmd}: ${o}`).toMatch(/default|required/);
      }
    }
    const train = fp8lm('train', '--help').stdout;
    for (const flag of [
      '--data',
      '--tokenizer',
      '--preset',
      '--level',
      '--backend',
      '--steps',
      '--batch-size',
      '--lr',
      '--warmup',
      '--seed',
      '--eval-interval',
      '--eval-batches',
      '--out',
      '--resume',
      '--scaling',
      '--grad-scaling',
      '--n-layer',
      '--n-head',
      '--n-embd',
      '--block-size',
      '--weight-decay',
      '--grad-clip',
      '--min-lr',
    ]) {
      expect(train).toContain(`${flag} `);
    }
  });

  it('stops on Ctrl-C after the current step with a checkpoint, and resumes', async () => {
    const dir = join(root, 'interrupted');
    const child = spawn(
      process.execPath,
      [main, 'train', '--steps', '5000', '--warmup', '2', ...SMALL, '--out', dir, '--log-interval', '1'],
      {
        cwd: root,
        env: { ...process.env, CI: '1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (/step +3\/5000/.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: stopping after this step/);
    expect(stdout).toMatch(/stopped at step \d+/);
    expect(stdout).toMatch(/resume with: fp8lm train --resume/);
    const step = Number(/stopped at step (\d+)/.exec(stdout)![1]);
    const resumed = fp8lm('train', '--resume', dir, '--steps', String(step + 2), '--no-report');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resuming after step ${step}`));
    expect(resumed.stdout).toMatch(new RegExp(`done at step ${step + 2}`));
  });
});

describe('bad input: one line on stderr, exit 1, nothing written, the last checkpoint intact', () => {
  const text = (name: string, content: string) => {
    const path = join(root, name);
    writeFileSync(path, content);
    return path;
  };

  it('rejects missing, empty and too-small data files', () => {
    const out = join(root, 'never');
    expectOneLineError(
      fp8lm('train', '--data', join(root, 'missing.txt'), '--out', out),
      /data file .*missing\.txt does not exist/,
    );
    expectOneLineError(
      fp8lm('train', '--data', text('empty.txt', ''), '--out', out),
      /data file .*empty\.txt is empty/,
    );
    expectOneLineError(
      fp8lm('train', '--data', text('small.txt', 'To be, or not to be.'), '--out', out),
      /small\.txt: the train split has 18 tokens, fewer than one block needs \(block size 32 \+ 1 = 33 tokens\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('rejects unknown flags, commands and bad values', () => {
    expectOneLineError(fp8lm('train', '--levle', 'O2'), /unknown option '--levle'.*Did you mean --level\?/);
    expectOneLineError(
      fp8lm('train', '--level', 'O4'),
      /argument 'O4' is invalid. Allowed choices are fp32, bf16, O1, O2, O3/,
    );
    expectOneLineError(
      fp8lm('train', '--steps', '0'),
      /option '--steps <n>' argument '0' is invalid. expected a positive integer/,
    );
    expectOneLineError(fp8lm('train', '--lr', 'fast'), /'--lr <lr>' argument 'fast' is invalid/);
    expectOneLineError(
      fp8lm('train', '--scaling', 'per-row'),
      /Allowed choices are delayed, current, mx, deepseek-blocks/,
    );
    expectOneLineError(fp8lm('train', '--n-head', '3'), /nEmbd: expected a multiple of nHead \(3\)/);
    expectOneLineError(fp8lm('trian'), /unknown command 'trian'/);
    expectOneLineError(
      fp8lm('sample', '--prompt', 'x'),
      /required option '--checkpoint <file>' not specified/,
    );
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });

  it('refuses data whose vocabulary differs from the checkpoint, keeping the run intact', () => {
    const before = snapshot(run);
    const other = text('other.txt', `${'Zebras quietly jump over 7 lazy wolves! '.repeat(40)}`);
    expectOneLineError(
      fp8lm('train', '--resume', run, '--steps', '40', '--data', other),
      /vocabulary mismatch: checkpoint .* has a char vocabulary of 33 characters, data .*other\.txt has a char vocabulary of \d+ characters/,
    );
    expectOneLineError(
      fp8lm('eval', '--checkpoint', join(run, 'checkpoint.safetensors'), '--data', other),
      /vocabulary mismatch/,
    );
    expectOneLineError(fp8lm('train', ...SMALL, '--out', run), /already holds a run .*--resume/);
    expectOneLineError(
      fp8lm('train', '--resume', run, '--level', 'O1'),
      /--level "O1" does not match the checkpoint/,
    );
    expect(snapshot(run)).toEqual(before);
  });

  it('refuses truncated and corrupt checkpoints without touching them', () => {
    const dir = join(root, 'damaged');
    mkdirSync(dir);
    cpSync(run, dir, { recursive: true });
    const ckpt = join(dir, 'checkpoint.safetensors');
    truncateSync(ckpt, 5000);
    let before = snapshot(dir);
    expectOneLineError(
      fp8lm('train', '--resume', dir, '--steps', '40'),
      /checkpoint\.safetensors.*truncated/,
    );
    expectOneLineError(
      fp8lm('sample', '--checkpoint', ckpt, '--prompt', 'The', '--tokens', '5'),
      /truncated/,
    );
    expectOneLineError(fp8lm('eval', '--checkpoint', ckpt), /truncated/);
    expect(snapshot(dir)).toEqual(before);

    cpSync(join(run, 'checkpoint.safetensors'), ckpt);
    const bytes = readFileSync(ckpt);
    bytes.write('{"garbage', 8, 'utf8');
    writeFileSync(ckpt, bytes);
    before = snapshot(dir);
    expectOneLineError(fp8lm('train', '--resume', dir, '--steps', '40'), /checkpoint\.safetensors/);
    expectOneLineError(fp8lm('sample', '--checkpoint', ckpt, '--prompt', 'The'), /checkpoint\.safetensors/);
    expect(snapshot(dir)).toEqual(before);

    expectOneLineError(
      fp8lm('sample', '--checkpoint', join(root, 'nope.safetensors'), '--prompt', 'The'),
      /nope\.safetensors does not exist/,
    );
    expectOneLineError(
      fp8lm('sample', '--checkpoint', join(run, 'checkpoint.safetensors'), '--prompt', 'Zürich'),
      /--prompt: .*"Z" .* is not in the vocabulary of 33 characters/,
    );
    expectOneLineError(fp8lm('report', join(root, 'no-run')), /run folder .*no-run does not exist/);
  });
});
