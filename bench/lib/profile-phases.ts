/**
 * Where the pipeline's CPU goes, by phase of the processor's loop rather than by the file a
 * function lives in: a sample counts for the phase of the nearest frame of its stack that
 * names one (the batch decoder's decode or step, the commit's output encoding, kafkajs's
 * producer or consumer), so that, e.g., a socket write under kafkajs's producer counts as
 * producing, and a string decoded under the batch decoder as decoding.
 *
 *   npx tsx bench/lib/cpuprofile.ts <file.cpuprofile> --phases --events 1000000 [--record '<what was profiled>']
 *   npx tsx bench/lib/cpuprofile.ts <file.cpuprofile> --phases --rules stage-two --events <finals> [--record '…']
 *   npx tsx bench/lib/cpuprofile.ts <file.cpuprofile> --phases --rules engine --events <records fed> [--record '…']
 *   npx tsx bench/lib/cpuprofile.ts <file.cpuprofile> --phases --rules split-arbiter --events <candidates> [--record '…']
 *
 * `--record` writes bench/results/profile/<ISO time>.json (the table of docs/benchmarks.md
 * "Profile of the pipeline" is read from there).
 */

interface CallFrame {
  functionName: string;
  url: string;
}

export interface PhaseProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A phase and how a frame is recognised as being in it; the first rule a frame matches names it. */
const RULES: readonly [string, (f: CallFrame) => boolean][] = [
  [
    'decode and validation',
    // decodeFast: the one-pass readers' records (from 20261207T0450; before, all took decodeSync).
    (f) => f.url.includes('src/kafka/batch-decoder') && /^(decodeSync|decodeFast|afterMiss)/.test(f.functionName),
  ],
  [
    'windows, scope merge, signals (processor step)',
    (f) => f.url.includes('src/kafka/batch-decoder') && /^step/.test(f.functionName),
  ],
  [
    'output encoding (signals, DLQ)',
    (f) => /src\/kafka\/(single-owner|shared-partitions|outputs|stage-records|dlq-arrival)/.test(f.url),
  ],
  [
    'transaction commit (batch-commit)',
    (f) => /src\/kafka\/(batch-commit|transactional-writer|transaction)\./.test(f.url),
  ],
  [
    'kafkajs producing (outputs, offsets, transaction markers)',
    // Its record batch encoder too (before 20261206T1933 these frames counted as fetching: the
    // rule below matched them first), and homeostat's replacements inside kafkajs's producer.
    (f) =>
      /kafkajs\/src\/(producer|protocol\/requests\/(produce|addPartitionsToTxn|addOffsetsToTxn|txnOffsetCommit|endTxn))/.test(
        f.url,
      ) ||
      /kafkajs\/src\/protocol\/recordBatch\/(v0\/index|record\/v0\/index|header\/v0\/index|crc32C)/.test(f.url) ||
      /src\/kafka\/(kafkajs-patches|partitioner|produce-request|record-batch|crc32c)\./.test(f.url),
  ],
  [
    'kafkajs fetching and record decoding',
    // With homeostat's record batch decoder in kafkajs's place (from 20261206T2023; before, its
    // frames would have counted as the driver loop below).
    (f) =>
      /kafkajs\/src\/(consumer|protocol\/(recordBatch|requests\/fetch))/.test(f.url) ||
      /src\/kafka\/record-batch-decoder\./.test(f.url),
  ],
  [
    'kafkajs network (requests and responses)',
    // With homeostat's request framing in kafkajs's place (from 20261207T1440; kafkajs's own
    // request.js counted here through its caller, the connection).
    (f) => f.url.includes('kafkajs/src/network') || /src\/kafka\/request-frame\./.test(f.url),
  ],
  ['driver loop (batch bookkeeping)', (f) => f.url.includes('src/kafka/')],
];

/**
 * Stage two's phases (bench/stage-two.ts profiled): gather, then the decision stage by what
 * it does. The canonical JSON rule comes before signing's: a payload encoded for a signature
 * counts as encoding, the Ed25519 arithmetic under it as signing.
 */
