/**
 * bench/stage-two.ts --snapshot: what the decision extension's snapshot costs after a window,
 * both ways it has been written, in the same process and alternating which goes first:
 *   - whole JSON (the encoding before frames): JSON.stringify of the state, gzip level 1;
 *   - frames (src/kafka/snapshot-frames.ts, as the driver writes them now): encodeSnapshot;
 * then the chunking of the frames into state-topic records (snapshot-chunks.ts), and on the
 * last window the way back: reassembly, inflate, parse and checks (decodeSnapshot), with the
 * state it gives re-encoded to the same bytes. Also how many of each large table's entries
 * changed since the last window (entries are replaced, never changed in place, so identity
 * says it): what an incremental changelog of changed entries would still have to write.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_MAX_INFLATED_BYTES } from '../../src/kafka/policy-snapshot';
import { assembleSnapshot, snapshotRecords, SNAPSHOT_MAX_CHUNKS } from '../../src/kafka/snapshot-chunks';
import type { StageState } from '../../src/pipeline/decide';
import { round } from './results';

/** The inflate bound before frames: a whole-JSON snapshot past it was written but refused when read back. */
const OLD_MAX_INFLATED_BYTES = 256 * 1024 * 1024;
/** The large tables of the bench's state (the adaptive-timeout policy, leases, the guardrails' tables). */
const TABLES: Record<string, (s: StageState) => Readonly<Record<string, unknown>> | undefined> = {
  'policy targets': (s) => (s.engine.policies.timeouts as { targets?: Record<string, unknown> } | undefined)?.targets,
  leases: (s) => s.engine.leases,
  'guard.lastChange': (s) => s.engine.guard.lastChange,
  'guard.breakers': (s) => s.engine.guard.breakers,
};

interface Sums {
  windows: number;
  stateMs: number;
  jsonMs: number;
  jsonGzipMs: number;
  framesMs: number;
  chunkMs: number;
  cpuMs: number;
  changed: Record<string, { changed: number; entries: number }>;
}

export interface SnapshotFigures {
  /** state(): the policies' tables built from their working copies, ms a window. */
  stateMsPerWindow: number;
  /** JSON.stringify of the state (the encoding before frames), ms a window. */
  jsonMsPerWindow: number;
  /** The whole-JSON encoding: JSON.stringify + gzip level 1, ms a window; its bytes on the last window. */
  wholeJson: { encodeMsPerWindow: number; jsonBytes: number; gzipBytes: number; decodeMs: number };
  /** Frames as written now: encodeSnapshot, ms a window; chunking; bytes and chunks on the last window. */
  frames: {
    encodeMsPerWindow: number;
    chunkMsPerWindow: number;
    inflatedBytes: number;
    bytes: number;
    chunks: number;
    decodeMs: number;
    /** The decoded state encodes to the same bytes. */
    roundTrip: boolean;
  };
  /** wholeJson.encodeMsPerWindow / frames.encodeMsPerWindow (same process, alternating order). */
  encodeRatio: number;
  limits: {
    framesWithinDefaultBound: boolean;
    chunksWithinMax: boolean;
    wholeJsonWithinOldBound: boolean;
    /** V8's longest string: a whole-JSON snapshot past it cannot be made at all. */
    wholeJsonWithinStringLimit: boolean;
  };
  /** Share of each large table's entries changed since the previous window (mean over the windows). */
  changedShare: Record<string, number>;
  /** CPU of state() + frames + chunking, ms a window: what the driver spends after each window now. */
  cpuMsPerWindow: number;
}

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

