// The escalation ladder: when an open complaint's next rung falls due.
import type { Complaint, Tenant } from './types.js';
import { DAY_MS } from './dates.js';
import { addWorkingSpan } from './hours.js';
import { effectiveSettings } from './settings.js';

/** After the top rung, an open complaint is raised again to the top rung once a week until it is resolved. */
export const LADDER_REPEAT_DAYS = 7;

/**
 * The end of a complaint's span that starts at `from`: the severity's hours, on the
 * workspace's working clock (see addWorkingSpan), except a critical one, which runs
 * on the wall clock as it is told at once, night or day. The deadline set at
 * /complaint is this span from the opening; each rung gets the same span again.
 */
export function complaintSpanEnd(tenant: Tenant, severity: Complaint['severity'], from: Date): Date {
  const hours = effectiveSettings(tenant.settings).complaintDeadlineHours[severity];
  if (severity === 'critical') return new Date(from.getTime() + hours * 3_600_000);
  return addWorkingSpan(from, hours, tenant.timezone, tenant.settings);
}

export type LadderState = Pick<Complaint, 'deadlineAt' | 'severity' | 'escalationLevel' | 'escalatedAt'>;

/**
 * The rung a complaint should be on by `now`: 1 owner, 2 manager, 3 executive.
 * One rung at a time: each rung has its own span after the previous one was told
 * (`escalatedAt`, the moment its message could be read), so a sweep after a quiet
 * time takes the next rung only and the rest follow a span apart.
 */
export function ladderLevel(tenant: Tenant, c: LadderState, now: Date): number {
  if (c.escalationLevel >= 3) return 3;
  const next = nextRungAt(tenant, c);
  return next && now >= next ? c.escalationLevel + 1 : c.escalationLevel;
}

/**
 * When the complaint's next step is due, for its timer: rung 1 at the deadline, each
 * further rung a span after the previous was told; after rung 3, the weekly reminder to the top rung.
 */
export function nextRungAt(tenant: Tenant, c: LadderState): Date | undefined {
  if (c.escalationLevel <= 0) return c.deadlineAt;
  // Rows decided before `escalatedAt` was the time told: their deadline is the best there is.
  const told = c.escalatedAt ?? c.deadlineAt;
  if (c.escalationLevel >= 3) return new Date(told.getTime() + LADDER_REPEAT_DAYS * DAY_MS);
  return complaintSpanEnd(tenant, c.severity, told);
}
