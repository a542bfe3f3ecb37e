import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { HomeostatError, describeError } from '../errors';
import { sseStreamOf } from './http-sse';

export { sse, type SseOptions, type SseStream } from './http-sse';

/**
 * The operational HTTP surface: Prometheus scrape, liveness and readiness probes, and room
 * for extra read-only routes (the dashboard). node:http only; bound to 127.0.0.1 unless told
 * otherwise, since metrics name tenants and targets. A handler's failure is a 500, never a
 * crash: the control loop must not die because a scrape went wrong.
 */

export interface Readiness {
  ready: boolean;
  /** Why not ready (e.g. "no partitions assigned", "restoring windows"); shown by /readyz. */
  reasons: string[];
}

export interface Liveness {
  live: boolean;
  reason?: string;
}

/** What the server needs from metrics: the registry to render, and the ready gauge to keep in step. */
export interface OpsMetricsSource {
  readonly registry: Registry;
  readonly ready?: Gauge<never>;
}

/** An extra GET route. `url` is the parsed request URL (query in `url.searchParams`). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface OpsServerOptions {
  /** TCP port; 0 picks a free one, reported by start(). */
  port: number;
  /** Interface to bind. Default 127.0.0.1; use 0.0.0.0 in a container so the scraper can reach it. */
  host?: string;
  metrics: OpsMetricsSource;
  logger?: Logger;
  /** Ready = partitions assigned and state restored. Called on every /readyz and /metrics. */
  readiness: () => Readiness | Promise<Readiness>;
  /** Is the processing loop still turning? Default: always live while the process answers. */
  liveness?: () => Liveness | boolean | Promise<Liveness | boolean>;
  /** Extra GET routes by exact path, e.g. `{ '/': page, '/events': stream }`. */
  routes?: Readonly<Record<string, RouteHandler>>;
  /** stop() lets in-flight plain requests finish for this long before cutting them. Default 2000 ms. */
  stopGraceMs?: number;
  /**
   * When set, every route but /healthz and /readyz (probes carry no data) needs
   * `Authorization: Bearer <token>`. A browser may open `/dashboard?token=<token>` once: the
   * answer sets an HttpOnly, SameSite=Strict cookie that its event stream then carries.
   */
  authToken?: string;
}

export interface OpsServer {
  start(): Promise<{ port: number }>;
  /** Stops listening, ends event streams and idle keep-alive connections. Idempotent. */
  stop(): Promise<void>;
  /** The bound port once started, else undefined. */
  readonly port: number | undefined;
}

const BUILT_IN = new Set(['/metrics', '/healthz', '/readyz']);
const OPEN = new Set(['/healthz', '/readyz']);
const TOKEN_COOKIE = 'homeostat_token';

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  // Compare digests: equal length always, so timingSafeEqual cannot throw and length leaks nothing.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** 'ok', 'ok-set-cookie' (the token came in the query), or 'denied'. */
function authorize(req: IncomingMessage, url: URL, token: string): 'ok' | 'ok-set-cookie' | 'denied' {
  const header = req.headers.authorization;
  if (header !== undefined && header.startsWith('Bearer ') && sameSecret(header.slice(7).trim(), token)) return 'ok';
  if (sameSecret(cookie(req, TOKEN_COOKIE), token)) return 'ok';
  if (sameSecret(url.searchParams.get('token') ?? undefined, token)) return 'ok-set-cookie';
  return 'denied';
}

