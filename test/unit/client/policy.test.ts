import { ConfigError } from '../../../src/errors';
import { thrownBy } from '../../helpers/thrown';
import { DEFAULT_RETRY_POLICY, checkRetryPolicy, mergeRetryPolicy, validateRetryPolicy } from '../../../src/client';

const bad = (patch: Record<string, unknown>): string[] => validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...patch });

describe('retry policy validation', () => {
  it('accepts the defaults', () => {
    expect(validateRetryPolicy(DEFAULT_RETRY_POLICY)).toEqual([]);
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['strategy', { strategy: 'fuzzy' }, '"fuzzy"'],
    ['baseMs', { baseMs: 0 }, '0'],
    ['baseMs', { baseMs: Number.NaN }, 'NaN'],
    ['baseMs', { baseMs: '100' }, '"100"'],
    ['capMs', { capMs: 7_200_000 }, '7200000'],
    ['maxAttempts', { maxAttempts: 0 }, '0'],
    ['maxAttempts', { maxAttempts: 2.5 }, '2.5'],
    ['budgetRatio', { budgetRatio: -0.1 }, '-0.1'],
    ['budgetRatio', { budgetRatio: 1001 }, '1001'],
    ['budgetFloorPerSec', { budgetFloorPerSec: Infinity }, 'Infinity'],
    ['budgetTtlMs', { budgetTtlMs: 500 }, '500'],
    ['budgetTtlMs', { budgetTtlMs: 61_000 }, '61000'],
  ])('rejects a bad %s (%j), naming field, value and fix', (field, patch, shown) => {
    const issues = bad(patch);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(`${field} is ${shown}`);
    expect(issues[0]).toMatch(/set it to|use one of/);
  });

  it('rejects a cap below the base, saying how to fix it', () => {
    const issues = bad({ baseMs: 500, capMs: 100 });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/capMs \(100\) is below baseMs \(500\); raise capMs/);
  });

  it('reports every issue at once', () => {
    expect(bad({ baseMs: -1, maxAttempts: 0, budgetTtlMs: 0 })).toHaveLength(3);
  });

  it('checkRetryPolicy throws a ConfigError with the issues, or returns a frozen copy', () => {
    expect(() => checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 0 })).toThrow(ConfigError);
    const err = thrownBy(() => checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 0 }));
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    expect((err as ConfigError).issues[0]).toContain('maxAttempts');
    const ok = checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, baseMs: 50 });
    expect(ok.baseMs).toBe(50);
    expect(Object.isFrozen(ok)).toBe(true);
  });

  it('merge applies defined fields only and drops keys that are not policy fields', () => {
    const merged = mergeRetryPolicy(DEFAULT_RETRY_POLICY, { baseMs: 7, capMs: undefined, ...{ bogus: 1 } });
    expect(merged).toEqual({ ...DEFAULT_RETRY_POLICY, baseMs: 7 });
    expect('bogus' in merged).toBe(false);
  });
});
