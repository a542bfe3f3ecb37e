/**
 * Summarises a sampling heap profile (bench/lib/heap-sampler.ts, written with the collected
 * objects included): bytes allocated per function (self, where the allocation happened) and
 * per layer, per event when `--events` is given — where a phase's garbage comes from.
 *
 *   npx tsx bench/lib/heapprofile.ts <file.heapprofile> [--top 30] [--events 1000000]
 *   npx tsx bench/lib/heapprofile.ts <a.heapprofile> <b.heapprofile>… --events N --labels raw,pipeline [--record '<what>']
 */
import { readFileSync } from 'node:fs';
import { BUCKETS } from './cpuprofile';
import { argNumber, argString, writeResult } from './results';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
}

export interface Allocation {
  name: string;
  bytes: number;
}

function label(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, '').replace(/^.*?(node_modules\/|src\/|bench\/|node:)/, '$1');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

/** Bytes allocated per function label (self: the function the sample's allocation was made in). */
export function allocations(profile: HeapProfile): { totalBytes: number; functions: Allocation[] } {
  const self = new Map<string, number>();
  let total = 0;
  const stack: HeapNode[] = [profile.head];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.selfSize > 0) {
      const l = label(n.callFrame);
      self.set(l, (self.get(l) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) stack.push(c);
  }
  const functions = [...self.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { totalBytes: total, functions };
}

/** Bytes per layer (the CPU profile's buckets), largest first. */
export function byLayer(functions: readonly Allocation[]): Allocation[] {
  const sums = new Map<string, number>();
  for (const f of functions) {
    const b = BUCKETS.find(([, re]) => re.test(f.name))?.[0] ?? 'other';
    sums.set(b, (sums.get(b) ?? 0) + f.bytes);
  }
  return [...sums.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

interface Summary {
  file: string;
  bytesPerEvent: number;
  layers: { layer: string; bytesPerEvent: number }[];
  top: { name: string; bytesPerEvent: number }[];
}

function summaryOf(file: string, events: number, top: number): Summary {
  const { totalBytes, functions } = allocations(JSON.parse(readFileSync(file, 'utf8')) as HeapProfile);
  const per = (b: number): number => Math.round((b / events) * 10) / 10;
  return {
    file,
    bytesPerEvent: per(totalBytes),
    layers: byLayer(functions).map((l) => ({ layer: l.name, bytesPerEvent: per(l.bytes) })),
    top: functions.slice(0, top).map((f) => ({ name: f.name, bytesPerEvent: per(f.bytes) })),
  };
}

function print(title: string, s: Summary): void {
  console.log(`\n${title}: ${s.bytesPerEvent} B allocated per event (${s.file})`);
  for (const l of s.layers) console.log(`${l.bytesPerEvent.toFixed(1).padStart(9)} B  ${l.layer}`);
  console.log('by function (self):');
  for (const f of s.top) console.log(`${f.bytesPerEvent.toFixed(1).padStart(9)} B  ${f.name}`);
}

function main(): void {
  const files = process.argv.slice(2).filter((a) => a.endsWith('.heapprofile'));
  if (files.length === 0) throw new Error('usage: tsx bench/lib/heapprofile.ts <file.heapprofile>… [--events N]');
  const events = argNumber('events', 1);
  const top = argNumber('top', 30);
  const labels = argString('labels', '').split(',');
  const runs: Record<string, Summary> = {};
  files.forEach((file, i) => {
    const label = labels[i] !== undefined && labels[i] !== '' ? labels[i] : file;
    runs[label] = summaryOf(file, events, top);
    print(label, runs[label]);
  });
  const what = argString('record', '');
  if (what === '') return;
  console.log(`wrote ${writeResult('profile', { profiled: what, kind: 'allocations', events, runs })}`);
}

if (require.main === module) main();
