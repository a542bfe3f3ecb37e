/**
 * Reference executor `query-timeout`: sets a worker's query timeout through its HTTP
 * admin endpoint (the demo worker's, demo-worker.ts, or any service speaking the same):
 *   `query_timeout.set`    → PUT  <url> {"timeoutMs": n}  → {"timeoutMs", "previousTimeoutMs"}
 *   `query_timeout.revert` → DELETE <url> (back to the worker's own default)
 * The URL of a target comes from an explicit map (target → URL). A template with `{target}`
 * is accepted only when the placeholder is in the path or query, never in the host:
 * telemetry names targets, and must not choose which host the executor calls. A target
 * with no URL is refused.
 */
import { ConfigError } from '../../errors';
import type { ReferenceHandlers } from './handlers';
import { createHttpJson, type HttpJsonOptions } from './http';

export interface QueryTimeoutOptions extends HttpJsonOptions {
  /**
   * `{target}` is replaced by the URL-encoded target; it may appear only after the host
   * (e.g. `http://gateway:8080/admin/{target}/timeout`). No default.
   */
  urlTemplate?: string;
  /** Target → admin URL; wins over the template. */
  urls?: Readonly<Record<string, string>>;
}

/** Throws a ConfigError when `{target}` would land in the scheme, credentials, host or port. */
export function checkUrlTemplate(template: string): void {
  const at = template.indexOf('{target}');
  const scheme = template.indexOf('://');
  const pathStart = scheme < 0 ? -1 : template.indexOf('/', scheme + 3);
  if (scheme < 0 || pathStart < 0 || (at >= 0 && at < pathStart)) {
    throw new ConfigError([
      `query-timeout url template ${JSON.stringify(template)}: {target} must come after the host ` +
        '(e.g. http://gateway:8080/admin/{target}/timeout); map hosts with --url <target>=<url>',
    ]);
  }
}

/** The admin URL of `target`, or undefined when it has none (the command is refused). */
export function timeoutUrl(
  target: string,
  options: Pick<QueryTimeoutOptions, 'urls' | 'urlTemplate'>,
): string | undefined {
  if (options.urls !== undefined && Object.prototype.hasOwnProperty.call(options.urls, target))
    return options.urls[target];
  return options.urlTemplate?.split('{target}').join(encodeURIComponent(target));
}

function previousOf(answer: unknown): Record<string, string> {
  const prev = (answer as { previousTimeoutMs?: unknown } | null)?.previousTimeoutMs;
  return typeof prev === 'number' ? { timeoutMs: String(prev) } : {};
}

export function queryTimeoutHandlers(options: QueryTimeoutOptions = {}): ReferenceHandlers {
  if (options.urlTemplate !== undefined) checkUrlTemplate(options.urlTemplate);
  const http = createHttpJson(options);
  const urlOf = (target: string): string => {
    const url = timeoutUrl(target, options);
    if (url === undefined) throw new Error(`target ${JSON.stringify(target)} has no admin URL`);
    return url;
  };
  return {
    types: ['query_timeout.set', 'query_timeout.revert'],
    validate(cmd) {
      if (timeoutUrl(cmd.target, options) === undefined)
        return `target ${JSON.stringify(cmd.target)} has no admin URL (--url ${cmd.target}=<url>); refused`;
      if (cmd.type !== 'query_timeout.set') return undefined;
      const t = cmd.params.timeoutMs;
      if (t === null) return 'query_timeout.set without timeoutMs';
      return Number.isInteger(t) && t > 0 ? undefined : `timeoutMs ${t} is not a positive integer number of ms`;
    },
    async apply(cmd, ctx) {
      const url = urlOf(cmd.target);
      const answer = await http('PUT', url, { timeoutMs: cmd.params.timeoutMs }, ctx.signal);
      return { previous: previousOf(answer), detail: `timeoutMs=${cmd.params.timeoutMs} via PUT ${url}` };
    },
    async revert(req, ctx) {
      const url = urlOf(req.target);
      const answer = await http('DELETE', url, undefined, ctx.signal);
      const now = (answer as { timeoutMs?: unknown } | null)?.timeoutMs;
      return {
        previous: previousOf(answer),
        detail: `restored the worker default${typeof now === 'number' ? ` (${now} ms)` : ''} via DELETE ${url}`,
      };
    },
  };
}
