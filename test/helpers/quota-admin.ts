/** An in-memory QuotaAdmin for the kafka-quota executor's tests: quotas by `<type>:<name>`. */
import type { QuotaAdmin, QuotaEntity, QuotaValues } from '../../src/executor/reference/quota-admin';

export function fakeQuotaAdmin(): QuotaAdmin & { quotas: Map<string, QuotaValues> } {
  const quotas = new Map<string, QuotaValues>();
  const k = (e: QuotaEntity): string => `${e.type}:${e.name}`;
  return {
    quotas,
    set: (e, v) => Promise.resolve(void quotas.set(k(e), { ...quotas.get(k(e)), ...v })),
    remove: (e, keys) => {
      const v = { ...quotas.get(k(e)) };
      for (const key of keys) delete v[key];
      quotas.set(k(e), v);
      return Promise.resolve();
    },
    describe: (e) => Promise.resolve({ ...quotas.get(k(e)) }),
    close: () => Promise.resolve(),
  };
}
