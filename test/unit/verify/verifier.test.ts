import { verifyCommand } from '../../../src/actions/signing';
import { schemaType } from '../../../src/codec/schemas';
import { buildRevertCommand, createVerifier, type RevertProposal } from '../../../src/verify';
import { KEY, W, cmd, deepFreeze, depth, drive, end, sig } from './fixtures';
import { testKeyring } from '../../helpers/keys';

const outcomeType = schemaType('outcome');

/** Worker w1 gets a cut at the end of window 0 (its queue depth 80 > 50); `series[k]` is its depth in window k+1. */
function afterCut(series: number[], config = {}) {
  const v = createVerifier(config);
  return drive(
    v,
    series.length + 1,
    (i) => [depth('w1', i, i === 0 ? 80 : series[i - 1])],
    (i) => (i === 0 ? [cmd({ target: 'w1', i: 0 })] : []),
  );
}

describe('verifier verdicts', () => {
  it('a recovering signal is improved, with the time to the first healthy window', () => {
    const r = afterCut([70, 55, 40, 30, 20, 10]);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0];
    expect(o.verdict).toBe('improved');
    // 40 (window 3) is the first value under the policy's threshold 50 (from the evidence).
    expect(o.timeToRecoveryMs).toBe(end(3) - end(0));
    expect(o.signals).toEqual([{ signal: 'queue.depth:mean', before: 80, after: 20 }]);
    expect(o.verificationStart).toBe(end(0));
    expect(o.verificationEnd).toBe(end(0) + 5 * W);
    expect(o.eventTime).toBe(end(5));
    expect(o.trackRecord).toEqual({ actions: 1, successRate: 1, medianTimeToRecoveryMs: 3 * W, reverts: 0 });
    expect(o.canaryEffect).toBeNull();
    expect(o.mode).toBe('enforce');
    expect(outcomeType.isValid(o)).toBe(true);
    expect(r.reverts).toEqual([]);
    // Verified and forgotten.
    expect(r.state.pending).toEqual([]);
  });

  it('decides only once the verification window has passed', () => {
    const r = afterCut([70, 55, 40, 30]);
    expect(r.outcomes).toEqual([]);
    expect(r.state.pending).toHaveLength(1);
  });

  it('a worsening signal is worsened and proposes a signed revert', () => {
    const r = afterCut([90, 100, 110, 120, 130]);
    expect(r.outcomes.map((o) => o.verdict)).toEqual(['worsened']);
    expect(r.outcomes[0].timeToRecoveryMs).toBeNull();
    expect(r.outcomes[0].trackRecord).toEqual({ actions: 1, successRate: 0, medianTimeToRecoveryMs: null, reverts: 1 });
    expect(outcomeType.isValid(r.outcomes[0])).toBe(true);
    expect(r.reverts).toHaveLength(1);
    const p = r.reverts[0];
    expect(p).toMatchObject({
      policy: 'timeouts',
      policyVersion: 'v1',
      target: 'w1',
      type: 'query_timeout.revert',
      mode: 'enforce',
      issuedAt: end(5),
      windowEnd: end(5),
      windowStart: end(5) - W,
      leaseMs: 3 * W,
    });
    expect(p.reason).toMatch(/^verification: worsened queue\.depth:mean 80 → 130/);
    expect(p.evidence).toEqual([{ signal: 'queue.depth:mean', value: 130, threshold: 80 * 1.2, comparison: '>=' }]);

    const revert = buildRevert(p);
    expect(revert.type).toBe('query_timeout.revert');
    expect(revert.params.timeoutMs).toBeNull();
    expect(revert.expiresAt).toBe(end(5) + 3 * W);
    expect(verifyCommand(revert, testKeyring(KEY))).toEqual({ ok: true });
    expect(buildRevert(p).id).toBe(revert.id);
  });

  it('no data for the target is inconclusive after the window', () => {
    const v = createVerifier();
    const r = drive(
      v,
      6,
      (i) => [depth('other', i, 5)],
      (i) => (i === 0 ? [cmd({ target: 'w1', i: 0 })] : []),
    );
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]).toMatchObject({
      verdict: 'inconclusive',
      eventTime: end(5),
      timeToRecoveryMs: null,
      signals: [],
    });
    expect(r.outcomes[0].trackRecord).toEqual({ actions: 1, successRate: 0, medianTimeToRecoveryMs: null, reverts: 0 });
    expect(r.reverts).toEqual([]);
  });

  it('a move inside the band is unchanged; crossing under the threshold counts as improved', () => {
    expect(afterCut([82, 85, 84, 86, 85]).outcomes[0].verdict).toBe('unchanged');
    // 80 → 66 is only −17.5%, but 66 > 50 stays unhealthy: unchanged.
    expect(afterCut([70, 70, 68, 66, 66]).outcomes[0].verdict).toBe('unchanged');
    // 55 → 45 (−18%) is within the band, but it went from over 50 to under it.
    const v = createVerifier();
    const r = drive(
      v,
      6,
      (i) => [depth('w1', i, i === 0 ? 55 : 45)],
      (i) =>
        i === 0
          ? [
              cmd({
                target: 'w1',
                i: 0,
                evidence: [{ signal: 'queue.depth:mean', value: 55, threshold: 50, comparison: '>' }],
              }),
            ]
          : [],
    );
    expect(r.outcomes[0].verdict).toBe('improved');
    expect(r.outcomes[0].timeToRecoveryMs).toBe(W);
  });

  it('the threshold X and N are configurable', () => {
    // −15% is unchanged with X = 20%, improved with X = 10%.
    expect(afterCut([68, 68, 68, 68, 68]).outcomes[0].verdict).toBe('unchanged');
    expect(afterCut([68, 68, 68, 68, 68], { threshold: 0.1 }).outcomes[0].verdict).toBe('improved');
    const short = afterCut([68, 68], { windows: 2 });
    expect(short.outcomes).toHaveLength(1);
    expect(short.outcomes[0].verificationEnd).toBe(end(0) + 2 * W);
  });

  it('measures "before" in the triggering window, replacing the evidence value', () => {
    const v = createVerifier();
    const r = drive(
      v,
      6,
      (i) => [depth('w1', i, i === 0 ? 100 : 75)],
      (i) => (i === 0 ? [cmd({ target: 'w1', i: 0 })] : []),
    );
    // Evidence said 80 (80 → 75 is unchanged); the window measured 100 (100 → 75 is −25%).
    expect(r.outcomes[0].signals[0]).toEqual({ signal: 'queue.depth:mean', before: 100, after: 75 });
    expect(r.outcomes[0].verdict).toBe('improved');
  });

  it('judges by the triggering signal when the command names one', () => {
    const v = createVerifier();
    const latency = (i: number, value: number) => sig({ metric: 'query.latency_ms', value, i, source: 'w1' });
    const r = drive(
      v,
      6,
      (i) => [depth('w1', i, 5), latency(i, i === 0 ? 2000 : 400)],
      (i) =>
        i === 0
          ? [
              cmd({
                target: 'w1',
                i: 0,
                evidence: [{ signal: 'query.latency_ms:p99', value: 2000, threshold: 1000, comparison: '>' }],
              }),
            ]
          : [],
    );
    const o = r.outcomes[0];
    expect(o.verdict).toBe('improved');
    expect(o.reason).toContain('query.latency_ms:p99');
    expect(o.signals.map((s) => s.signal)).toEqual(['queue.depth:mean', 'query.latency_ms:p99']);
  });
});

