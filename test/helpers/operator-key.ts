/** A fixed operator key for tests that steer a processor through the control topic. */
import { parseEd25519PrivateKey, rawPublicKey } from '../../src/actions/ed25519';
import { CONTROL_KINDS } from '../../src/guardrails/control';

export const OPERATOR_KEY_ID = 'test-operator';
/** The raw 32-byte seed, as `homeostat control keygen` writes it. */
export const OPERATOR_PRIVATE_KEY = `base64:${Buffer.alloc(32, 11).toString('base64')}`;
export const OPERATOR_PUBLIC_KEY = `base64:${rawPublicKey(parseEd25519PrivateKey(OPERATOR_PRIVATE_KEY, 'test operator key'))}`;

/** The processor's `control:` section trusting the test operator for every kind (unkill too). */
export function operatorControlConfig(): { keys: { id: string; publicKey: string; allow: string[] }[] } {
  return { keys: [{ id: OPERATOR_KEY_ID, publicKey: OPERATOR_PUBLIC_KEY, allow: [...CONTROL_KINDS] }] };
}

/** Env for `homeostat control`: signs with the test operator's key. */
export const OPERATOR_ENV = { HOMEOSTAT_CONTROL_KEY: OPERATOR_PRIVATE_KEY, HOMEOSTAT_CONTROL_KEY_ID: OPERATOR_KEY_ID };