export function createSnapshotMeasure(state: () => StageState) {
  const sums: Sums = {
    windows: 0,
    stateMs: 0,
    jsonMs: 0,
    jsonGzipMs: 0,
    framesMs: 0,
    chunkMs: 0,
    cpuMs: 0,
    changed: {},
  };
  let previous: StageState | undefined;
  let last: { state: StageState; json: { bytes: number; gzip: Buffer }; records: ReturnType<typeof snapshotRecords> };
  let framed: ReturnType<typeof encodeSnapshot> | undefined;

  return {
    /** After a window: `counted` false for the warm-up window (taken, not summed); `order` alternates which encoding goes first. */
    take(counted: boolean, order: number): void {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const s = state();
      const stateMs = ms(t0);
      let cpu = cpuSince(c0);
      const f = { ms: 0, chunkMs: 0, records: undefined as ReturnType<typeof snapshotRecords> };
      const runFrames = (): void => {
        const c1 = process.cpuUsage();
        const f0 = process.hrtime.bigint();
        framed = encodeSnapshot(s);
        f.ms = ms(f0);
        const k0 = process.hrtime.bigint();
        f.records = snapshotRecords('decisions/bench', framed.value);
        f.chunkMs = ms(k0);
        cpu += cpuSince(c1);
      };
      if (order % 2 === 0) runFrames();
      const j0 = process.hrtime.bigint();
      const json = JSON.stringify(s);
      const jsonMs = ms(j0);
      const gzip = gzipSync(json, { level: 1 });
      const jsonGzipMs = ms(j0);
      if (order % 2 === 1) runFrames();
      const prior = previous;
      previous = s;
      if (!counted) return;
      sums.windows++;
      sums.stateMs += stateMs;
      sums.jsonMs += jsonMs;
      sums.jsonGzipMs += jsonGzipMs;
      sums.framesMs += f.ms;
      sums.chunkMs += f.chunkMs;
      sums.cpuMs += cpu;
      countChanges(sums, prior, s);
      last = { state: s, json: { bytes: Buffer.byteLength(json), gzip }, records: f.records };
    },
    figures(): SnapshotFigures {
      const n = Math.max(1, sums.windows);
      const back = decodeBack(last.records!);
      const g0 = process.hrtime.bigint();
      JSON.parse(gunzipSync(last.json.gzip).toString('utf8'));
      const jsonDecodeMs = ms(g0);
      const encodeMs = sums.jsonGzipMs / n;
      const framesMs = sums.framesMs / n;
      const roundTrip = back.state !== undefined && encodeSnapshot(back.state).value.equals(framed!.value);
      return {
        stateMsPerWindow: round(sums.stateMs / n, 1),
        jsonMsPerWindow: round(sums.jsonMs / n, 1),
        wholeJson: {
          encodeMsPerWindow: round(encodeMs, 1),
          jsonBytes: last.json.bytes,
          gzipBytes: last.json.gzip.length,
          decodeMs: round(jsonDecodeMs, 1),
        },
        frames: {
          encodeMsPerWindow: round(framesMs, 1),
          chunkMsPerWindow: round(sums.chunkMs / n, 1),
          inflatedBytes: framed!.inflatedBytes,
          bytes: framed!.value.length,
          chunks: Math.max(0, (last.records?.length ?? 1) - 1),
          decodeMs: round(back.ms, 1),
          roundTrip,
        },
        encodeRatio: round(encodeMs / framesMs, 2),
        limits: {
          framesWithinDefaultBound: framed!.inflatedBytes <= SNAPSHOT_MAX_INFLATED_BYTES,
          chunksWithinMax: last.records !== undefined && last.records.length - 1 <= SNAPSHOT_MAX_CHUNKS,
          wholeJsonWithinOldBound: last.json.bytes <= OLD_MAX_INFLATED_BYTES,
          wholeJsonWithinStringLimit: last.json.bytes < 2 ** 29 - 24,
        },
        changedShare: Object.fromEntries(
          Object.entries(sums.changed).map(([k, c]) => [k, round(c.entries > 0 ? c.changed / c.entries : 0, 3)]),
        ),
        cpuMsPerWindow: round(sums.cpuMs / n, 1),
      };
    },
  };
}

/** The last window's records back to a state, as a restart reads them: reassembly, inflate, parse, checks. */
function decodeBack(records: NonNullable<ReturnType<typeof snapshotRecords>>): {
  state: StageState | undefined;
  ms: number;
} {
  const stored = new Map(records.map((m) => [String(m.key), m.value as Buffer]));
  const t0 = process.hrtime.bigint();
  const assembled = assembleSnapshot('decisions/bench', stored);
  const decoded = 'value' in assembled && assembled.value ? decodeSnapshot(assembled.value) : undefined;
  const took = ms(t0);
  return { state: decoded && 'state' in decoded ? (decoded.state as StageState) : undefined, ms: took };
}

function countChanges(sums: Sums, before: StageState | undefined, now: StageState): void {
  if (before === undefined) return;
  for (const [name, pick] of Object.entries(TABLES)) {
    const a = pick(before) ?? {};
    const b = pick(now) ?? {};
    const c = (sums.changed[name] ??= { changed: 0, entries: 0 });
    for (const k of Object.keys(b)) {
      c.entries++;
      if (!Object.hasOwn(a, k) || a[k] !== b[k]) c.changed++;
    }
  }
}
