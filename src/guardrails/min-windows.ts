/**
 * A floor on consecutive windows before any tightening action. Policies count their own
 * windows (adaptive-timeout waits 3 by default); this floor also holds for a custom
 * module or a misconfiguration that asks to act on a single window — one window of
 * noise should never move production. Reductions are never held back.
 */
import type { Guardrail } from './types';
import { PASS } from './types';

export const minWindows: Guardrail = {
  name: 'min_windows',
  check: (_state, c, ctx) => {
    const floor = ctx.config.minConsecutiveWindows;
    if (c.action !== 'set' || c.streak >= floor) return PASS;
    return {
      ok: false,
      reason: `condition held for ${c.streak} window(s); at least ${floor} consecutive windows are required before acting`,
    };
  },
};
