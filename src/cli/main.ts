import { Command, CommanderError } from 'commander';
import { HomeostatError, describeError } from '../errors';
import { registerControlCommand } from './control';
import { registerDemoCommand } from './demo';
import { registerDiffCommand } from './diff';
import { registerImportCommand } from './import';
import { registerReplayCommand } from './replay';
import { registerReportCommand } from './report';
import { registerExecutorCommand } from './executor';
import { registerKeysCommand } from './keys';
import { registerLoadCommand } from './load';
import { registerRunCommand } from './run';
import { registerTopicsCommand } from './topics';
import { registerBacktestCommand } from './backtest';

/**
 * The `homeostat` command. Each subcommand lives in its own file and registers itself;
 * this file only assembles them and turns errors into a message and an exit code.
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('homeostat')
    .description('A self-healing control loop for services on Apache Kafka')
    .version(readVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTopicsCommand(program);
  registerRunCommand(program);
  registerControlCommand(program);
  registerDemoCommand(program);
  registerImportCommand(program);
  registerReplayCommand(program);
  registerDiffCommand(program);
  registerReportCommand(program);
  registerExecutorCommand(program);
  registerLoadCommand(program);
  registerKeysCommand(program);
  registerBacktestCommand(program);
  return program;
}

function readVersion(): string {
  // Read at run time so that the version is the installed package's.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error. */
export async function main(argv: string[]): Promise<number> {
  // `homeostat demo | head`: the reader left, so there is nobody to write to. Exit quietly
  // as Unix tools do, instead of crashing on an unhandled EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof HomeostatError) {
      process.stderr.write(`homeostat: ${err.message} [${err.code}]\n`);
      return err.code === 'USAGE' || err.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    process.stderr.write(`homeostat: unexpected error: ${describeError(err)}\n${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}
