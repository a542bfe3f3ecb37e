/**
 * One line per result file for bench/run-all.ts's table: the headline figure, the ratio
 * against the baseline measured in the same run, whether the aim is met, and the load
 * average at the time (the machine is shared). Result files have one shape per bench; a
 * bench without a summariser here gets its top-level numbers listed.
 */
import { perSec, readResult } from './results';

export interface Summary {
  headline: string;
  baseline: string;
  target: string;
  load: string;
}

type Json = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const met = (v: unknown): string => (v === true ? 'met' : v === false ? 'NOT met' : '—');
const fixed = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '?');

function load(r: Json): string {
  const m = obj(r.machine);
  const la = Array.isArray(m.loadAverage) ? num(m.loadAverage[0]) : num(r.loadAverage1m);
  return Number.isFinite(la) ? la.toFixed(2) : '—';
}

const SUMMARISERS: Record<string, (r: Json) => Omit<Summary, 'load'>> = {
  engine: (r) => ({
    headline: `${perSec(num(r.eventsPerSec))} (${r.windows as string}, ${num(r.series)} series)`,
    baseline: `${fixed(num(r.ratio), 4)}× read+sum loop`,
    target: '—',
  }),
  'engine-hopping': (r) => SUMMARISERS.engine(r),
  codec: (r) => {
    const res = arr(r.results);
    const avro = res.find((x) => x.label === 'avro: homeostat decodeSync');
    const json = res.find((x) => x.label === 'json: homeostat decodeSync');
    const ratios = obj(r.ratios);
    return {
      headline: `decode avro ${perSec(num(avro?.perSec))}, json ${perSec(num(json?.perSec))}`,
      baseline: `${fixed(num(ratios.avroDecodeVsAvscFromBuffer))}× avsc, ${fixed(num(ratios.jsonDecodeVsJsonParse))}× JSON.parse`,
      target: `≥ ${perSec(num(obj(r.target).avroDecodePerSec))} avro: ${met(obj(r.target).met)}`,
    };
  },
  backoff: (r) => {
    const full = arr(r.results).filter((x) => x.strategy === 'full');
    const at50 = full.find((x) => x.clients === 50) ?? full[full.length - 1];
    const exp = arr(r.expectations);
    return {
      headline: `full jitter at ${num(at50?.clients)} clients: ${fixed(num(at50?.callsRatio))}× calls, ${fixed(num(at50?.timeRatio))}× time`,
      baseline: 'vs backoff without jitter',
      target: `${exp.filter((e) => e.holds === true).length}/${exp.length} expectations hold`,
    };
  },
  replay: (r) => {
    const p = obj(r.pipeline);
    const f = obj(r.file);
    return {
      headline: `pipeline ${perSec(num(p.eventsPerSec))}, file end to end ${perSec(num(f.eventsPerSec))}`,
      baseline: `${fixed(num(p.ratioToBaseline), 4)}× read+sum loop`,
      target: `${perSec(num(obj(r.target).eventsPerSec))}: pipeline ${met(obj(r.target).pipelineMeetsIt)}, file ${met(obj(r.target).fileEndToEndMeetsIt)}`,
    };
  },
  memory: (r) => {
    const res = arr(r.results);
    return {
      headline:
        res
          .map(
            (x) =>
              `${num(x.series) >= 1e6 ? `${num(x.series) / 1e6}M` : `${num(x.series) / 1e3}k`}: ${fixed(num(obj(x.engine).bytesPerSeries), 0)} B`,
          )
          .join(', ') + ' per series',
      baseline: res.map((x) => `${fixed(num(x.ratio), 1)}×`).join(', ') + ' a Map of aggregates',
      target: `≤ ${num(obj(r.target).bytesPerSeries)} B: ${met(obj(r.target).met)}`,
    };
  },
  pipeline: (r) => {
    const res = arr(r.results);
    const t = obj(r.targets);
    return {
      headline:
        res.map((x) => `${x.format as string} ${perSec(num(obj(x.pipeline).eventsPerSec))}`).join(', ') +
        ` (${num(r.n) / 1e6}M records)`,
      baseline:
        res.map((x) => `${x.format as string} ${fixed(num(x.ratioVsRaw))}×`).join(', ') + ' raw kafkajs consumer',
      target: `≥ ${perSec(num(t.avroEventsPerSec))} avro and ≥ ${num(t.ratioVsRaw)}×: ${met(t.met)}`,
    };
  },
  latency: (r) => {
    const l = obj(r.latencyMs);
    return {
      headline: `command p50 ${num(l.p50)} ms, p99 ${num(l.p99)} ms after window close (${num(l.n)} commands)`,
      baseline: `p99 ${fixed(num(r.ratioP99VsBaseline), 1)}× one transactional record (p99 ${num(obj(r.baselineTransactionalVisibleMs).p99)} ms)`,
      target: `p99 ≤ ${num(obj(r.target).p99Ms)} ms: ${met(obj(r.target).met)}`,
    };
  },
  'scale-out': (r) => {
    const res = arr(r.results);
    const single = res.find((x) => x.name === 'single');
    const shared = res.filter((x) => x.scaleOut === true);
    return {
      headline:
        [single, ...shared].map((x) => `${x?.name as string} ${perSec(num(x?.eventsPerSec))}`).join(', ') +
        ` (${num(r.n) / 1e6}M records, ${num(r.cores)} cores)`,
      baseline:
        shared.map((x) => `${x.name as string} ${fixed(num(x.ratioToSingle))}×`).join(', ') + ' the single owner',
      target: '—',
    };
  },
  'latency-scale-out': (r) => SUMMARISERS.latency(r),
  'report-sample': (r) => ({
    headline: `render ${num(r.renderMs)} ms, ${num(r.reportBytes)} bytes`,
    baseline: `${fixed(num(r.renderVsJsonRatio))}× JSON.stringify`,
    target: `deterministic: ${met(r.deterministic)}`,
  }),
};

function generic(r: Json): Omit<Summary, 'load'> {
  const nums = Object.entries(r)
    .filter(([k, v]) => typeof v === 'number' && /persec|ratio|ms$/i.test(k))
    .map(([k, v]) => `${k} ${fixed(v as number)}`);
  const t = obj(r.target);
  return {
    headline: nums.slice(0, 3).join(', ') || 'see the result file',
    baseline: '—',
    target: 'met' in t ? met(t.met) : '—',
  };
}

/** The table row of bench/results/<name>.json, or undefined when there is no such file. */
export function summarise(name: string): Summary | undefined {
  const r = readResult(name);
  if (r === undefined) return undefined;
  try {
    return { ...(SUMMARISERS[name] ?? generic)(r), load: load(r) };
  } catch {
    return { ...generic(r), load: load(r) };
  }
}
