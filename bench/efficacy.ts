/**
 * Worth automating? Every loop against the best static configuration, on the policies'
 * documented defaults, across scenario families (docs/simulation.md, "Efficacy study").
 *
 *   npm run bench:efficacy            # seeds 1–12, every variant (a few minutes on 2 cores)
 *   npm run bench:efficacy -- --quick # seeds 1–2, two variants per family
 *   … --workers 2                     # worker threads (default: available cores)
 *   … --family thundering-herd        # one family only (written as a quick result, never the recorded study)
 *
 * Writes bench/results/efficacy/<ISO time>.json (per variant and arm: the family's figures over the
 * whole run, by seed, with mean and range; the static point chosen; the summary) and the
 * study's HTML page to out/efficacy.html, and prints the summary. The study is pure and
 * deterministic: the figures do not depend on the machine, only the time it takes does.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { writeReport } from '../src/report';
import {
  FULL_PLAN,
  QUICK_PLAN,
  README_VARIANTS,
  readmeTable,
  runStudy,
  studyReport,
  studySummaryLines,
  type CellResult,
  type CellTask,
  type SeedOne,
  type SeedOneArm,
  type StudyResult,
} from '../src/sim/study';
import { argFlag, argNumber, argString, writeResult } from './lib/results';

/** The worker module is TypeScript: each thread registers tsx's require hook, then loads it. */
const WORKER_BOOT = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'efficacy-worker.ts'))});`;

type Reply = { ok: true; result: CellResult } | { ok: false; task: CellTask; error: string };

/** Runs cells on a pool of worker threads, longest-first is not needed: cells are many and small. */
function pool(size: number): {
  run: (tasks: readonly CellTask[]) => Promise<CellResult[]>;
  close: () => Promise<void>;
} {
  const workers = Array.from({ length: size }, () => new Worker(WORKER_BOOT, { eval: true }));
  async function run(tasks: readonly CellTask[]): Promise<CellResult[]> {
    const out: CellResult[] = [];
    let next = 0;
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= tasks.length) {
                w.off('message', onMessage);
                resolve();
                return;
              }
              w.postMessage(tasks[next++]);
            };
            const onMessage = (m: Reply) => {
              if (!m.ok) {
                w.off('message', onMessage);
                reject(new Error(`cell ${JSON.stringify(m.task)} failed: ${m.error}`));
                return;
              }
              out.push(m.result);
              if (out.length % 200 === 0 || out.length === tasks.length)
                process.stderr.write(`  ${out.length}/${tasks.length} runs\n`);
              feed();
            };
            w.on('message', onMessage);
            w.once('error', reject);
            feed();
          }),
      ),
    );
    return out;
  }
  return { run, close: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}

/** The seed-1 headline values of the README's variants, from the study's own cells. */
function seedOneOf(result: StudyResult): SeedOne {
  const out: Record<string, Record<SeedOneArm, number>> = {};
  for (const f of result.families) {
    const v = f.variants.find((x) => x.name === README_VARIANTS[f.family]);
    if (v === undefined) continue;
    const at = (arm: SeedOneArm) => v.allSeeds[arm][f.headline.key].seeds['1'] ?? NaN;
    out[f.family] = { off: at('off'), static: at('static'), on: at('on'), staticOn: at('staticOn') };
  }
  return out;
}

async function main(): Promise<void> {
  const quick = argFlag('quick');
  const threads = argNumber('workers', Math.max(1, availableParallelism()));
  const only = argString('family', '') || undefined;
  const base = quick ? QUICK_PLAN : FULL_PLAN;
  const plan = only === undefined ? base : { ...base, families: base.families.filter((f) => f.family === only) };
  if (plan.families.length === 0)
    throw new Error(`--family ${only}: no such family (have: ${base.families.map((f) => f.family).join(', ')})`);
  const p = pool(threads);
  const t0 = performance.now();
  let result;
  try {
    result = await runStudy(plan, p.run);
  } finally {
    await p.close();
  }
  const elapsedMs = performance.now() - t0;
  const flags = [quick ? '--quick' : '', only === undefined ? '' : `--family ${only}`].filter((x) => x !== '');
  const command = `npm run bench:efficacy${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
  // A one-family run is for iterating: it never becomes the recorded study the README is made from.
  const file = writeResult(quick || only !== undefined ? 'efficacy-quick' : 'efficacy', {
    command,
    quick,
    workers: threads,
    elapsedMs: Math.round(elapsedMs),
    ...result,
  });
  const html = join(__dirname, '..', 'out', quick ? 'efficacy-quick.html' : 'efficacy.html');
  await writeReport(
    html,
    studyReport(
      result,
      `${command}: ${result.cells} simulated runs, seeds ${[...plan.training, ...plan.heldOut].join(', ')}`,
    ),
  );
  for (const line of studySummaryLines(result)) console.log(line);
  if (!quick) console.log(`\nREADME table (seed 1, range over seeds 1–12):\n${readmeTable(result, seedOneOf(result))}`);
  console.log(
    `\n${result.cells} runs in ${(elapsedMs / 1000).toFixed(1)} s on ${threads} worker threads (aim: under 10 min on 2 cores) → ${file}, ${html}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
