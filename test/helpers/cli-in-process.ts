/** Runs `homeostat <args>` in this process, as src/cli/main.ts does: errors become a message and an exit code. */
import { Command, CommanderError } from 'commander';
import { HomeostatError } from '../../src/errors';

export interface Ran {
  code: number;
  out: string;
  err: string;
}

/** `register`: the subcommands to mount (e.g. registerReplayCommand); stdout and stderr are captured. */
export async function runCli(register: readonly ((program: Command) => void)[], args: readonly string[]): Promise<Ran> {
  const program = new Command().name('homeostat').exitOverride();
  for (const r of register) r(program);
  let out = '';
  let err = '';
  const so = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const se = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  process.exitCode = undefined;
  let code = 0;
  try {
    await program.parseAsync(['node', 'homeostat', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else if (e instanceof HomeostatError) {
      err += `homeostat: ${e.message} [${e.code}]\n`;
      code = e.code === 'USAGE' || e.code === 'CONFIG_INVALID' ? 2 : 1;
    } else throw e;
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = undefined;
  }
  return { code, out, err };
}
