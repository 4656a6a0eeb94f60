import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { StepMetrics } from '../train/trainer.js';

/** Where progress goes. */
export interface ProgressOptions {
  /** Total steps of the run. */
  total: number;
  /** The step the run starts after (resumed runs). */
  start: number;
  /** A progress bar (on a TTY) or plain log lines. */
  tty: boolean;
  /** Plain mode: a line every this many steps (eval steps always get one). */
  logInterval: number;
  /** Plain lines and messages (default: stdout). */
  write?: (line: string) => void;
  /** The bar's stream (default: stderr). */
  stream?: NodeJS.WritableStream;
}

/** Reports steps as a progress bar or as log lines; `log` prints a message either way. */
export interface Progress {
  step(m: StepMetrics): void;
  log(line: string): void;
  stop(): void;
}

const num = (x: number | undefined, digits = 4) =>
  x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);

/** One plain log line of a step. */
export function formatStep(m: StepMetrics, total: number, tokensPerSec: number): string {
  const parts = [
    `step ${String(m.step).padStart(String(total).length)}/${total}`,
    `loss ${num(m.loss)}`,
    ...(m.valLoss !== undefined ? [`val ${num(m.valLoss)}`] : []),
    `lr ${m.lr.toExponential(2)}`,
    `gnorm ${num(m.gradNorm, 3)}`,
    `${Math.round(tokensPerSec)} tok/s`,
  ];
  if (m.mu !== 1) parts.push(`mu ${m.mu.toPrecision(4)}`);
  if (m.skipped) parts.push(`SKIPPED (${m.skipReason ?? 'non-finite'})`);
  return parts.join(' | ');
}

/**
 * A progress reporter: on a TTY a cli-progress bar (step, loss, val loss, tokens/s, ETA) with eval and
 * skip messages printed above it; otherwise one plain line every `logInterval` steps and at every eval.
 */
export function createProgress(options: ProgressOptions): Progress {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  let tps = 0;
  const smooth = (m: StepMetrics) => {
    tps = tps === 0 ? m.tokensPerSec : 0.9 * tps + 0.1 * m.tokensPerSec;
    return tps;
  };
  if (!options.tty) {
    return {
      step(m) {
        const t = smooth(m);
        const due =
          m.step % options.logInterval === 0 || m.step === options.total || m.step === options.start + 1;
        if (due || m.valLoss !== undefined || m.skipped) write(formatStep(m, options.total, t));
      },
      log: write,
      stop() {},
    };
  }
  const multi = new MultiBar(
    {
      format: 'step {value}/{total} |{bar}| loss {loss} | val {val} | {tps} tok/s | ETA {eta_formatted}',
      stream: options.stream ?? process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
      barsize: 24,
    },
    Presets.shades_classic,
  );
  const bar: SingleBar = multi.create(options.total, options.start, { loss: '–', val: '–', tps: '–' });
  let val = '–';
  return {
    step(m) {
      const t = smooth(m);
      if (m.valLoss !== undefined) {
        val = num(m.valLoss);
        multi.log(`${formatStep(m, options.total, t)}\n`);
      } else if (m.skipped) {
        multi.log(`${formatStep(m, options.total, t)}\n`);
      }
      bar.update(m.step, { loss: num(m.loss), val, tps: String(Math.round(t)) });
    },
    log(line) {
      multi.log(`${line}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}
