/**
 * EWMA and trend of every series and scope, carried across restarts. The offsets' checkpoint
 * rebuilds *open* windows by re-reading their records, but EWMA and trend fold in every
 * window that ever closed; without this a restart (or a standby taking over) would start them
 * afresh. Each transaction writes the history of every key whose window closed in it to the
 * compacted state topic — the values as of that commit, so they match the checkpoint — and a
 * tombstone for a series evicted at the maxSeries cap. A restarted runner seeds them back.
 */
import type { Message, TopicMessages } from 'kafkajs';
import type { KafkaPort } from './port';
import type { Processor, ProcessorOutputs } from '../pipeline/processor';
import { readCompacted } from './state-topic';

export interface HistoryCheckpoint {
  /** The compacted state topic. */
  topic: string;
  /** Key prefix, one per consumer group (e.g. `history/<groupId>/`). */
  prefix: string;
}

const SERIES = 's/';
const SCOPE = 'c/';
/** Stage one scaled out: per telemetry partition, the transaction that last wrote its series' histories. */
const COMMIT = 'p/';

/** The state records of one transaction: the histories the batch changed, once per key. */
export function historyMessages(
  proc: Processor,
  out: ProcessorOutputs,
  o: HistoryCheckpoint,
): TopicMessages | undefined {
  const messages = new Map<string, Message>();
  for (const s of out.finals) {
    // Only a window with data moves EWMA and trend.
    if (s.count === 0) continue;
    const key = `${o.prefix}${s.scope === 'series' ? SERIES : SCOPE}${s.key}`;
    if (messages.has(key)) continue;
    const h = proc.historyOf(s);
    // Raw doubles: exact, NaN and -0 included (JSON would lose both).
    if (h !== undefined) messages.set(key, { key, value: Buffer.from(h.buffer, h.byteOffset, h.byteLength) });
  }
  for (const k of out.evicted ?? []) {
    const key = `${o.prefix}${SERIES}${k}`;
    // Evicted, then perhaps created again in the same batch: what is live now is the fact.
    const h = proc.historyOf({ scope: 'series', key: k });
    messages.set(key, { key, value: h === undefined ? null : Buffer.from(h.buffer, h.byteOffset, h.byteLength) });
  }
  return messages.size === 0 ? undefined : { topic: o.topic, messages: [...messages.values()] };
}

type Histories = { series: Map<string, Float64Array>; scopes: Map<string, Float64Array> };

/**
 * The state-topic keys of the histories (`only`: just one kind), and how to take them out of
 * what a read of the topic returned — for a caller that reads the topic for more than these.
 */
export function historyKeys(
  o: HistoryCheckpoint,
  only?: 'series' | 'scopes',
): { prefix: string; parse(stored: ReadonlyMap<string, Buffer>): Histories } {
  const prefix = only === 'series' ? `${o.prefix}${SERIES}` : only === 'scopes' ? `${o.prefix}${SCOPE}` : o.prefix;
  return { prefix, parse: (stored) => parseHistories(o, prefix, stored) };
}

function parseHistories(o: HistoryCheckpoint, prefix: string, stored: ReadonlyMap<string, Buffer>): Histories {
  const series = new Map<string, Float64Array>();
  const scopes = new Map<string, Float64Array>();
  for (const [key, value] of stored) {
    if (!key.startsWith(prefix) || value.length % 8 !== 0) continue;
    // Copied into an aligned buffer: a Float64Array cannot view an odd byte offset.
    const h = new Float64Array(new Uint8Array(value).buffer);
    const rest = key.slice(o.prefix.length);
    if (rest.startsWith(SERIES)) series.set(rest.slice(SERIES.length), h);
    else if (rest.startsWith(SCOPE)) scopes.set(rest.slice(SCOPE.length), h);
  }
  return { series, scopes };
}

/**
 * Stage one scaled out: the state record that names the transaction writing a partition's
 * histories (`id`, also in the offset's metadata, checkpoint-meta.ts). A new owner that reads
 * another id reads older histories than its committed offset's (checkpoint-wait.ts). One small
 * record per partition per transaction that writes histories, none for those that do not.
 */
export function historyCommitMessage(o: HistoryCheckpoint, partition: number, id: string): Message {
  return { key: `${o.prefix}${COMMIT}${partition}`, value: Buffer.from(id, 'utf8') };
}

/** The series' histories and, per telemetry partition, the id of the commit that last wrote them (one read). */
export async function readSeriesHistories(
  kafka: KafkaPort,
  o: HistoryCheckpoint,
): Promise<{ series: Map<string, Float64Array>; commits: Map<number, string> }> {
  const series = `${o.prefix}${SERIES}`;
  const commit = `${o.prefix}${COMMIT}`;
  const stored = await readCompacted(kafka, o.topic, (k) => k.startsWith(series) || k.startsWith(commit));
  const commits = new Map<number, string>();
  for (const [key, value] of stored) {
    const p = key.startsWith(commit) ? Number(key.slice(commit.length)) : NaN;
    if (Number.isSafeInteger(p) && p >= 0) commits.set(p, value.toString('utf8'));
  }
  return { series: parseHistories(o, series, stored).series, commits };
}

/** The state record of a scope key's history (stage two of a shared group writes these). */
export function scopeHistoryMessage(o: HistoryCheckpoint, key: string, h: Float64Array): Message {
  const k = `${o.prefix}${SCOPE}${key}`;
  return { key: k, value: Buffer.from(h.buffer, h.byteOffset, h.byteLength) };
}
