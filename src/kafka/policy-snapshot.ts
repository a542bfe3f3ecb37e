/**
 * The policies' snapshot on the state topic: written with every transaction, read back at
 * start and after every reset. Both directions are bounded:
 *
 * - Written: as frames (snapshot-frames.ts: the large tables as rows that share their field
 *   names, in gzip members, never one string of the whole state), then split into chunks that
 *   each fit the topic when it is larger than one record may be (snapshot-chunks.ts). A
 *   snapshot whose frames inflate past the reader's bound is not written at all (the caller
 *   logs it): written, it would be refused at the next restart.
 * - Read: whoever can write the state topic could otherwise hand the processor any state
 *   (leases it would renew, a control state without its kill switch). A value that does not
 *   inflate within the bound (`runner.snapshotMaxMiB`), parse, or have the state's shape is
 *   refused with a reason; the caller then starts from a fresh state, the fail-safe one
 *   (leases lapse on the executors). Snapshots written as one JSON document (before frames,
 *   plain or gzip-compressed) are still read.
 */
import { gunzipSync } from 'node:zlib';
import { SNAPSHOT_MAX_MIB_DEFAULT } from '../config/homeostat-config';
import { describeError } from '../errors';
import { MODES } from '../model/command';
import type { DecisionEngineState as EngineState } from '../policies';
import type { StageState } from '../pipeline/decide';
import { decodeFrames, encodeFrames, FRAMES_MAGIC } from './snapshot-frames';

/**
 * Default of the most bytes a snapshot may inflate to (`runner.snapshotMaxMiB`, 512 MiB). The
 * bench fleet's state at a million series is 67 MiB of frames (165 MiB as one JSON document,
 * docs/scale-out.md); a decompression bomb costs at most this much memory.
 */
export const SNAPSHOT_MAX_INFLATED_BYTES = SNAPSHOT_MAX_MIB_DEFAULT * 2 ** 20;

const GZIP = Buffer.from([0x1f, 0x8b]);
const FRAMES_LINE = Buffer.from(`${FRAMES_MAGIC}\n`);

export interface SnapshotEncoding {
  /** Gzip members of the frames. */
  value: Buffer;
  /** Bytes the value inflates to (what a reader's bound is held against). */
  inflatedBytes: number;
}

/** The state as frames; throws only where JSON.stringify would (the caller then writes none and says so). */
export function encodeSnapshot(state: StageState): SnapshotEncoding {
  const framed = encodeFrames(state);
  return { value: framed.value, inflatedBytes: framed.inflatedBytes };
}

export type SnapshotDecoding = { state: StageState | EngineState } | { error: string };

/** A stored snapshot back as state, or why it is refused (`maxInflatedBytes`: the bound it must inflate within). Never throws. */
export function decodeSnapshot(value: Buffer, maxInflatedBytes = SNAPSHOT_MAX_INFLATED_BYTES): SnapshotDecoding {
  let bytes: Buffer = value;
  if (value.length >= 2 && value[0] === GZIP[0] && value[1] === GZIP[1]) {
    try {
      bytes = gunzipSync(value, { maxOutputLength: maxInflatedBytes });
    } catch (err) {
      return {
        error: `compressed snapshot does not inflate within ${maxInflatedBytes} bytes: ${describeError(err)}`,
      };
    }
  } else if (value.length > maxInflatedBytes)
    return { error: `snapshot of ${value.length} bytes, over ${maxInflatedBytes}` };
  const parsed = parseSnapshot(bytes);
  if ('error' in parsed) return parsed;
  return checkState(parsed.value);
}

/** Frames, or one JSON document (snapshots written before frames). */
function parseSnapshot(bytes: Buffer): { value: unknown } | { error: string } {
  if (bytes.subarray(0, FRAMES_LINE.length).equals(FRAMES_LINE)) return decodeFrames(bytes);
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch (err) {
    return { error: `not JSON: ${describeError(err)}` };
  }
}

/** The parsed value as a state, or why it is not one. */
function checkState(parsed: unknown): SnapshotDecoding {
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
