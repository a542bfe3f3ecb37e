/**
 * Damaged copies of a record's bytes for the readers' tests: every prefix (the empty one to the
 * whole), then one copy per byte with that byte changed by `change`.
 */
export function prefixesAndChanges(bytes: Buffer, change: (byte: number) => number): Buffer[] {
  const out: Buffer[] = [];
  for (let end = 0; end <= bytes.length; end++) out.push(bytes.subarray(0, end));
  for (let i = 0; i < bytes.length; i++) {
    const changed = Buffer.from(bytes);
    changed[i] = change(bytes[i]);
    out.push(changed);
  }
  return out;
}