describe('which commands are verified', () => {
  const v = createVerifier();
  const started = (c: ReturnType<typeof cmd>) => v.onCommand(v.init(), c).state.pending.length;

  it('verifies enforced and canary tightenings and the control group, not plain shadow', () => {
    expect(started(cmd({ target: 'w1', i: 0, mode: 'enforce' }))).toBe(1);
    expect(started(cmd({ target: 'w1', i: 0, mode: 'canary', reason: '[canary group] overloaded' }))).toBe(1);
    expect(
      started(cmd({ target: 'w1', i: 0, mode: 'shadow', reason: '[control group: not enforced] overloaded' })),
    ).toBe(1);
    expect(started(cmd({ target: 'w1', i: 0, mode: 'shadow' }))).toBe(0);
    expect(
      v.onCommand(v.init(), cmd({ target: 'w1', i: 0, mode: 'shadow' }), { group: 'control' }).state.pending[0].role,
    ).toBe('control');
  });

  it('skips renewals and relaxes (they continue an intervention being verified)', () => {
    expect(started(cmd({ target: 'w1', i: 0, reason: 'renew lease (expires 123): overloaded' }))).toBe(0);
    expect(
      started(cmd({ target: 'w1', i: 0, mode: 'canary', reason: '[canary group] renew lease (expires 123): x' })),
    ).toBe(0);
    expect(
      started(
        cmd({
          target: 'w1',
          i: 0,
          evidence: [{ signal: 'queue.depth:mean', value: 3, threshold: 10, comparison: '<' }],
        }),
      ),
    ).toBe(0);
    expect(v.onCommand(v.init(), cmd({ target: 'w1', i: 0 }), { action: 'renew' }).state.pending).toEqual([]);
  });

  it('ignores a command it already follows (replayed input)', () => {
    const c = cmd({ target: 'w1', i: 0 });
    const s1 = v.onCommand(v.init(), c).state;
    expect(v.onCommand(s1, c).state).toBe(s1);
  });

  it('a revert ends the verification early, and it never proposes a second revert', () => {
    const r = drive(
      v,
      4,
      (i) => [depth('w1', i, i === 0 ? 80 : 200)],
      (i) =>
        i === 0
          ? [cmd({ target: 'w1', i: 0 })]
          : i === 2
            ? [cmd({ target: 'w1', i: 2, type: 'query_timeout.revert' })]
            : [],
    );
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]).toMatchObject({ verdict: 'worsened', verificationEnd: end(2), eventTime: end(2) });
    expect(r.outcomes[0].reason).toContain(`reverted at ${end(2)}`);
    expect(r.reverts).toEqual([]);
  });

  it('one revert per intervention: a worsened verdict cuts the others on the same target', () => {
    const r = drive(
      v,
      9,
      (i) => [depth('w1', i, 80 + 20 * i)],
      (i) => (i === 0 || i === 2 ? [cmd({ target: 'w1', i, timeoutMs: 500 - i })] : []),
    );
    expect(r.outcomes.map((o) => o.verdict)).toEqual(['worsened', 'worsened']);
    expect(r.reverts).toHaveLength(1);
    expect(r.outcomes[1].verificationEnd).toBe(end(5));
    expect(r.outcomes[1].trackRecord.reverts).toBe(1);
    // Two worsened commands of one intervention decided in the same window: still one revert.
    const same = drive(
      v,
      6,
      (i) => [depth('w1', i, 80 + 20 * i)],
      (i) => (i === 0 ? [cmd({ target: 'w1', i, timeoutMs: 400 }), cmd({ target: 'w1', i, timeoutMs: 300 })] : []),
    );
    expect(same.outcomes.map((o) => o.verdict)).toEqual(['worsened', 'worsened']);
    expect(same.reverts).toHaveLength(1);
    expect(same.state.records['timeouts\u001fv1'].reverts).toBe(1);
  });
});

