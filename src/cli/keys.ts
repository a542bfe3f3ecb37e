import type { Command } from 'commander';
import { generateEd25519, SIGNING_KEY_ENV, SIGNING_KEY_ID_ENV, VERIFY_KEYS_ENV } from '../actions';
import { HomeostatError } from '../errors';

/**
 * `homeostat keys`: a fresh Ed25519 key pair for command signing, printed as the
 * environment lines each side needs. The private key goes to the processor only; the
 * public key to every executor.
 */
export function registerKeysCommand(program: Command): void {
  program
    .command('keys')
    .description(
      'generate an Ed25519 key pair for command signing: the private key for the processor, the public key for executors',
    )
    .option('--id <keyId>', 'key id the commands will carry', 'k1')
    .action((opts: { id: string }) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.id))
        throw new HomeostatError('USAGE', `--id must be 1–64 letters, digits, '.', '_' or '-', got '${opts.id}'`);
      const pair = generateEd25519();
      process.stdout.write(
        [
          '# processor (keep secret):',
          `${SIGNING_KEY_ID_ENV}=${opts.id}`,
          `${SIGNING_KEY_ENV}=${pair.privateKey}`,
          '# executors (public):',
          `${VERIFY_KEYS_ENV}=${opts.id}=${pair.publicKey}`,
          '',
        ].join('\n'),
      );
    });
}
