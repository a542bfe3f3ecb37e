/**
 * The discrete-event queue of the simulators: a binary min-heap on (time, insertion
 * sequence). Ties are broken by insertion order, so two events at the same simulated
 * millisecond always run in the order they were scheduled — one of the two things (with
 * the seeded PRNG) that make a run reproducible bit for bit.
 */
export interface EventQueue<E> {
  push(t: number, event: E): void;
  /** Time of the earliest event, Infinity when empty. */
  peekTime(): number;
  /** Removes and returns the earliest event; undefined when empty. */
  pop(): { t: number; event: E } | undefined;
  size(): number;
}

interface Entry<E> {
  t: number;
  seq: number;
  event: E;
}

export function createEventQueue<E>(): EventQueue<E> {
  const heap: Entry<E>[] = [];
  let seq = 0;
  const less = (a: Entry<E>, b: Entry<E>): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

  function up(i: number): void {
    const x = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(x, heap[p])) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = x;
  }

  function down(i: number): void {
    const n = heap.length;
    const x = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(heap[r], heap[l]) ? r : l;
      if (!less(heap[c], x)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
  }

  return {
    push(t, event) {
      heap.push({ t, seq: seq++, event });
      up(heap.length - 1);
    },
    peekTime: () => (heap.length === 0 ? Infinity : heap[0].t),
    pop() {
      if (heap.length === 0) return undefined;
      const top = heap[0];
      const last = heap.pop() as Entry<E>;
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
      return { t: top.t, event: top.event };
    },
    size: () => heap.length,
  };
}
