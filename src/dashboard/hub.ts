/**
 * Fans the store's deltas out to every open event stream, at most once per interval: the
 * processor may close hundreds of windows a second while a browser repaints a few times a
 * second, so updates are coalesced (the store merges everything since the last delta).
 * A new client gets a full `snapshot` first, then `update`s. Wall clock appears only here,
 * for pacing; what is sent never depends on it.
 */
import type { ServerResponse } from 'node:http';
import { sse, type SseStream } from '../ops/http-sse';
import { sendJson } from '../ops/http';
import type { DashboardStore } from './store';

export interface HubOptions {
  intervalMs: number;
  /** Suggested reconnection delay for EventSource, ms. */
  retryMs?: number;
  heartbeatMs?: number;
  /**
   * A client this far behind is cut off (it reconnects and starts over from a snapshot).
   * Default 16 MiB: a full snapshot at the default bounds can reach a few MiB, and must not
   * trip the limit by itself (src/ops/http-sse.ts defaults to 1 MiB for small events).
   */
  maxBufferedBytes?: number;
  /** Called when building or sending fails: the processor must never fail because of a tab. */
  onError?: (err: unknown) => void;
  /**
   * Most streams open at once; one more is answered 503 with Retry-After. Each stream costs
   * a snapshot serialised on the processor's event loop and up to maxBufferedBytes of
   * memory, so the cap bounds both. Default 4.
   */
  maxClients?: number;
}

/** Streams turned away at the cap, and streams cut off for reading too slowly. */
export interface HubCounts {
  refused: number;
  dropped: number;
}

export interface Hub {
  /** Opens a stream on the response, sends the snapshot and keeps it for updates; null when refused at the cap. */
  connect(res: ServerResponse): SseStream | null;
  /** Something changed: schedule a flush within the interval. */
  poke(): void;
  /** Sends pending changes now. */
  flush(): void;
  readonly clients: number;
  counts(): HubCounts;
  /** Cancels the pending flush and ends every stream. */
  close(): void;
}

export function createHub(store: DashboardStore, o: HubOptions): Hub {
  const clients = new Set<SseStream>();
  const maxClients = o.maxClients ?? 4;
  const counts: HubCounts = { refused: 0, dropped: 0 };
  /**
   * The snapshot's text, reused until the store changes (every change pokes): a tab that
   * reconnects in a loop costs one serialisation per change, not one per connection.
   */
  let snapshotText: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let lastFlush = 0;
  let closed = false;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    lastFlush = Date.now();
    try {
      // Taken even with no client listening, so that the pending changes do not pile up.
      const delta = store.takeDelta();
      if (delta === null) return;
      const text = JSON.stringify(delta);
      for (const c of clients) if (!c.send('update', text)) clients.delete(c);
    } catch (err) {
      o.onError?.(err);
    }
  };

  return {
    connect(res) {
      if (!closed && clients.size >= maxClients) {
        counts.refused++;
        sendJson(
          res,
          503,
          { error: `at most ${maxClients} dashboard streams at once; retry later` },
          { 'Retry-After': '10' },
        );
        return null;
      }
      const stream = sse(res, {
        retryMs: o.retryMs ?? 2000,
        heartbeatMs: o.heartbeatMs,
        maxBufferedBytes: o.maxBufferedBytes ?? 16 * 1024 * 1024,
        onOverflow: () => counts.dropped++,
      });
      if (closed) {
        stream.close();
        return stream;
      }
      // Pending changes are in the snapshot too; the delta that follows repeats them, which
      // is harmless: clients apply updates idempotently.
      snapshotText ??= JSON.stringify(store.snapshot());
      stream.send('snapshot', snapshotText);
      if (!stream.closed) {
        clients.add(stream);
        stream.onClose(() => clients.delete(stream));
      }
      return stream;
    },
    poke() {
      snapshotText = null;
      if (closed || timer) return;
      const wait = Math.max(0, lastFlush + o.intervalMs - Date.now());
      timer = setTimeout(flush, wait);
      timer.unref();
    },
    flush,
    get clients() {
      return clients.size;
    },
    counts: () => ({ ...counts }),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const c of clients) c.close();
      clients.clear();
    },
  };
}
