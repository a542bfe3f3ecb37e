import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONTROL_KINDS, DEFAULT_CONTROL_LIMITS, type ControlKind } from '../guardrails/control';
import type { ControlKeyConfig } from '../guardrails/control-signature';
import { ConfigError } from '../errors';

/** Env var holding an operator's private control key for `homeostat control` (else --key-file). */
export const CONTROL_KEY_ENV = 'HOMEOSTAT_CONTROL_KEY';
/** Env var naming that key's id (else --key-id, else `default`). */
export const CONTROL_KEY_ID_ENV = 'HOMEOSTAT_CONTROL_KEY_ID';

const keySchema = z
  .object({
    id: z.string().min(1).max(128),
    /** The operator's Ed25519 public key: PEM, base64:<32 bytes> or hex:<64 digits>. */
    publicKey: z.string().min(1).optional(),
    /** Or a file holding it. */
    publicKeyFile: z.string().min(1).optional(),
    /** Kinds the key may issue; default every kind but unkill. */
    allow: z
      .array(z.enum(CONTROL_KINDS as [ControlKind, ...ControlKind[]]))
      .min(1)
      .optional(),
  })
  .strict()
  .refine((k) => (k.publicKey === undefined) !== (k.publicKeyFile === undefined), {
    message: 'give exactly one of publicKey and publicKeyFile',
  });

/**
 * Who may steer the loop through the control topic (docs/security.md): the operators'
 * public keys, and the bounds on what the topic may hold. No key configured: every control
 * record is refused (and the processor says so at start).
 */
export const controlSchema = z
  .object({
    keys: z.array(keySchema).default([]),
    /** Most exclusions in force at once. */
    maxExclusions: z.number().int().positive().max(1_000_000).default(DEFAULT_CONTROL_LIMITS.maxExclusions),
  })
  .strict()
  .default({});

export type ControlConfig = z.infer<typeof controlSchema>;

/** The configured keys with every key file read; throws a ConfigError naming an unreadable file. */
export function controlKeys(config: ControlConfig): ControlKeyConfig[] {
  return config.keys.map((k, i) => {
    if (k.publicKey !== undefined) return { id: k.id, publicKey: k.publicKey, allow: k.allow };
    try {
      return { id: k.id, publicKey: readFileSync(k.publicKeyFile!, 'utf8'), allow: k.allow };
    } catch (err) {
      throw new ConfigError([
        `control.keys.${i}.publicKeyFile: cannot read ${k.publicKeyFile} (${(err as Error).message}); give the path of ` +
          `the operator's public key`,
      ]);
    }
  });
}