export const STAGE_TWO_RULES: readonly [string, (f: CallFrame) => boolean][] = [
  [
    'bench: generating the input (untimed)',
    (f) => f.url.includes('bench/stage-two') && f.functionName === 'windowInputs',
  ],
  [
    'canonical JSON and sha256 (command and decision ids, signing payloads)',
    (f) => /src\/actions\/(canonical|hash|command-id)\./.test(f.url),
  ],
  ['Ed25519 signing', (f) => /src\/actions\/(signing|ed25519)\./.test(f.url)],
  ['guardrails', (f) => f.url.includes('src/guardrails/')],
  ['verification', (f) => f.url.includes('src/verify/')],
  [
    'policy: grouping finals by target',
    (f) => f.url.includes('src/policies/select') && f.functionName === 'groupByTarget',
  ],
  [
    'policy: per-target readings, streaks and the state table',
    (f) => /src\/(policies\/(adaptive-timeout|relative-readings|streak|signals|target-table)|signals\/)/.test(f.url),
  ],
  ['engine: leases, candidates, commands, decisions', (f) => /src\/(policies\/engine|actions\/)/.test(f.url)],
  ['gather: buffering, release order, scope merge', (f) => /src\/(pipeline\/gather|core\/)/.test(f.url)],
  ['decision stage loop', (f) => f.url.includes('src/pipeline/')],
  ['module loading and startup', (f) => /node_modules\/(tsx|zod)|node:internal\/modules/.test(f.url)],
];

/**
 * The engine bench's phases (bench/engine.ts profiled, e.g. with --hop): the per-record path,
 * then a window close by part. Frames of src/signals/ddsketch.ts that serve several parts
 * (indexOf, valueOf, add) name none, so they count for their caller.
 */
