/**
 * Hashes used for deterministic identity: ids, versions and canary selection. sha256 is
 * the only source of "randomness" in the decision path (see docs/policies.md).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Hex sha256 of the canonical JSON of `value`, truncated to `length` hex characters. */
export function canonicalHash(value: unknown, length: number): string {
  return sha256Hex(canonicalJson(value)).slice(0, length);
}

/**
 * A number in [0, 1) derived from `text`: the first 52 bits of its sha256 divided by
 * 2^52 (52 bits fit a double exactly). Uniform for practical purposes, stable forever.
 */
export function hashUnit(text: string): number {
  const hex = sha256Hex(text).slice(0, 13);
  return parseInt(hex, 16) / 2 ** 52;
}
