/**
 * Figures of a fault test (records tried, faults survived, lost, duplicated, throughput...):
 * printed, and appended as one JSON line to $HOMEOSTAT_FAULTS_REPORT when it is set, which
 * is where docs/reliability.md's numbers come from.
 */
import { appendFileSync } from 'node:fs';

export function reportFigures(test: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ test, ...figures });
  console.log(`[faults] ${line}`);
  const file = process.env.HOMEOSTAT_FAULTS_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
}
