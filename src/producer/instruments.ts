/**
 * Counters and gauges aggregate in memory and become samples once per interval, so a hot
 * path that counts a million requests a second sends one sample a second, not a million:
 * - a counter emits its increase over the interval (a count sample, what `requests`,
 *   `retries` and `errors` are in DESIGN.md); nothing when it did not move;
 * - a gauge emits its latest value every interval once set (a level: `queue.depth`), and
 *   on flush()/close() only if it was set since it last went out (no duplicates).
 * When the buffer has no room, a counter keeps its increase for the next interval (nothing
 * is lost) and a gauge simply reports again next time.
 */
export interface Counter {
  /** Adds n (default 1; finite and ≥ 0, else ignored and counted as invalid). */
  inc(n?: number): void;
}

export interface Gauge {
  /** Sets the current value (finite, else ignored and counted as invalid). */
  set(value: number): void;
}

interface CounterState {
  kind: 'counter';
  metric: string;
  tags: Record<string, string>;
  delta: number;
}

interface GaugeState {
  kind: 'gauge';
  metric: string;
  tags: Record<string, string>;
  value: number;
  isSet: boolean;
  /** Set since it last went out. */
  dirty: boolean;
}

export interface InstrumentSample {
  metric: string;
  value: number;
  tags: Record<string, string>;
}

export interface Instruments {
  counter(metric: string, tags: Record<string, string>): Counter;
  gauge(metric: string, tags: Record<string, string>): Gauge;
  /**
   * Offers each pending sample to `accept` (false: no room). A counter's increase is
   * cleared only when accepted. `everyGauge`: the interval tick (every set gauge); otherwise
   * only gauges set since they last went out.
   */
  collect(accept: (s: InstrumentSample) => boolean, everyGauge: boolean): void;
  readonly size: number;
}

/** Instrument identity: kind, name and tags in key order. */
export function instrumentKey(kind: string, metric: string, tags: Record<string, string>): string {
  const keys = Object.keys(tags).sort();
  let k = `${kind}\u0000${metric}`;
  for (const t of keys) k += `\u0000${t}\u0001${tags[t]}`;
  return k;
}

export function createInstruments(max: number, onInvalid: (why: string) => void): Instruments {
  const all = new Map<string, CounterState | GaugeState>();
  const noopCounter: Counter = {
    inc: () =>
      onInvalid(
        `more than ${max} distinct instruments: a tag with unbounded values (request or user ids) makes one instrument per value`,
      ),
  };
  const noopGauge: Gauge = {
    set: () =>
      onInvalid(
        `more than ${max} distinct instruments: a tag with unbounded values (request or user ids) makes one instrument per value`,
      ),
  };
  const handles = new Map<string, Counter | Gauge>();

  return {
    counter(metric, tags) {
      const key = instrumentKey('counter', metric, tags);
      const existing = handles.get(key);
      if (existing) return existing as Counter;
      if (all.size >= max) return noopCounter;
      const st: CounterState = { kind: 'counter', metric, tags, delta: 0 };
      all.set(key, st);
      const h: Counter = {
        inc(n = 1) {
          if (!(Number.isFinite(n) && n >= 0)) {
            onInvalid(`counter ${metric}: inc(${n}) needs a finite number ≥ 0; use a gauge for values that go down`);
            return;
          }
          st.delta += n;
        },
      };
      handles.set(key, h);
      return h;
    },
    gauge(metric, tags) {
      const key = instrumentKey('gauge', metric, tags);
      const existing = handles.get(key);
      if (existing) return existing as Gauge;
      if (all.size >= max) return noopGauge;
      const st: GaugeState = { kind: 'gauge', metric, tags, value: 0, isSet: false, dirty: false };
      all.set(key, st);
      const h: Gauge = {
        set(value) {
          if (!Number.isFinite(value)) {
            onInvalid(`gauge ${metric}: set(${value}) needs a finite number`);
            return;
          }
          st.value = value;
          st.isSet = true;
          st.dirty = true;
        },
      };
      handles.set(key, h);
      return h;
    },
    collect(accept, everyGauge) {
      for (const st of all.values()) {
        if (st.kind === 'counter') {
          if (st.delta !== 0 && accept({ metric: st.metric, value: st.delta, tags: st.tags })) st.delta = 0;
        } else if (st.isSet && (everyGauge || st.dirty)) {
          if (accept({ metric: st.metric, value: st.value, tags: st.tags })) st.dirty = false;
        }
      }
    },
    get size() {
      return all.size;
    },
  };
}