export const ENGINE_RULES: readonly [string, (f: CallFrame) => boolean][] = [
  [
    'bench: generating the input (untimed)',
    (f) => /bench\/engine|src\/client\/random/.test(f.url) && f.functionName !== 'runEngine',
  ],
  [
    'close: quantiles (sort, bucket estimates)',
    (f) =>
      f.url.includes('src/signals/ddsketch') &&
      /^(quantiles|quantilesFromBuffer|quantilesFromBins|sortInto|nearestRank|clamp)$/.test(f.functionName),
  ],
  [
    'close: scope groups (sketch merges, binning)',
    (f) =>
      f.url.includes('src/signals/sketch-store') ||
      (f.url.includes('src/signals/ddsketch') && /^(merge|flush)$/.test(f.functionName)) ||
      f.functionName === 'addToGroups',
  ],
  [
    'close: partials (scope sketches encoded)',
    (f) => /src\/signals\/sketch-codec/.test(f.url) || f.functionName === 'emitPartials',
  ],
  ['close: signal objects (buildSignal)', (f) => f.url.includes('src/signals/window-signal')],
  ['close: EWMA/trend history', (f) => f.url.includes('src/signals/history') || f.functionName === 'recordData'],
  ['close: series lists, runs gathered, signals (closer.ts)', (f) => f.url.includes('src/core/closer')],
  [
    'panes: grouping by series, freeing',
    (f) => /src\/core\/(batches|series-index)/.test(f.url) && /Batch|^compact/.test(f.functionName),
  ],
  [
    'record: series lookup',
    (f) => /src\/core\/(series-index|series-key|series-chains|series-hint|series-table|scope-memberships)/.test(f.url),
  ],
  ['record: panes, watermark, offsets', (f) => /src\/core\//.test(f.url)],
  ['module loading and startup', (f) => /node_modules\/(tsx|zod)|node:internal\/modules/.test(f.url)],
];

/**
 * The split stage two's parts (bench/split-arbiter.ts profiled): the arbiter's judging by what
 * it does, its verification and merge, then the bench's named steps (each part's parse, the
 * shards' steps, the framing). A frame of a guardrail counts as judging (only the arbiter runs
 * the chain here); `draftOf` and the modes, which the shards call while building, do not.
 */
export const SPLIT_ARBITER_RULES: readonly [string, (f: CallFrame) => boolean][] = [
  [
    'arbiter judge: guardrail chain and mode',
    (f) =>
      (/src\/guardrails\//.test(f.url) && !/src\/guardrails\/modes/.test(f.url) && f.functionName !== 'draftOf') ||
      (f.url.includes('src/policies/verdict') && f.functionName === 'judgeCandidate'),
  ],
  ['arbiter judge: order, counts, slices (arbiter.ts)', (f) => /src\/pipeline\/arbiter\./.test(f.url)],
  ['arbiter: verification', (f) => /src\/(verify\/|pipeline\/verify-step)/.test(f.url)],
  ['arbiter: merging the records (sorts)', (f) => /^(mergeBuilt|sortCommands|sortDecisions)$/.test(f.functionName)],
  ['arbiter: parsing the reports', (f) => f.functionName === 'parseReport'],
  ['arbiter: parsing the built records', (f) => f.functionName === 'parseBuilt'],
  ['arbiter: judging, the rest (the wire form back, bookkeeping)', (f) => f.functionName === 'judgeReports'],
  ['arbiter: merge and verify, the rest', (f) => f.functionName === 'finishWindow'],
  ['framing: chunk records written and read back (both halves)', (f) => f.functionName === 'chunkRoundTrip'],
  ['shards: evaluating and encoding their reports', (f) => f.functionName === 'evaluateShard'],
  ['shards: building, signing and encoding their records', (f) => f.functionName === 'buildShard'],
  ['bench: the finals, routing, copies of small messages', (f) => f.url.includes('bench/split-arbiter')],
  ['module loading and startup', (f) => /node_modules\/(tsx|zod|esbuild)|node:internal\/modules/.test(f.url)],
];

/**
 * bench/record-path.ts profiled (`node --cpu-prof --import tsx bench/record-path.ts`): the
 * bench's encoding (untimed), the one-pass reader (which runs in both passes of a round, and
 * once more untimed to count fresh tags: divide its µs by about 2 per round), then the
 * processor's step by part — the processor around the engine, the stage-two merge of the
 * scope partials it makes in the same process, and the engine's own phases (ENGINE_RULES).
 */
export const RECORD_PATH_RULES: readonly [string, (f: CallFrame) => boolean][] = [
  [
    'bench: encoding the records (untimed)',
    (f) =>
      f.url.includes('node_modules/avsc') ||
      f.url.includes('src/codec/validate-telemetry') ||
      (f.url.includes('src/codec/telemetry.') &&
        /^(encode|checked|sortedTags|encodeTelemetryJson)/.test(f.functionName)) ||
      f.functionName === 'encodeAll',
  ],
  [
    'reader (one-pass Avro/JSON, tags memo, string table)',
    (f) =>
      /src\/codec\/|src\/replay\/fast-jsonl\//.test(f.url) ||
      (f.url.includes('src/core/series-hint') && /^(addSeriesHint|hintSource)$/.test(f.functionName)),
  ],
  [
    'step: stage-two merge of the scope partials (scope-merger, sketches decoded)',
    (f) =>
      f.url.includes('src/core/scope-merger') ||
      (f.url.includes('src/signals/sketch-codec') && /^(sketchFromBase64|decodeSketch|readStore)/.test(f.functionName)),
  ],
  ['step: the processor around the engine (routing outputs)', (f) => f.url.includes('src/pipeline/processor')],
  ...ENGINE_RULES.filter(([name]) => /^(record|close|panes):/.test(name)).map(
    ([name, match]) => [`step: ${name}`, match] as [string, (f: CallFrame) => boolean],
  ),
  // Its own frames: the loop, String(i) for the offsets, and whatever of the reader V8 inlined into it.
  ['bench: the loop (record-path.ts; may hold inlined reader frames)', (f) => f.url.includes('bench/record-path')],
  ['module loading and startup', (f) => /node_modules\/(tsx|zod)|node:internal\/modules/.test(f.url)],
];

/** Self time of leaf frames that are not code: their own phases whatever the stack. */
const SPECIAL = new Map<string, string>([
  ['(garbage collector)', 'garbage collection'],
  ['(idle)', 'idle (waiting on the broker)'],
  ['(program)', 'other (timers, metrics, runtime)'],
  // kafkajs writes a request to its socket from a microtask, after the frames that built it.
  ['writeBuffer', 'socket writes (kafkajs requests: mostly the produced outputs)'],
]);

export interface PhaseRow {
  phase: string;
  ms: number;
  share: number;
  /** Microseconds per event of the profiled run. */
  usPerEvent: number;
}

export function phases(
  profile: PhaseProfile,
  events: number,
  rules: readonly [string, (f: CallFrame) => boolean][] = RULES,
): { totalMs: number; rows: PhaseRow[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = phaseOf.get(id);
    if (known !== undefined) return known;
    const leaf = byId.get(id)!.callFrame.functionName;
    let found = SPECIAL.get(leaf);
    for (let cur: number | undefined = id; found === undefined && cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      found = rules.find(([, match]) => match(f))?.[0];
    }
    const phase = found ?? 'other (timers, metrics, runtime)';
    phaseOf.set(id, phase);
    return phase;
  };
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const d = profile.timeDeltas[i] ?? 0;
    total += d;
    const p = classify(profile.samples[i]);
    us.set(p, (us.get(p) ?? 0) + d);
  }
  const rows = [...us.entries()]
    .map(([phase, u]) => ({ phase, ms: u / 1000, share: u / total, usPerEvent: u / events }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, rows };
}
