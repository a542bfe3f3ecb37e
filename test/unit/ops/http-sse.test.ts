import { EventEmitter } from 'node:events';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createOpsServer, sse, type OpsServer, type SseStream } from '../../../src/ops/http';
import { createMetrics } from '../../../src/ops/metrics';
import { parseEvents } from './http-client';

/** Opens an event stream and collects its text until the server ends it. */
function subscribe(port: number, path: string) {
  let text = '';
  let response: IncomingMessage | undefined;
  const chunkWaiters: Array<() => void> = [];
  let markEnded: () => void = () => undefined;
  // Listeners go on synchronously in the response callback: a short stream can end
  // (on process.nextTick) before a promise continuation would get to attach them.
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        for (const w of chunkWaiters.splice(0)) w();
      });
      res.on('end', markEnded);
      res.on('close', markEnded);
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    opened,
    ended,
    text: () => text,
    /** Resolves once the collected text satisfies `pred`. */
    async until(pred: (t: string) => boolean): Promise<void> {
      while (!pred(text)) await new Promise<void>((resolve) => chunkWaiters.push(resolve));
    },
    destroy: () => response?.destroy(),
  };
}

describe('server-sent events', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function start(onStream: (s: SseStream) => void, heartbeatMs = 0): Promise<number> {
    server = createOpsServer({
      port: 0,
      metrics: createMetrics(),
      readiness: () => ({ ready: true, reasons: [] }),
      // Far above the test timeout: stop() must end streams itself, not wait out the grace.
      stopGraceMs: 60_000,
      routes: { '/events': (_req, res) => onStream(sse(res, { heartbeatMs, retryMs: 2500 })) },
    });
    return (await server.start()).port;
  }

  it('sends events in order with JSON and multi-line data, and stop() ends the stream', async () => {
    let stream: SseStream | undefined;
    let closedSeen = false;
    const port = await start((s) => {
      stream = s;
      s.onClose(() => (closedSeen = true));
      s.send('decision', { policy: 'adaptive-timeout', value: 1.5 });
      s.send('note', 'line one\nline two');
    });
    const client = subscribe(port, '/events');
    const res = await client.opened;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toContain('no-cache');
    await client.until((t) => t.includes('line two'));
    expect(client.text().startsWith('retry: 2500\n\n')).toBe(true);
    expect(stream!.send('signal', [1, 2, 3])).toBe(true);
    await client.until((t) => t.includes('[1,2,3]'));
    expect(parseEvents(client.text())).toEqual([
      { event: 'decision', data: '{"policy":"adaptive-timeout","value":1.5}' },
      { event: 'note', data: 'line one\nline two' },
      { event: 'signal', data: '[1,2,3]' },
    ]);

    await server!.stop();
    await client.ended;
    expect(stream!.closed).toBe(true);
    expect(closedSeen).toBe(true);
    expect(stream!.send('late', 1)).toBe(false);
  });

  it('notices a client that goes away', async () => {
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    let stream: SseStream | undefined;
    const port = await start((s) => {
      stream = s;
      s.onClose(resolveClosed);
    });
    const client = subscribe(port, '/events');
    await client.opened;
    client.destroy();
    await closed;
    expect(stream!.closed).toBe(true);
    expect(stream!.send('x', 1)).toBe(false);
  });

  it('sends heartbeat comments that clients ignore', async () => {
    const port = await start(() => undefined, 10);
    const client = subscribe(port, '/events');
    await client.opened;
    await client.until((t) => t.includes(': heartbeat\n\n'));
    expect(parseEvents(client.text())).toEqual([]);
  });

  it('refuses an event name that would break the framing', async () => {
    let thrown: unknown;
    const port = await start((s) => {
      try {
        s.send('a\ndata: forged', 1);
      } catch (err) {
        thrown = err;
      }
      s.close();
    });
    const client = subscribe(port, '/events');
    await client.ended;
    expect(thrown).toMatchObject({ code: 'USAGE' });
    expect(client.text()).not.toContain('forged');
  });
});

/** Just enough of ServerResponse to drive sse() without a socket. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  written: string[] = [];
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    return true;
  }
  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }
}

describe('sse() backpressure', () => {
  it('cuts off a client that reads slower than we write, instead of queueing without bound', () => {
    const res = new FakeResponse();
    const stream = sse(res as unknown as ServerResponse, { heartbeatMs: 0, maxBufferedBytes: 100 });
    expect(stream.send('a', 1)).toBe(true);
    res.writableLength = 101;
    expect(stream.send('b', 2)).toBe(false);
    expect(stream.closed).toBe(true);
    expect(res.writableEnded).toBe(true);
    expect(res.written.join('')).not.toContain('event: b');
  });

  it('returns the same stream when called twice on one response', () => {
    const res = new FakeResponse();
    const a = sse(res as unknown as ServerResponse, { heartbeatMs: 0 });
    expect(sse(res as unknown as ServerResponse)).toBe(a);
    a.close();
    a.close();
    expect(a.closed).toBe(true);
  });
});
