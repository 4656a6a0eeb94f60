import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The ```ts code blocks of a README, in order. */
export function readmeExamples(readmePath: string): string[] {
  const text = readFileSync(readmePath, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/**
 * Runs one README example as a module inside the package folder (so its `@fp8lm/*` imports resolve
 * exactly as a user's would) and removes the temporary file afterwards. Examples check their own
 * results with node:assert, so a wrong README fails the test.
 */
export async function runReadmeExample(packageDir: string, code: string, index: number): Promise<void> {
  const file = join(packageDir, 'test', `.readme-example-${index}.ts`);
  writeFileSync(file, code);
  try {
    await import(`${pathToFileURL(file).href}?t=${Date.now()}`);
  } finally {
    rmSync(file, { force: true });
  }
}
