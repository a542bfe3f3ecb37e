import type { Command } from 'commander';
import { createRandom } from '../client';
import { HomeostatError } from '../errors';

interface LoadOptions {
  url: string;
  rate: string;
  stepAfter: string;
  stepFactor: string;
  duration: string;
  seed: string;
}

/**
 * `homeostat load`: an open-loop query generator for the demo worker, so the whole loop can
 * be watched healing: a steady rate, then a step up (default 2×) that overloads the worker.
 * Open loop (arrivals do not wait for answers), as real traffic does; costs are log-normal,
 * mostly short queries and a heavy tail.
 */
export function registerLoadCommand(program: Command): void {
  program
    .command('load')
    .description(
      'send queries to demo workers at a rate, stepping it up to overload them (for the docker compose demo)',
    )
    .requiredOption('--url <list>', 'comma-separated query URLs, e.g. http://worker-1:8080/query')
    .option('--rate <n>', 'queries per second per URL before the step', '150')
    .option('--step-after <s>', 'seconds before the load steps up', '60')
    .option('--step-factor <x>', 'load multiplier after the step', '2')
    .option('--duration <s>', 'seconds to run (0: until stopped)', '0')
    .option('--seed <n>', 'seed of the query costs', '1')
    .action(async (opts: LoadOptions) => {
      const urls = opts.url
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      const rate = Number(opts.rate);
      const stepAfter = Number(opts.stepAfter) * 1000;
      const factor = Number(opts.stepFactor);
      const duration = Number(opts.duration) * 1000;
      if (urls.length === 0 || !(rate > 0) || !(factor > 0) || !(stepAfter >= 0) || !(duration >= 0)) {
        throw new HomeostatError(
          'USAGE',
          'load: --url must list URLs; --rate, --step-factor > 0; --step-after, --duration ≥ 0',
        );
      }
      const random = createRandom(Number(opts.seed));
      const started = Date.now();
      let stopping = false;
      process.once('SIGTERM', () => (stopping = true));
      process.once('SIGINT', () => (stopping = true));
      const stats = { sent: 0, ok: 0, timedOut: 0, failed: 0 };
      const report = setInterval(
        () => process.stderr.write(`${JSON.stringify({ t: Math.round((Date.now() - started) / 1000), ...stats })}\n`),
        5000,
      );
      report.unref();
      const tickMs = 50;
      let carry = 0;
      while (!stopping && (duration === 0 || Date.now() - started < duration)) {
        const perSec = rate * urls.length * (Date.now() - started >= stepAfter ? factor : 1);
        carry += (perSec * tickMs) / 1000;
        for (; carry >= 1; carry--) {
          const url = urls[stats.sent % urls.length];
          // Log-normal cost: median 1, a tail of long queries (σ = 1).
          const cost = Math.exp(Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())).toFixed(3);
          stats.sent++;
          void fetch(`${url}?cost=${cost}`)
            .then((r) => {
              if (r.status === 200) stats.ok++;
              else if (r.status === 504) stats.timedOut++;
              else stats.failed++;
              return r.arrayBuffer();
            })
            .catch(() => stats.failed++);
        }
        await new Promise((r) => setTimeout(r, tickMs));
      }
      clearInterval(report);
    });
}
