/**
 * The policies' snapshot on the state topic: written with every transaction, read back at
 * start and after every reset. Both directions are bounded:
 *
 * - Written: JSON, gzip-compressed once it passes SNAPSHOT_COMPRESS_ABOVE (a state with the
 *   default 10,000 leases is ~8 MiB of JSON, over the topic's 8 MiB max.message.bytes, and
 *   ~10x smaller compressed), then split into chunks that each fit the topic when it is still
 *   larger than one record may be (snapshot-chunks.ts).
 * - Read: whoever can write the state topic could otherwise hand the processor any state
 *   (leases it would renew, a control state without its kill switch). A value that does not
 *   inflate within a bound, parse, or have the state's shape is refused with a reason; the
 *   caller then starts from a fresh state, the fail-safe one (leases lapse on the executors).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describeError } from '../errors';
import { MODES } from '../model/command';
import type { DecisionEngineState as EngineState } from '../policies';
import type { StageState } from '../pipeline/decide';

/** Snapshots larger than this are compressed (smaller ones are cheaper to write as they are). */
export const SNAPSHOT_COMPRESS_ABOVE = 256 * 1024;
/** Most bytes a compressed snapshot may inflate to: far above any real state, far below a decompression bomb's aim. */
export const SNAPSHOT_MAX_INFLATED_BYTES = 256 * 1024 * 1024;

const GZIP = Buffer.from([0x1f, 0x8b]);

export interface SnapshotEncoding {
  value: Buffer;
  compressed: boolean;
  /** Bytes of JSON before compression (for the message when it cannot be written). */
  jsonBytes: number;
}

export function encodeSnapshot(state: StageState): SnapshotEncoding {
  const json = Buffer.from(JSON.stringify(state));
  if (json.length <= SNAPSHOT_COMPRESS_ABOVE) return { value: json, compressed: false, jsonBytes: json.length };
  // Level 1: the snapshot goes out with every transaction; speed matters more than the last 10%.
  return { value: gzipSync(json, { level: 1 }), compressed: true, jsonBytes: json.length };
}

export type SnapshotDecoding = { state: StageState | EngineState } | { error: string };

/** A stored snapshot back as state, or why it is refused. Never throws. */
export function decodeSnapshot(value: Buffer): SnapshotDecoding {
  let json: Buffer = value;
  if (value.length >= 2 && value[0] === GZIP[0] && value[1] === GZIP[1]) {
    try {
      json = gunzipSync(value, { maxOutputLength: SNAPSHOT_MAX_INFLATED_BYTES });
    } catch (err) {
      return {
        error: `compressed snapshot does not inflate within ${SNAPSHOT_MAX_INFLATED_BYTES} bytes: ${describeError(err)}`,
      };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (err) {
    return { error: `not JSON: ${describeError(err)}` };
  }
  if (!isObject(parsed)) return { error: 'not an object' };
  const engine = 'engine' in parsed ? parsed.engine : parsed;
  const problem = engineProblem(engine);
  if (problem !== undefined) return { error: problem };
  if ('engine' in parsed && parsed.verifier !== null && !isObject(parsed.verifier))
    return { error: 'verifier is neither null nor an object' };
  return { state: parsed as unknown as StageState | EngineState };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isNumberOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));

/** What is wrong with an engine state, or undefined; fills fields older snapshots lack. */
function engineProblem(e: unknown): string | undefined {
  if (!isObject(e)) return 'engine state is not an object';
  if (!isNumberOrNull(e.windowMs) || !isNumberOrNull(e.lastEventTime))
    return 'engine windowMs/lastEventTime are not numbers';
  if (!isObject(e.policies) || !isObject(e.leases) || !isObject(e.guard))
    return 'engine policies, leases or guard are not objects';
  for (const [k, l] of Object.entries(e.leases)) {
    if (
      !isObject(l) ||
      typeof l.policy !== 'string' ||
      typeof l.target !== 'string' ||
      !MODES.includes(l.mode as never)
    )
      return `lease ${k.slice(0, 100)} has no policy, target or mode`;
    if (!Number.isFinite(l.expiresAt) || !Number.isFinite(l.issuedAt) || !isObject(l.params))
      return `lease ${k.slice(0, 100)} has no issuedAt, expiresAt or params`;
  }
  const g = e.guard;
  if (!isObject(g.lastChange) || !isObject(g.breakers) || !isObject(g.buckets))
    return 'guard lastChange, breakers or buckets are not objects';
  for (const v of Object.values(g.lastChange)) if (typeof v !== 'number') return 'guard lastChange holds a non-number';
  return controlProblem(g.control);
}

function controlProblem(c: unknown): string | undefined {
  if (!isObject(c)) return 'control state is not an object';
  if (typeof c.killed !== 'boolean' || !isObject(c.paused) || !isObject(c.excluded) || !isObject(c.modes))
    return 'control state has no killed, paused, excluded or modes';
  for (const v of Object.values(c.paused)) if (v !== true) return 'control paused holds a value other than true';
  for (const v of Object.values(c.modes))
    if (!MODES.includes(v as never)) return `control modes holds ${JSON.stringify(v)}`;
  let n = 0;
  for (const v of Object.values(c.excluded)) {
    if (v !== true) return 'control excluded holds a value other than true';
    n++;
  }
  // Snapshots written before control records were sequenced lack these two.
  c.excludedCount = n;
  if (!(typeof c.lastIssuedAt === 'number' && Number.isFinite(c.lastIssuedAt))) c.lastIssuedAt = 0;
  return undefined;
}
