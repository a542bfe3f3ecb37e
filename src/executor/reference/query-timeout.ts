/**
 * Reference executor `query-timeout`: sets a worker's query timeout through its HTTP
 * admin endpoint (the demo worker's, demo-worker.ts, or any service speaking the same):
 *   `query_timeout.set`    → PUT  <url> {"timeoutMs": n}  → {"timeoutMs", "previousTimeoutMs"}
 *   `query_timeout.revert` → DELETE <url> (back to the worker's own default)
 * The URL of a target comes from a static map, else from a template with `{target}`.
 */
import type { ReferenceHandlers } from './handlers';
import { createHttpJson, type HttpJsonOptions } from './http';

export const DEFAULT_TIMEOUT_URL_TEMPLATE = 'http://{target}:8080/admin/timeout';

export interface QueryTimeoutOptions extends HttpJsonOptions {
  /** `{target}` is replaced by the URL-encoded target. Default `http://{target}:8080/admin/timeout`. */
  urlTemplate?: string;
  /** Target → admin URL; wins over the template. */
  urls?: Readonly<Record<string, string>>;
}

export function timeoutUrl(target: string, options: Pick<QueryTimeoutOptions, 'urls' | 'urlTemplate'>): string {
  return options.urls?.[target] ?? (options.urlTemplate ?? DEFAULT_TIMEOUT_URL_TEMPLATE).split('{target}').join(encodeURIComponent(target));
}

function previousOf(answer: unknown): Record<string, string> {
  const prev = (answer as { previousTimeoutMs?: unknown } | null)?.previousTimeoutMs;
  return typeof prev === 'number' ? { timeoutMs: String(prev) } : {};
}

export function queryTimeoutHandlers(options: QueryTimeoutOptions = {}): ReferenceHandlers {
  const http = createHttpJson(options);
  return {
    types: ['query_timeout.set', 'query_timeout.revert'],
    validate(cmd) {
      if (cmd.type !== 'query_timeout.set') return undefined;
      const t = cmd.params.timeoutMs;
      if (t === null) return 'query_timeout.set without timeoutMs';
      return Number.isInteger(t) && t > 0 ? undefined : `timeoutMs ${t} is not a positive integer number of ms`;
    },
    async apply(cmd, ctx) {
      const url = timeoutUrl(cmd.target, options);
      const answer = await http('PUT', url, { timeoutMs: cmd.params.timeoutMs }, ctx.signal);
      return { previous: previousOf(answer), detail: `timeoutMs=${cmd.params.timeoutMs} via PUT ${url}` };
    },
    async revert(req, ctx) {
      const url = timeoutUrl(req.target, options);
      const answer = await http('DELETE', url, undefined, ctx.signal);
      const now = (answer as { timeoutMs?: unknown } | null)?.timeoutMs;
      return { previous: previousOf(answer), detail: `restored the worker default${typeof now === 'number' ? ` (${now} ms)` : ''} via DELETE ${url}` };
    },
  };
}
