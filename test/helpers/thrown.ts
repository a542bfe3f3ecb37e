import { ConfigError } from '../../src/errors';

/**
 * The error `fn` throws, for tests that look inside it. Fails the test when nothing is
 * thrown: a `try { … } catch (err) { expect(…) }` without that check passes silently, its
 * assertions skipped, the day the call stops throwing.
 */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw, and it returned');
}

/** The issues of the ConfigError `fn` throws; any other error (or none) fails the test. */
export function configIssuesOf(fn: () => unknown): string[] {
  const err = thrownBy(fn);
  if (err instanceof ConfigError) return [...err.issues];
  throw err;
}
