import type { Backend } from '@fp8lm/tensor-interface';
import type { ConformanceCase } from './case.js';
import { commCases } from './cases/comm.js';
import { formatCases } from './cases/format.js';
import { gemmCases } from './cases/gemm.js';
import { layerCases } from './cases/layers.js';
import { memoryCases } from './cases/memory.js';
import { optimizerCases } from './cases/optimizer.js';

export {
  type ConformanceCase,
  ConformanceError,
  expectClose,
  expectCodesEqual,
  expectFloatsIdentical,
  expectThrows,
} from './case.js';
export { formatInputs, lcg } from './inputs.js';

/** Every conformance case, grouped by op. Later issues append GEMM, layer and optimizer cases. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...memoryCases,
  ...formatCases,
  ...gemmCases,
  ...optimizerCases,
  ...layerCases,
  ...commCases,
];

/** Result of one case in {@link runConformance}. */
export interface CaseResult {
  readonly name: string;
  readonly op: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Runs the cases (all, or those `filter` keeps) against a backend and collects the results; never throws
 * for a failing case. For test runners, prefer one test per case (see the package README).
 */
export async function runConformance(
  backend: Backend,
  filter: (c: ConformanceCase) => boolean = () => true,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of conformanceCases.filter(filter)) {
    try {
      await c.run(backend);
      results.push({ name: c.name, op: c.op, ok: true });
    } catch (e) {
      results.push({ name: c.name, op: c.op, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}