describe('bounded state', () => {
  it('drops the oldest verification with an inconclusive outcome beyond maxPending', () => {
    const v = createVerifier({ maxPending: 2 });
    let state = v.init();
    const outs = [];
    for (const t of ['a', 'b', 'c']) {
      const r = v.onCommand(state, cmd({ target: t, i: 0 }));
      state = r.state;
      outs.push(...r.outcomes);
    }
    expect(outs).toHaveLength(1);
    expect(outs[0]).toMatchObject({ target: 'a', verdict: 'inconclusive', eventTime: end(0) });
    expect(outs[0].reason).toContain('maxPending');
    expect(outcomeTypeValid(outs[0])).toBe(true);
    expect(state.dropped).toBe(1);
    expect(state.pending.map((p) => p.target)).toEqual(['b', 'c']);
    expect(state.records['timeouts\u001fv1'].inconclusive).toBe(1);
  });

  it('keeps at most maxTrackRecords track records, dropping the least recently updated', () => {
    const v = createVerifier({ maxTrackRecords: 2 });
    const r = drive(
      v,
      12,
      (i) => [depth('w1', i, 80)],
      (i) => (i < 3 ? [cmd({ target: 'w1', i, policy: `p${i}` })] : []),
    );
    expect(r.outcomes).toHaveLength(3);
    expect(Object.keys(r.state.records).sort()).toEqual(['p1\u001fv1', 'p2\u001fv1']);
  });

  it('never mutates the state it is given', () => {
    const v = createVerifier();
    let state = deepFreeze(v.init());
    for (let i = 0; i < 8; i++) {
      if (i === 0) state = deepFreeze(v.onCommand(state, cmd({ target: 'w1', i })).state);
      state = deepFreeze(v.onWindow(state, [depth('w1', i, 80 + i)], end(i)).state);
    }
    expect(state.records['timeouts\u001fv1'].actions).toBe(1);
  });

  it('rejects a non-finite event time', () => {
    const v = createVerifier();
    expect(() => v.onWindow(v.init(), [], Number.NaN)).toThrow(/finite/);
  });
});

function outcomeTypeValid(o: unknown): boolean {
  return outcomeType.isValid(o);
}

function buildRevert(p: RevertProposal) {
  return buildRevertCommand(p, KEY);
}
