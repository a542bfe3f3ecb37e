/**
 * Is a run through Kafka the same run as in-process? Figures, series, commands, executor
 * timeline, decisions and the loop's counters, compared exactly — the lockstep is meant to
 * make them identical, so any difference is a finding, not noise.
 *
 * Commands differ in one respect by design: through Kafka they are signed (keyId,
 * signature), in-process they are not (the in-process loop has no executor to convince).
 * Ids do not depend on the signature (src/actions/command-id.ts), so the rest must match.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Command } from '../model/command';
import type { ScenarioResult } from '../sim';

/** At most this many differences are listed per kind (one is enough to know; a few help to see why). */
const MAX_LISTED = 5;

const unsigned = (c: Command): Command => ({ ...c, keyId: '', signature: '' });

/** The differences between two results of the same scenario, options and seed; [] when identical. */
export function compareResults(kafka: ScenarioResult, inProcess: ScenarioResult): string[] {
  const out: string[] = [];
  for (const f of inProcess.figures) {
    const g = kafka.figures.find((x) => x.key === f.key);
    if (g === undefined) out.push(`figure ${f.key}: missing through Kafka`);
    else if (!Object.is(g.value, f.value))
      out.push(`figure ${f.key}: ${String(g.value)} through Kafka, ${String(f.value)} in-process`);
  }
  const a = kafka.commands.map(unsigned);
  const b = inProcess.commands;
  if (a.length !== b.length) out.push(`commands: ${a.length} through Kafka, ${b.length} in-process`);
  let listed = 0;
  for (let i = 0; i < Math.min(a.length, b.length) && listed < MAX_LISTED; i++) {
    if (!isDeepStrictEqual(a[i], b[i])) {
      out.push(
        `command #${i + 1}: ${a[i].id} ${a[i].type} ${a[i].target} through Kafka, ${b[i].id} ${b[i].type} ${b[i].target} in-process`,
      );
      listed++;
    }
  }
  const ea = kafka.executor;
  const eb = inProcess.executor;
  if (ea.length !== eb.length)
    out.push(`executor timeline: ${ea.length} events through Kafka, ${eb.length} in-process`);
  listed = 0;
  for (let i = 0; i < Math.min(ea.length, eb.length) && listed < MAX_LISTED; i++) {
    if (!isDeepStrictEqual(ea[i], eb[i])) {
      out.push(
        `executor event #${i + 1}: ${ea[i].kind} ${ea[i].target} at ${ea[i].t} through Kafka, ${eb[i].kind} ` +
          `${eb[i].target} at ${eb[i].t} in-process`,
      );
      listed++;
    }
  }
  if (!isDeepStrictEqual(kafka.decisions, inProcess.decisions))
    out.push(
      `decisions by kind: ${JSON.stringify(kafka.decisions)} through Kafka, ${JSON.stringify(inProcess.decisions)} in-process`,
    );
  if (!isDeepStrictEqual(kafka.loop, inProcess.loop))
    out.push(
      `loop counters: ${JSON.stringify(kafka.loop)} through Kafka, ${JSON.stringify(inProcess.loop)} in-process`,
    );
  for (const key of Object.keys(inProcess.series)) {
    if (!isDeepStrictEqual(kafka.series[key], inProcess.series[key])) out.push(`series ${key} differs`);
  }
  if (!isDeepStrictEqual(kafka.markers, inProcess.markers)) out.push('report markers differ');
  if (!isDeepStrictEqual(kafka.leases, inProcess.leases)) out.push('lease spans differ');
  return out;
}
