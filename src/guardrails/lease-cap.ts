/**
 * Cap on leases in force at once, per policy and globally: a bound on how much state
 * executors must hold and on how much can lapse at the same moment if homeostat dies.
 * Only a `set` that would add a new lease counts; replacing a lease does not.
 */
import type { Guardrail } from './types';
import { PASS } from './types';

export const leaseCap: Guardrail = {
  name: 'lease_cap',
  check: (_state, c, ctx) => {
    if (c.action !== 'set' || ctx.leaseExists) return PASS;
    if (ctx.policyLeases >= ctx.config.maxActiveLeases) {
      return { ok: false, reason: `policy holds ${ctx.policyLeases} leases, the cap is ${ctx.config.maxActiveLeases}` };
    }
    if (ctx.totalLeases >= ctx.global.maxActiveLeases) {
      return {
        ok: false,
        reason: `${ctx.totalLeases} leases in force across policies, the global cap is ${ctx.global.maxActiveLeases}`,
      };
    }
    return PASS;
  },
};