/** Writes a JSON body with the right headers. Exported for route handlers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function parseUrl(raw: string | undefined): URL {
  // Prefix the origin ourselves: `new URL('//x', base)` would read "x" as a host.
  const path = raw && raw.startsWith('/') ? raw : `/${raw ?? ''}`;
  return new URL(`http://localhost${path}`);
}

function validateRoutes(routes: Readonly<Record<string, RouteHandler>>): void {
  for (const path of Object.keys(routes)) {
    if (!path.startsWith('/')) {
      throw new HomeostatError('USAGE', `ops route ${JSON.stringify(path)} must start with "/"`, { field: 'routes' });
    }
    if (BUILT_IN.has(path)) {
      throw new HomeostatError('USAGE', `ops route ${path} is built in and cannot be replaced; pick another path`, {
        field: 'routes',
      });
    }
  }
}

/** Checks the bearer token (header, cookie or query); answers 401 and returns false when it is missing or wrong. */
function admitted(req: IncomingMessage, res: ServerResponse, url: URL, token: string): boolean {
  const auth = authorize(req, url, token);
  if (auth === 'denied') {
    sendJson(
      res,
      401,
      { error: 'unauthorized: send Authorization: Bearer <token>' },
      { 'WWW-Authenticate': 'Bearer realm="homeostat"' },
    );
    return false;
  }
  if (auth === 'ok-set-cookie') {
    res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
  }
  return true;
}

/** The built-in routes: /metrics, /healthz and /readyz. */
async function serveBuiltIn(path: string, res: ServerResponse, options: OpsServerOptions): Promise<void> {
  if (path === '/metrics') await serveMetrics(res, options);
  else if (path === '/healthz') await serveHealth(res, options);
  else if (path === '/readyz') await serveReady(res, options);
}

