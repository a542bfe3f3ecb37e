import { CommanderError, type Command } from 'commander';
import { HomeostatError, describeError } from '../errors';
import { parsePositiveInt } from '../replay/cli-support';
import { diffDecisions, type DiffInput } from '../replay/diff';
import { diffJson, formatDiff } from '../replay/diff-format';
import { readJsonl } from '../replay/jsonl';

interface DiffCliOptions {
  commandsA?: string;
  commandsB?: string;
  json?: boolean;
  limit?: string;
}

async function side(decisions: string, commands: string | undefined): Promise<DiffInput> {
  const d = await readJsonl('decision', decisions, { strict: true });
  if (commands === undefined) return { decisions: d.records };
  const c = await readJsonl('command', commands, { strict: true });
  return { decisions: d.records, commands: c.records };
}

/**
 * `homeostat diff a.jsonl b.jsonl`: exit 0 when the decision streams are the same, 1 when they
 * differ, 2 on trouble (unreadable file, a line that is not a decision, bad flags) — like diff(1),
 * so a script or CI job can gate a policy change on it.
 */
export function registerDiffCommand(program: Command): void {
  program
    .command('diff <a> <b>')
    .description(
      'compare two decision streams (canonical JSONL from replay --out): what actions would change; exit 0 same, 1 different, 2 error',
    )
    .option('--commands-a <file>', "A's commands (replay --commands), to compare parameters exactly")
    .option('--commands-b <file>', "B's commands")
    .option('--json', 'print the whole comparison as JSON')
    .option('--limit <n>', 'difference lines printed (default 50)')
    // Usage errors exit 2, as every other failure of this command (commander would say 1).
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(async (a: string, b: string, opts: DiffCliOptions) => {
      try {
        const limit = parsePositiveInt(opts.limit, '--limit');
        const [da, db] = await Promise.all([side(a, opts.commandsA), side(b, opts.commandsB)]);
        const diff = diffDecisions(da, db);
        process.stdout.write(
          opts.json === true ? diffJson(diff, { a, b }) : formatDiff(diff, { labelA: a, labelB: b, limit }),
        );
        process.exitCode = diff.identical ? 0 : 1;
      } catch (err) {
        const code = err instanceof HomeostatError ? ` [${err.code}]` : '';
        process.stderr.write(`homeostat diff: ${err instanceof Error ? err.message : describeError(err)}${code}\n`);
        process.exitCode = 2;
      }
    });
}
