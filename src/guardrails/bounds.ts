/**
 * Parameter bounds: a last line of defence against a policy (or a custom module, or a
 * typo in its config) asking for something absurd — a 1 ms timeout, a zero-byte quota,
 * a hundred retries. `onViolation: clamp` (the default) moves the value to the bound and
 * says so in the decision reason, because the direction of the action is usually right
 * and only its size is wrong; `block` refuses the action instead, for operators who
 * prefer a human to look. A non-finite value is always blocked: there is nothing sane
 * to clamp it to. Bounds apply to every command with parameters, reductions included
 * (a relax must still land inside the bounds); reverts carry none.
 */
import type { CommandParams } from '../model/command';
import { NUMERIC_PARAM_KEYS } from '../actions/params';
import type { Guardrail } from './types';
import { PASS } from './types';

export const bounds: Guardrail = {
  name: 'bounds',
  check: (_state, c, ctx) => {
    if (c.action === 'revert' || c.action === 'renew') return PASS;
    const cfg = ctx.config.bounds;
    // Copied on the first clamp only: most candidates are inside their bounds.
    let params: CommandParams | null = null;
    const notes: string[] = [];
    for (const key of NUMERIC_PARAM_KEYS) {
      const v = c.params[key];
      if (v === null) continue;
      if (!Number.isFinite(v))
        return { ok: false, reason: `${key} is ${String(v)}; only finite values can be applied` };
      const { min, max } = cfg[key];
      if (v >= min && v <= max) continue;
      if (cfg.onViolation === 'block') return { ok: false, reason: `${key} ${v} is outside [${min}, ${max}]` };
      const clamped = Math.min(max, Math.max(min, v));
      params ??= { ...c.params, extra: { ...c.params.extra } };
      params[key] = clamped;
      notes.push(`${key} clamped ${v} → ${clamped} by bounds [${min}, ${max}]`);
    }
    if (params === null) return PASS;
    return { ok: true, candidate: { ...c, params }, note: notes.join('; ') };
  },
};
