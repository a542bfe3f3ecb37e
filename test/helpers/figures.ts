/**
 * Figures a test measured (records tried, faults survived, throughput, …): appended as one
 * JSON line to $HOMEOSTAT_TEST_FIGURES when it is set — where docs/reliability.md's and
 * docs/executors.md's numbers come from — and added to the test's failure if it fails
 * (test/helpers/environment.js). A passing run prints nothing.
 */
import { appendFileSync } from 'node:fs';

declare global {
  // Filled by test/helpers/environment.js; cleared at the start of every test.
  var __testFigures: string[] | undefined;
}

export function reportFigures(test: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ test, ...figures });
  globalThis.__testFigures?.push(line);
  const file = process.env.HOMEOSTAT_TEST_FIGURES;
  if (file) appendFileSync(file, `${line}\n`);
}