/** GET /metrics: the registry, with homeostat_ready brought in step with /readyz first. */
async function serveMetrics(res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const log = options.logger;
  if (options.metrics.ready) {
    // Keep homeostat_ready in step with /readyz without relying on every caller to set it.
    // A failing readiness check reads as not ready: metrics matter most when things break,
    // so it must not cost the scrape.
    let ready = false;
    try {
      ready = (await options.readiness()).ready;
    } catch (err) {
      log?.warn({ err }, 'readiness check failed during scrape; reporting not ready');
    }
    options.metrics.ready.set(ready ? 1 : 0);
  }
  const body = await options.metrics.registry.metrics();
  res.writeHead(200, {
    'Content-Type': options.metrics.registry.contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** GET /healthz: 200 while the loop is live, 503 with the reason otherwise. */
async function serveHealth(res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const answer = options.liveness ? await options.liveness() : true;
  const live = typeof answer === 'boolean' ? { live: answer } : answer;
  if (live.live) sendJson(res, 200, { status: 'ok' });
  else sendJson(res, 503, { status: 'unhealthy', reason: live.reason ?? 'liveness check failed' });
}

/** GET /readyz: 200 when ready, 503 with the reasons otherwise. */
async function serveReady(res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const { ready, reasons } = await options.readiness();
  if (ready) sendJson(res, 200, { status: 'ready' });
  else sendJson(res, 503, { status: 'not_ready', reasons });
}

/** A handler failed: a 500 if nothing was sent yet, else the connection is cut. */
function fail(log: Logger | undefined, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  log?.error({ err, url: req.url }, 'ops http handler failed');
  try {
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error', message: describeError(err) });
    else res.destroy();
  } catch {
    res.destroy();
  }
}

/** The request's URL, path and extra route; undefined once it was answered 400, 404 or 405. */
function resolveRequest(
  req: IncomingMessage,
  res: ServerResponse,
  routes: ReadonlyMap<string, RouteHandler>,
): { url: URL; path: string; route: RouteHandler | undefined } | undefined {
  let url: URL;
  try {
    url = parseUrl(req.url);
  } catch {
    sendJson(res, 400, { error: 'bad request target' });
    return undefined;
  }
  const path = url.pathname;
  const route = routes.get(path);
  if (!BUILT_IN.has(path) && !route) {
    sendJson(res, 404, { error: 'not found', path });
    return undefined;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: 'method not allowed', method: req.method ?? '' }, { Allow: 'GET, HEAD' });
    return undefined;
  }
  return { url, path, route };
}

/** Ends the event streams among the responses in flight. */
function endEventStreams(inFlight: Iterable<ServerResponse>): void {
  for (const res of inFlight) {
    const stream = sseStreamOf(res);
    // Ending the stream's response makes its socket idle; the response's close handler
    // in onRequest then closes it, so a browser tab cannot hold shutdown up.
    stream?.close();
  }
}

/** Why the server could not bind, with the fix. */
function listenError(host: string, port: number, err: Error): HomeostatError {
  return new HomeostatError(
    'USAGE',
    `ops server cannot listen on ${host}:${port}: ${err.message}; choose a free port (0 picks one) or another host`,
    { cause: err, field: 'port' },
  );
}

export function createOpsServer(options: OpsServerOptions): OpsServer {
  const host = options.host ?? '127.0.0.1';
  const routes = new Map(Object.entries(options.routes ?? {}));
  validateRoutes(options.routes ?? {});
  const stopGraceMs = options.stopGraceMs ?? 2000;
  const log = options.logger;

  let server: Server | undefined;
  let state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  let boundPort: number | undefined;
  let started: Promise<{ port: number }> | undefined;
  let stopped: Promise<void> | undefined;
  const inFlight = new Set<ServerResponse>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (state === 'stopping') {
      sendJson(res, 503, { error: 'shutting down' }, { Connection: 'close' });
      return;
    }
    const target = resolveRequest(req, res, routes);
    if (target === undefined) return;
    const { url, path, route } = target;
    if (options.authToken !== undefined && !OPEN.has(path) && !admitted(req, res, url, options.authToken)) return;
    // Extra routes never take a built-in path (validateRoutes).
    if (route) await route(req, res, url);
    else await serveBuiltIn(path, res, options);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    inFlight.add(res);
    res.on('close', () => {
      inFlight.delete(res);
      // A keep-alive socket goes idle once its response is done; while stopping, close it
      // then rather than waiting out the grace period.
      if (state === 'stopping') setImmediate(() => server?.closeIdleConnections());
    });
    try {
      handle(req, res).catch((err: unknown) => fail(log, req, res, err));
    } catch (err) {
      fail(log, req, res, err);
    }
  }

  function start(): Promise<{ port: number }> {
    if (state !== 'new') {
      return Promise.reject(
        new HomeostatError('INVALID_STATE', `ops server cannot start: it is ${state}; create a new one`),
      );
    }
    state = 'starting';
    const srv = createServer(onRequest);
    server = srv;
    started = new Promise((resolve, reject) => {
      const onListenError = (err: Error): void => {
        state = 'stopped';
        reject(listenError(host, options.port, err));
      };
      srv.once('error', onListenError);
      srv.listen({ port: options.port, host }, () => {
        srv.off('error', onListenError);
        srv.on('error', (err) => log?.error({ err }, 'ops http server error'));
        boundPort = (srv.address() as AddressInfo).port;
        state = 'running';
        log?.info({ host, port: boundPort }, 'ops http server listening');
        resolve({ port: boundPort });
      });
    });
    return started;
  }

  function closeServer(srv: Server): Promise<void> {
    state = 'stopping';
    return new Promise<void>((resolve) => {
      const cutoff = setTimeout(() => srv.closeAllConnections(), stopGraceMs);
      cutoff.unref();
      srv.close(() => {
        clearTimeout(cutoff);
        state = 'stopped';
        boundPort = undefined;
        log?.info('ops http server stopped');
        resolve();
      });
      endEventStreams(inFlight);
      srv.closeIdleConnections();
    });
  }

  function stop(): Promise<void> {
    if (stopped) return stopped;
    const srv = server;
    if (!srv || state === 'stopped') {
      state = 'stopped';
      stopped = Promise.resolve();
    } else if (state === 'starting' && started) {
      // Let listen() settle first: closing a server that is still binding is an error.
      stopped = started.then(
        () => closeServer(srv),
        () => undefined,
      );
    } else {
      stopped = closeServer(srv);
    }
    return stopped;
  }

  return {
    start,
    stop,
    get port() {
      return boundPort;
    },
  };
}
