/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time and inclusive time per
 * function (file:line), so that hot spots can be reported with numbers.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/pipeline.ts --format avro --only pipeline
 *   npx tsx bench/lib/cpuprofile.ts /tmp/prof/<file>.cpuprofile [--top 30] [--filter src/]
 *   npx tsx bench/lib/cpuprofile.ts <file> --lines 'processBatch '   (self samples per source line)
 *   npx tsx bench/lib/cpuprofile.ts <file> --phases --rules stage-two --events <finals>   (bench/stage-two.ts by phase)
 *   npx tsx bench/lib/cpuprofile.ts <file> --phases --rules split-arbiter --events <candidates>   (bench/split-arbiter.ts)
 *   npx tsx bench/lib/cpuprofile.ts <file> --phases --rules record-path --events <rounds × n>   (bench/record-path.ts)
 */
import { readFileSync } from 'node:fs';
import { ENGINE_RULES, phases, RECORD_PATH_RULES, SPLIT_ARBITER_RULES, STAGE_TWO_RULES } from './profile-phases';
import { argNumber, argString, writeResult } from './results';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  /** Samples per source line (1-based) of this node's function. */
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  selfMs: number;
  totalMs: number;
}

function label(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

/** Self and inclusive ms per function label (recursion counted once per stack). */
export function summarise(profile: CpuProfile): { totalMs: number; functions: FunctionTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const [id, us] of selfUs) {
    all += us;
    const node = byId.get(id)!;
    const l = label(node.callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const lab = label(byId.get(cur)!.callFrame);
      if (seen.has(lab)) continue;
      seen.add(lab);
      total.set(lab, (total.get(lab) ?? 0) + us);
    }
  }
  const functions = [...total.entries()].map(([name, t]) => ({
    name,
    selfMs: (self.get(name) ?? 0) / 1000,
    totalMs: t / 1000,
  }));
  return { totalMs: all / 1000, functions };
}

