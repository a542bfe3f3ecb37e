/**
 * The real broker and registry for the benches that need them. Like the integration tier's
 * globalSetup (test/helpers/globalSetup.ts), a bench starts them through
 * scripts/services.sh with a lease in its own pid, so that a test run finishing meanwhile
 * cannot stop the broker under the bench, and releases the lease when done (which stops
 * only services that this start launched, and only when nobody else holds a lease).
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL point the benches at services run elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'services.sh');
const DEFAULT_BROKERS = '127.0.0.1:9092';
/** Apicurio serves the Confluent API under /apis/ccompat/v7 (see test/helpers/services.ts). */
const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7';

export interface Services {
  brokers: string[];
  registryUrl: string;
  /** Drops this process's lease; idempotent. */
  release(): void;
}

export function acquireServices(): Services {
  const lease = String(process.pid);
  const r = spawnSync('bash', [SCRIPT, 'start'], {
    cwd: ROOT,
    env: { ...process.env, SERVICES_LEASE: lease },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.error !== undefined || r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    throw new Error(
      `bash scripts/services.sh start failed (${r.error?.message ?? `exit ${String(r.status)}`}); see above, or set KAFKA_BROKERS and SCHEMA_REGISTRY_URL`,
    );
  }
  const found: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(KAFKA_BROKERS|SCHEMA_REGISTRY_URL)=(.+)$/.exec(line.trim());
    if (m) found[m[1]] = m[2];
  }
  const brokers = (found.KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? DEFAULT_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const registryUrl = (found.SCHEMA_REGISTRY_URL ?? process.env.SCHEMA_REGISTRY_URL ?? DEFAULT_REGISTRY_URL).replace(
    /\/+$/,
    '',
  );
  let released = false;
  return {
    brokers,
    registryUrl,
    release() {
      if (released) return;
      released = true;
      spawnSync('bash', [SCRIPT, 'release', lease], { cwd: ROOT, stdio: 'ignore' });
    },
  };
}
