#!/usr/bin/env node
// The `fp8lm` command: train, sample, eval, report, prepare. See `fp8lm --help`.
import { main } from './program.js';

const code = await main(process.argv);
// Exit explicitly: worker threads of a native backend must not keep a finished command alive.
process.exit(code);
