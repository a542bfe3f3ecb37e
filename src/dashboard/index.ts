/**
 * The live dashboard: routes for the ops server (src/ops/http.ts) and hooks the processor
 * calls with its outputs. The page follows an event stream; the state is kept bounded in
 * memory (see store.ts) and never read back by the processor — a dashboard cannot change
 * a decision, and its failures are logged, never thrown into the batch loop.
 *
 *   GET /dashboard         the page (self-contained HTML, CSP-pinned scripts)
 *   GET /dashboard/state   a JSON snapshot (DashboardSnapshot)
 *   GET /dashboard/events  server-sent events: `snapshot`, then `update` (DashboardDelta)
 */
import type { Logger } from 'pino';
import { HomeostatError, describeError } from '../errors';
import type { Command, Mode } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import { sendJson, type RouteHandler } from '../ops/http';
import { createHub, type HubCounts } from './hub';
import { renderPage } from './page';
import { createDashboardStore } from './store';
import type { DashboardSnapshot, PolicyInfo } from './types';

export type * from './types';

export interface DashboardOptions {
  /** Points kept per chart line (and evidence points, and markers per target). Default 600. */
  maxPointsPerSeries?: number;
  /** Decisions kept for the table. Default 200. */
  maxDecisions?: number;
  /** (policy, target) groups kept; the least recently active goes first. Default 100. */
  maxTargets?: number;
  /** Window-signal series kept for back-filling new charts; least recently updated goes first. Default 500. */
  maxSeries?: number;
  /** Windows kept per series for back-filling. Default 120 (2 h of 1-minute windows). */
  seriesHistory?: number;
  /** Updates are coalesced and sent at most this often, ms. Default 250. */
  flushIntervalMs?: number;
  /** Where the routes live. Default `/dashboard`. */
  basePath?: string;
  title?: string;
  logger?: Pick<Logger, 'warn'>;
  /** Most event streams open at once (config `http.maxDashboardStreams`). Default 4. */
  maxStreams?: number;
}

export interface Dashboard {
  /** Routes for createOpsServer({ routes }). */
  readonly routes: Readonly<Record<string, RouteHandler>>;
  /** Final window signals of a batch (partials are ignored). */
  onSignals(finals: readonly WindowSignal[]): void;
  onCommands(commands: readonly Command[]): void;
  onDecisions(decisions: readonly Decision[]): void;
  /** All three at once, in order: the shape of createDecisionExtension's `onOutputs`. */
  onOutputs(finals: readonly WindowSignal[], commands: readonly Command[], decisions: readonly Decision[]): void;
  /** The configured policies (replaces the list). */
  setPolicies(list: readonly PolicyInfo[]): void;
  /** Mode changes by policy name (control plane, --mode); decisions also carry the mode. */
  setModes(modes: Readonly<Record<string, Mode>>): void;
  snapshot(): DashboardSnapshot;
  /** Sends pending updates now instead of at the next interval. */
  flush(): void;
  /** Open event streams. */
  readonly clients: number;
  /** Streams refused at the cap and cut off for reading too slowly, since start. */
  streamCounts(): HubCounts;
  /** Ends every stream and the pending flush. The ops server's stop() also ends streams. */
  close(): void;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new HomeostatError('USAGE', `dashboard option ${name} must be a positive integer, got ${String(value)}`, {
      field: name,
    });
  }
  return value;
}

export function createDashboard(options: DashboardOptions = {}): Dashboard {
  const limits = {
    maxPointsPerSeries: positiveInt('maxPointsPerSeries', options.maxPointsPerSeries ?? 600),
    maxDecisions: positiveInt('maxDecisions', options.maxDecisions ?? 200),
    maxTargets: positiveInt('maxTargets', options.maxTargets ?? 100),
    maxSeries: positiveInt('maxSeries', options.maxSeries ?? 500),
    seriesHistory: positiveInt('seriesHistory', options.seriesHistory ?? 120),
  };
  const flushIntervalMs = options.flushIntervalMs ?? 250;
  if (!(flushIntervalMs >= 0) || !Number.isFinite(flushIntervalMs)) {
    throw new HomeostatError(
      'USAGE',
      `dashboard option flushIntervalMs must be a non-negative number of ms, got ${flushIntervalMs}`,
      { field: 'flushIntervalMs' },
    );
  }
  const base = (options.basePath ?? '/dashboard').replace(/\/+$/, '');
  if (!base.startsWith('/'))
    throw new HomeostatError('USAGE', `dashboard basePath ${JSON.stringify(options.basePath)} must start with "/"`, {
      field: 'basePath',
    });
  const log = options.logger;
  const onError = (what: string) => (err: unknown) =>
    log?.warn({ err: describeError(err) }, `dashboard ${what} failed; the processor carries on`);
  const store = createDashboardStore(limits);
  const hub = createHub(store, {
    intervalMs: flushIntervalMs,
    onError: onError('update'),
    maxClients: positiveInt('maxStreams', options.maxStreams ?? 4),
  });
  const page = renderPage({ title: options.title ?? 'homeostat — live', eventsPath: `${base}/events` });

  /** Every hook runs inside the processor's batch: contain its failures. */
  const guarded =
    <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
        hub.poke();
      } catch (err) {
        onError(what)(err);
      }
    };

  const routes: Record<string, RouteHandler> = {
    [base]: (_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(page.html),
        'Content-Security-Policy': page.csp,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      });
      res.end(page.html);
    },
    [`${base}/state`]: (_req, res) => sendJson(res, 200, store.snapshot()),
    [`${base}/events`]: (req, res) => {
      // A HEAD has no body to stream: answer the headers and close.
      if (req.method === 'HEAD') {
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
        });
        res.end();
        return;
      }
      hub.connect(res);
    },
  };

  const onSignals = guarded('signals', (finals: readonly WindowSignal[]) => store.addSignals(finals));
  const onCommands = guarded('commands', (commands: readonly Command[]) => store.addCommands(commands));
  const onDecisions = guarded('decisions', (decisions: readonly Decision[]) => store.addDecisions(decisions));

  return {
    routes,
    onSignals,
    onCommands,
    onDecisions,
    onOutputs(finals, commands, decisions) {
      // Signals first: a new chart back-fills from them; then commands, whose decisions follow.
      onSignals(finals);
      onCommands(commands);
      onDecisions(decisions);
    },
    setPolicies: guarded('policies', (list: readonly PolicyInfo[]) => store.setPolicies(list)),
    setModes: guarded('modes', (modes: Readonly<Record<string, Mode>>) => store.setModes(modes)),
    snapshot: () => store.snapshot(),
    flush: () => hub.flush(),
    get clients() {
      return hub.clients;
    },
    streamCounts: () => hub.counts(),
    close: () => hub.close(),
  };
}
