/**
 * Finding 1: who may steer the loop. Before, any decodable record on the control topic was
 * applied: one `{"kind":"mode","policy":null,"mode":"enforce"}` switched every policy to
 * enforce, `unkill` reversed an operator's kill, and 200k distinct `exclude`s made every
 * restart quadratic. Now: only records signed by a configured operator key are applied, a
 * replayed older record cannot undo a newer one, a policy cannot be raised past its
 * ceiling, unkill needs a key allowed it, and the exclusions are capped.
 * The reader on the real broker is in control-topic.test.ts.
 */
import { generateEd25519 } from '../../src/actions/ed25519';
import { CONTROL_KINDS, initialControlState, type ControlRecord } from '../../src/guardrails/control';
import { controlAuthRefusal, createControlKeyring, signControl } from '../../src/guardrails/control-signature';
import { createDecisionEngine, createPolicy } from '../../src/policies';

const operator = generateEd25519();
const intruder = generateEd25519();
const keyring = createControlKeyring([
  { id: 'ops', publicKey: operator.publicKey },
  { id: 'lead', publicKey: operator.publicKey, allow: [...CONTROL_KINDS] },
]);
let clock = 1_800_000_000_000;
const rec = (c: Partial<ControlRecord> & Pick<ControlRecord, 'kind'>): ControlRecord => ({
  policy: null,
  target: null,
  mode: null,
  issuedBy: 'alice',
  issuedAt: ++clock,
  reason: '',
  keyId: null,
  signature: null,
  ...c,
});

const policy = createPolicy({
  name: 'at',
  type: 'adaptive-timeout',
  mode: 'shadow',
  select: { metric: 'queue.depth' },
  parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000 },
});

describe('control records are authenticated (finding 1)', () => {
  test('an unsigned "every policy to enforce" is refused', () => {
    expect(controlAuthRefusal(rec({ kind: 'mode', mode: 'enforce' }), keyring)).toMatch(/unsigned/);
  });

  test('a record signed by a key the processor does not trust is refused', () => {
    const forged = signControl(rec({ kind: 'mode', mode: 'enforce' }), 'ops', intruder.privateKey);
    expect(controlAuthRefusal(forged, keyring)).toMatch(/bad signature/);
    expect(controlAuthRefusal(signControl(rec({ kind: 'kill' }), 'nobody', operator.privateKey), keyring)).toMatch(
      /unknown key id/,
    );
  });

  test('every field is covered: a signed record changed in any field is refused', () => {
    const signed = signControl(
      rec({ kind: 'exclude', policy: 'at', target: 'w1', reason: 'maintenance' }),
      'ops',
      operator.privateKey,
    );
    expect(controlAuthRefusal(signed, keyring)).toBeUndefined();
    const tampered: ControlRecord[] = [
      { ...signed, kind: 'include' },
      { ...signed, policy: null },
      { ...signed, target: 'w2' },
      { ...signed, issuedAt: signed.issuedAt + 1 },
      { ...signed, issuedBy: 'mallory' },
      { ...signed, reason: '' },
      { ...signed, keyId: 'lead' },
      { ...signed, signature: 'not base64 at all' },
    ];
    for (const t of tampered) expect(controlAuthRefusal(t, keyring)).toBeDefined();
  });

  test('no key configured: every record is refused (the default of a fresh install)', () => {
    const signed = signControl(rec({ kind: 'kill' }), 'ops', operator.privateKey);
    expect(controlAuthRefusal(signed, createControlKeyring([]))).toMatch(/no operator key/);
  });

  test('unkill needs a key given that power explicitly', () => {
    expect(controlAuthRefusal(signControl(rec({ kind: 'unkill' }), 'ops', operator.privateKey), keyring)).toMatch(
      /may not issue 'unkill'/,
    );
    expect(
      controlAuthRefusal(signControl(rec({ kind: 'unkill' }), 'lead', operator.privateKey), keyring),
    ).toBeUndefined();
  });
});

describe('what an authentic record may do (finding 1)', () => {
  test('a replayed older record cannot undo a newer one', () => {
    const engine = createDecisionEngine({ policies: [policy], signing: null });
    const unkillOld = rec({ kind: 'unkill' });
    const kill = rec({ kind: 'kill' });
    let s = engine.init();
    s = engine.onControl(s, rec({ kind: 'kill' })).state;
    s = engine.onControl(s, unkillOld).state;
    s = engine.onControl(s, kill).state;
    expect(s.guard.control.killed).toBe(true);
    const replay = engine.onControl(s, unkillOld);
    expect(replay.refused).toMatch(/stale/);
    expect(replay.state.guard.control.killed).toBe(true);
    // Re-reading the record in force (a restart re-reads the compacted topic) is no news, not a refusal.
    expect(engine.onControl(s, kill).refused).toBeUndefined();
  });

  test('a policy cannot be raised above its configured mode unless its config allows it', () => {
    const engine = createDecisionEngine({ policies: [policy], signing: null });
    const out = engine.onControl(engine.init(), rec({ kind: 'mode', policy: 'at', mode: 'enforce' }));
    expect(out.refused).toMatch(/ceiling/);
    expect(engine.modeOf(out.state, 'at')).toBe('shadow');
    // "Every policy to enforce" is applied, but each policy stays at or below its own ceiling.
    const all = engine.onControl(engine.init(), rec({ kind: 'mode', mode: 'enforce' }));
    expect(engine.modeOf(all.state, 'at')).toBe('shadow');
    const allowed = createPolicy({ ...policyConfig(), maxControlMode: 'enforce' });
    const engine2 = createDecisionEngine({ policies: [allowed], signing: null });
    expect(
      engine2.modeOf(
        engine2.onControl(engine2.init(), rec({ kind: 'mode', policy: 'at', mode: 'enforce' })).state,
        'at',
      ),
    ).toBe('enforce');
  });

  test('exclusions are capped and cost O(1) each: 200k distinct excludes', () => {
    const engine = createDecisionEngine({ policies: [policy], signing: null, control: { maxExclusions: 1000 } });
    let s = engine.init();
    let refused = 0;
    for (let i = 0; i < 200_000; i++) {
      const out = engine.onControl(s, rec({ kind: 'exclude', target: `t${i}` }));
      if (out.refused) refused++;
      s = out.state;
    }
    expect(Object.keys(s.guard.control.excluded)).toHaveLength(1000);
    expect(s.guard.control.excludedCount).toBe(1000);
    expect(refused).toBe(199_000);
  });
});

test('the initial control state has the fields the sequence and the cap need', () => {
  expect(initialControlState()).toMatchObject({ excludedCount: 0, lastIssuedAt: 0 });
});

function policyConfig(): Record<string, unknown> {
  return {
    name: 'at',
    type: 'adaptive-timeout',
    mode: 'shadow',
    select: { metric: 'queue.depth' },
    parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000 },
  };
}
