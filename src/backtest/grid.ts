/**
 * The parameter grid of a backtest: a YAML object whose keys are dotted paths into one policy
 * entry of the config (`parameters.high.latencyMs.ratio`) and whose values are the lists to try.
 * Points are the cartesian product, in a fixed order (keys as written, values as listed), so a
 * point's index names the same config in every run.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import { describeIssues } from '../guardrails/validate';

/** Largest grid accepted: a study is a few hundred replays, not a search engine. */
export const MAX_GRID_POINTS = 10_000;

const gridFileSchema = z
  .object({
    /** The policy whose parameters are swept; default: the config's only policy. */
    policy: z.string().min(1).optional(),
    /** dotted path in the policy entry → values to try. */
    grid: z.record(
      z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'use a dotted path such as parameters.high.latencyMs'),
      z.array(z.unknown()).min(1),
    ),
  })
  .strict();

export type GridFile = z.infer<typeof gridFileSchema>;

/** One point: the value of every swept path. */
export type GridPoint = Readonly<Record<string, unknown>>;

export function parseGridFile(input: unknown, where = 'grid'): GridFile {
  const r = gridFileSchema.safeParse(input);
  if (!r.success) throw new ConfigError(describeIssues(r.error, input, where));
  const size = Object.values(r.data.grid).reduce((n, vs) => n * vs.length, 1);
  if (size > MAX_GRID_POINTS)
    throw new ConfigError([
      `${where}.grid: ${size} points; at most ${MAX_GRID_POINTS}: sweep fewer values or split the study`,
    ]);
  return r.data;
}

/** The cartesian product of the grid, the last key varying fastest. */
export function expandGrid(grid: Readonly<Record<string, readonly unknown[]>>): GridPoint[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    const next: Record<string, unknown>[] = [];
    for (const p of points) for (const v of values) next.push({ ...p, [key]: v });
    points = next;
  }
  return points;
}

/** A deep copy of `entry` with every path of `point` set (objects created along the way). */
export function applyPoint(entry: unknown, point: GridPoint): Record<string, unknown> {
  const out = structuredClone(entry ?? {}) as Record<string, unknown>;
  for (const [dotted, value] of Object.entries(point)) {
    const keys = dotted.split('.');
    let node: Record<string, unknown> = out;
    for (const k of keys.slice(0, -1)) {
      const child = node[k];
      if (child === null || typeof child !== 'object' || Array.isArray(child)) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = structuredClone(value);
  }
  return out;
}

/** `a=1 b.c=2` for tables. */
export function describePoint(point: GridPoint): string {
  return Object.entries(point)
    .map(([k, v]) => `${k.replace(/^parameters\./, '')}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}
