/**
 * With --registry a run registers a schema subject per topic it writes Avro to
 * (`<topic>-value`: telemetry, signals, decisions, actions, action-results, outcomes). The
 * topics are the run's own, so the subjects are too; they go with the topics, through the
 * Confluent API: a soft delete, then the permanent one (a soft-deleted subject still holds
 * its name and versions).
 */
import { HomeostatError, describeError } from '../errors';
import type { RegistryConfig } from '../config/kafka-schema';

function headers(r: RegistryConfig): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  if (r.username !== undefined)
    h.authorization = `Basic ${Buffer.from(`${r.username}:${r.password ?? ''}`).toString('base64')}`;
  return h;
}

/** Deletes every subject whose name starts with `<base>.`; returns their names. */
export async function deleteRunSubjects(registry: RegistryConfig, base: string): Promise<string[]> {
  const url = registry.url.replace(/\/+$/, '');
  const call = async (method: 'GET' | 'DELETE', path: string): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { method, headers: headers(registry) });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  try {
    const subjects = ((await call('GET', '/subjects')) as string[]).filter((s) => s.startsWith(`${base}.`));
    for (const s of subjects) {
      const path = `/subjects/${encodeURIComponent(s)}`;
      await call('DELETE', path);
      await call('DELETE', `${path}?permanent=true`);
    }
    return subjects;
  } catch (err) {
    throw new HomeostatError(
      'SCHEMA_REGISTRY',
      `could not delete the demo's schema subjects under ${base} from ${url}: ${describeError(err)}; delete them with ` +
        `DELETE ${url}/subjects/<subject>`,
      { cause: err, retriable: true },
    );
  }
}
