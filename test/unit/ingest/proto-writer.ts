/**
 * A tiny protobuf writer for hand-made test messages (edge cases the OpenTelemetry SDK
 * never writes: unpacked repeated fields, unknown fields, wrong wire types, summaries).
 * https://protobuf.dev/programming-guides/encoding/
 */
export type Part = Buffer;

export function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out);
}

export function tag(field: number, wire: number): Buffer {
  return varint(field * 8 + wire);
}

export const fVarint = (field: number, n: number | bigint): Buffer => Buffer.concat([tag(field, 0), varint(n)]);
export const fSint = (field: number, n: number): Buffer => fVarint(field, n >= 0 ? 2 * n : -2 * n - 1);
export function fFixed64(field: number, n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
  return Buffer.concat([tag(field, 1), b]);
}
export function fDouble(field: number, d: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return Buffer.concat([tag(field, 1), b]);
}
export function fSfixed64(field: number, n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return Buffer.concat([tag(field, 1), b]);
}
export const fBytes = (field: number, payload: Buffer): Buffer =>
  Buffer.concat([tag(field, 2), varint(payload.length), payload]);
export const fMsg = (field: number, ...parts: Buffer[]): Buffer => fBytes(field, Buffer.concat(parts));
export const fString = (field: number, s: string): Buffer => fBytes(field, Buffer.from(s, 'utf8'));
export function fPackedFixed64(field: number, ns: number[]): Buffer {
  const b = Buffer.alloc(8 * ns.length);
  ns.forEach((n, i) => b.writeBigUInt64LE(BigInt(n), 8 * i));
  return fBytes(field, b);
}
export function fPackedDouble(field: number, ds: number[]): Buffer {
  const b = Buffer.alloc(8 * ds.length);
  ds.forEach((d, i) => b.writeDoubleLE(d, 8 * i));
  return fBytes(field, b);
}
export const fPackedVarint = (field: number, ns: number[]): Buffer =>
  fBytes(field, Buffer.concat(ns.map((n) => varint(n))));

/** KeyValue with a string AnyValue. */
export const kv = (field: number, key: string, value: string): Buffer =>
  fMsg(field, fString(1, key), fMsg(2, fString(1, value)));

export const NS = (ms: number): bigint => BigInt(ms) * 1_000_000n;

/** ExportMetricsServiceRequest with one resource, one scope and the given Metric messages (field 2 of ScopeMetrics). */
export function request(resourceAttrs: Buffer[], metrics: Buffer[]): Buffer {
  return fMsg(1, fMsg(1, ...resourceAttrs), fMsg(2, fMsg(1, fString(1, 'scope')), ...metrics.map((m) => fMsg(2, m))));
}
