/**
 * JSON over HTTP with the client library's retrier (capped exponential backoff with full
 * jitter and a retry budget, src/client): 5xx answers and network errors are retried,
 * 4xx answers are not (the request itself is wrong), and neither is an aborted call.
 */
import { createRetrier, type RetryPolicy } from '../../client';
import { HomeostatError } from '../../errors';

export interface HttpJsonOptions {
  /** Time allowed for one attempt. Default 2 000 ms. */
  requestTimeoutMs?: number;
  /** Retry policy. Default 3 attempts, 100 ms base, 1 s cap. */
  retry?: Partial<RetryPolicy>;
  /** Default: the global fetch (Node ≥ 18). */
  fetch?: typeof fetch;
}

export type HttpJson = (
  method: 'GET' | 'PUT' | 'DELETE',
  url: string,
  body: unknown,
  signal: AbortSignal,
) => Promise<unknown>;

export function createHttpJson(options: HttpJsonOptions = {}): HttpJson {
  const retrier = createRetrier({ maxAttempts: 3, baseMs: 100, capMs: 1_000, ...options.retry });
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.requestTimeoutMs ?? 2_000;
  return (method, url, body, signal) =>
    retrier.run(
      async () => {
        let res: Response;
        try {
          res = await doFetch(url, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          });
        } catch (err) {
          throw new HomeostatError('TIMEOUT', `${method} ${url}: ${(err as Error).message}`, {
            cause: err,
            retriable: !signal.aborted,
          });
        }
        const text = await res.text();
        if (!res.ok) {
          // src/errors.ts has no code for a remote service's error answer yet; INVALID_STATE until it does.
          throw new HomeostatError('INVALID_STATE', `${method} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`, {
            retriable: res.status >= 500,
          });
        }
        try {
          return text.length === 0 ? null : (JSON.parse(text) as unknown);
        } catch {
          throw new HomeostatError('INVALID_STATE', `${method} ${url}: the answer is not JSON: ${text.slice(0, 100)}`);
        }
      },
      { isRetriable: (err) => !signal.aborted && err instanceof HomeostatError && err.retriable },
    );
}