/** Buckets of self time by where the code lives: which layer the CPU goes to. */
export const BUCKETS: readonly [string, RegExp][] = [
  ['idle', /^\(idle\)/],
  ['garbage collector', /^\(garbage collector\)/],
  ['kafkajs', /node_modules\/kafkajs\//],
  ['avsc', /node_modules\/avsc\//],
  ['codec (src/codec)', /src\/codec\//],
  ['engine (src/core, src/signals)', /src\/(core|signals)\//],
  ['pipeline (src/pipeline)', /src\/pipeline\//],
  ['runner (src/kafka)', /src\/kafka\//],
  ['decisions (src/policies, guardrails, actions)', /src\/(policies|guardrails|actions)\//],
  ['node internals / builtins', /node:|^[^ ]+ :0$|^\(program\)/],
  ['module loading and startup', /node_modules\/(tsx|zod|yaml|pino|prom-client)|bench\//],
];

export function bucketise(functions: readonly FunctionTime[]): { bucket: string; selfMs: number }[] {
  const sums = new Map<string, number>();
  for (const f of functions) {
    const b = BUCKETS.find(([, re]) => re.test(f.name))?.[0] ?? 'other';
    sums.set(b, (sums.get(b) ?? 0) + f.selfMs);
  }
  return [...sums.entries()].map(([bucket, selfMs]) => ({ bucket, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
}

/** Samples per line of the functions whose label contains `fn` (self time by line). */
export function lineTicks(profile: CpuProfile, fn: string): { line: string; ticks: number }[] {
  const sums = new Map<string, number>();
  for (const n of profile.nodes) {
    const l = label(n.callFrame);
    if (!l.includes(fn)) continue;
    const file = l.slice(l.indexOf(' ') + 1).replace(/:\d+$/, '');
    for (const t of n.positionTicks ?? [])
      sums.set(`${file}:${t.line}`, (sums.get(`${file}:${t.line}`) ?? 0) + t.ticks);
  }
  return [...sums.entries()].map(([line, ticks]) => ({ line, ticks })).sort((a, b) => b.ticks - a.ticks);
}

/** `--phases --events N [--record '<what was profiled>']`: CPU by phase of the loop (profile-phases.ts). */
function printPhases(profile: CpuProfile): void {
  const events = argNumber('events', 1_000_000);
  const rules = argString('rules', 'pipeline');
  const tables = {
    pipeline: undefined,
    'stage-two': STAGE_TWO_RULES,
    engine: ENGINE_RULES,
    'record-path': RECORD_PATH_RULES,
    'split-arbiter': SPLIT_ARBITER_RULES,
  };
  if (!(rules in tables)) throw new Error(`--rules: ${Object.keys(tables).join(', ')}, not ${rules}`);
  const table = tables[rules as keyof typeof tables];
  const { totalMs, rows } = phases(profile, events, table);
  console.log(`by phase (of ${totalMs.toFixed(0)} ms sampled, ${events} events)`);
  for (const r of rows)
    console.log(
      `${r.ms.toFixed(0).padStart(7)} ms ${(100 * r.share).toFixed(1).padStart(5)}%  ${r.usPerEvent.toFixed(2)} µs/event  ${r.phase}`,
    );
  const what = argString('record', '');
  if (what === '') return;
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const top = summarise(profile)
    .functions.sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 25)
    .map((f) => ({
      name: f.name.replace(/^.*?(node_modules\/|src\/|bench\/)/, (m, p: string) => m.slice(0, m.indexOf(' ') + 1) + p),
      selfMs: round2(f.selfMs),
    }));
  // --inclusive settle,buildVerdict: the inclusive time of the functions so named (what a phase rule cannot split).
  const wanted = argString('inclusive', '').split(',').filter(Boolean);
  const inclusive = summarise(profile)
    .functions.filter((f) => wanted.some((w) => f.name.startsWith(`${w} `)))
    .map((f) => ({
      name: f.name.replace(/^(\S+) .*?(node_modules\/|src\/|bench\/|node:)/, '$1 $2'),
      totalMs: round2(f.totalMs),
    }));
  const phasesOut = rows.map((r) => ({
    phase: r.phase,
    ms: round2(r.ms),
    share: round2(r.share * 100) / 100,
    usPerEvent: round2(r.usPerEvent),
  }));
  console.log(
    `wrote ${writeResult('profile', {
      profiled: what,
      events,
      sampledMs: round2(totalMs),
      phases: phasesOut,
      topSelf: top,
      ...(wanted.length > 0 ? { inclusive } : {}),
    })}`,
  );
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/lib/cpuprofile.ts <file.cpuprofile> [--top N] [--filter text]');
  const topArg = process.argv.indexOf('--top');
  const top = topArg >= 0 ? Number(process.argv[topArg + 1]) : 30;
  const filterArg = process.argv.indexOf('--filter');
  const filter = filterArg >= 0 ? process.argv[filterArg + 1] : '';
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (process.argv.includes('--phases')) return printPhases(profile);
  const linesArg = process.argv.indexOf('--lines');
  if (linesArg >= 0) {
    for (const r of lineTicks(profile, process.argv[linesArg + 1]).slice(0, top))
      console.log(`${String(r.ticks).padStart(7)} samples  ${r.line}`);
    return;
  }
  const { totalMs, functions } = summarise(profile);
  const pct = (ms: number) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`;
  const show = (title: string, rows: FunctionTime[], key: 'selfMs' | 'totalMs') => {
    console.log(`\n${title} (of ${totalMs.toFixed(0)} ms sampled)`);
    for (const r of rows
      .filter((x) => x.name.includes(filter))
      .sort((a, b) => b[key] - a[key])
      .slice(0, top)) {
      console.log(`${r[key].toFixed(0).padStart(7)} ms ${pct(r[key])}  ${r.name}`);
    }
  };
  console.log(`self time by layer (of ${totalMs.toFixed(0)} ms sampled)`);
  for (const b of bucketise(functions))
    console.log(`${b.selfMs.toFixed(0).padStart(7)} ms ${pct(b.selfMs)}  ${b.bucket}`);
  show('self time', functions, 'selfMs');
  show('inclusive time', functions, 'totalMs');
}

if (require.main === module) main();
