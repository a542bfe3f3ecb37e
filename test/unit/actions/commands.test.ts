import { buildCommand, type CommandSpec } from '../../../src/actions/build';
import { commandId } from '../../../src/actions/command-id';
import { completeParams } from '../../../src/actions/params';
import { signCommand, verifyCommand } from '../../../src/actions/signing';
import type { Command } from '../../../src/model/command';
import { testKeyring, testSigningKey } from '../../helpers/keys';

const spec: CommandSpec = {
  policy: 'at',
  policyVersion: 'abcdef012345',
  target: 'w1',
  type: 'query_timeout.set',
  params: completeParams({ timeoutMs: 1500.4, extra: { note: 'x' } }),
  mode: 'enforce',
  reason: 'overloaded',
  evidence: [{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }],
  windowStart: 1000,
  windowEnd: 11_000,
  issuedAt: 11_000,
  leaseMs: 30_000,
};
const key = testSigningKey('k1', 4);
const ring = testKeyring(key);

describe('command ids', () => {
  it('are 32 hex chars, deterministic, and cover policy, version, target, window, type and params', () => {
    const a = buildCommand(spec, null);
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(buildCommand(spec, null).id).toBe(a.id);
    const variants: Partial<CommandSpec>[] = [
      { policy: 'other' },
      { policyVersion: 'x' },
      { target: 'w2' },
      { windowStart: 0 },
      { windowEnd: 12_000 },
      { type: 'query_timeout.revert' },
      { params: completeParams({ timeoutMs: 1501 }) },
      { params: completeParams({ timeoutMs: 1500, extra: { note: 'y' } }) },
    ];
    for (const v of variants) expect(buildCommand({ ...spec, ...v }, null).id).not.toBe(a.id);
  });

  it('do not change with mode, reason, evidence or issue time, nor with signing', () => {
    const a = buildCommand(spec, null).id;
    expect(buildCommand({ ...spec, mode: 'shadow', reason: 'r', evidence: [], issuedAt: 99, leaseMs: 1 }, key).id).toBe(
      a,
    );
  });

  it('match commandId() over the wire parameters (integers for ms fields, nulls for reverts)', () => {
    const c = buildCommand(spec, null);
    expect(c.params.timeoutMs).toBe(1500);
    expect(c.expiresAt).toBe(41_000);
    expect(commandId({ ...spec, params: c.params })).toBe(c.id);
    const r = buildCommand({ ...spec, type: 'query_timeout.revert' }, null);
    expect(r.params.timeoutMs).toBeNull();
    expect(r.params.extra).toEqual({});
  });
});

describe('signatures', () => {
  const signed = buildCommand(spec, key);

  it('verify with the right key', () => {
    expect(signed.keyId).toBe('k1');
    expect(signed.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(verifyCommand(signed, ring)).toEqual({ ok: true });
    expect(signCommand(buildCommand(spec, null), key)).toEqual(signed);
  });

  it('report unsigned commands and unknown keys', () => {
    expect(verifyCommand(buildCommand(spec, null), ring)).toEqual({ ok: false, reason: 'unsigned' });
    expect(verifyCommand(signed, { k2: ring.k1 })).toEqual({ ok: false, reason: 'unknown-key' });
    expect(verifyCommand(signed, testKeyring(testSigningKey('k1', 44)))).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('detect tampering with any field, nested ones included', () => {
    const tamper: ((c: Command) => Command)[] = [
      (c) => ({ ...c, id: c.id.replace(/^./, (x) => (x === '0' ? '1' : '0')) }),
      (c) => ({ ...c, type: 'query_timeout.revert' }),
      (c) => ({ ...c, target: 'w2' }),
      (c) => ({ ...c, params: { ...c.params, timeoutMs: 1501 } }),
      (c) => ({ ...c, params: { ...c.params, quotaBytesPerSec: 0 } }),
      (c) => ({ ...c, params: { ...c.params, extra: { note: 'y' } } }),
      (c) => ({ ...c, params: { ...c.params, extra: { ...c.params.extra, more: '1' } } }),
      (c) => ({ ...c, mode: 'shadow' }),
      (c) => ({ ...c, policy: 'other' }),
      (c) => ({ ...c, policyVersion: 'x' }),
      (c) => ({ ...c, reason: 'something else' }),
      (c) => ({ ...c, evidence: [{ ...c.evidence[0], value: 81 }] }),
      (c) => ({ ...c, evidence: [{ ...c.evidence[0], comparison: '<' }] }),
      (c) => ({ ...c, evidence: [] }),
      (c) => ({ ...c, windowStart: c.windowStart + 1 }),
      (c) => ({ ...c, windowEnd: c.windowEnd + 1 }),
      (c) => ({ ...c, issuedAt: c.issuedAt + 1 }),
      (c) => ({ ...c, expiresAt: c.expiresAt + 60_000 }),
      (c) => ({ ...c, signature: (c.signature.startsWith('A') ? 'B' : 'A') + c.signature.slice(1) }),
      (c) => ({ ...c, audience: 'quota' }),
      (c) => ({ ...c, signature: c.signature.slice(0, 10) }),
      (c) => ({ ...c, signature: c.signature.toUpperCase() }),
    ];
    for (const t of tamper) expect(verifyCommand(t(signed), ring)).toEqual({ ok: false, reason: 'bad-signature' });
    // covering every field of the command: a test of the test
    const touched = new Set<string>();
    for (const t of tamper) {
      const changed = t(signed);
      for (const k of Object.keys(signed) as (keyof Command)[])
        if (JSON.stringify(changed[k]) !== JSON.stringify(signed[k])) touched.add(k);
    }
    expect([...touched].sort()).toEqual(
      Object.keys(signed)
        .filter((k) => k !== 'keyId')
        .sort(),
    );
    // and a changed key id is either unknown or a bad signature
    expect(verifyCommand({ ...signed, keyId: 'k2' }, { k1: ring.k1, k2: ring.k1 })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });
});
