import type { Severity, TenantSettings, Tier } from '../../db/schema.js';
import type { Tenant } from './types.js';

export const DEFAULT_DEADLINE_HOURS: Record<Severity, number> = { critical: 4, high: 24, medium: 72, low: 7 * 24 };
export const DEFAULT_CADENCE_DAYS: Record<Tier, number> = { strategic: 14, key: 30, standard: 90 };
export const DEFAULT_PAIRING_DAYS = 90;

/** The tenant's settings with every default filled in. */
export function effectiveSettings(s: TenantSettings) {
  return {
    escalationChannel: s.escalationChannel,
    reviewSeasonStart: s.reviewSeasonStart ?? '09-01',
    reviewSeasonDeadline: s.reviewSeasonDeadline ?? '10-31',
    complaintDeadlineHours: { ...DEFAULT_DEADLINE_HOURS, ...s.complaintDeadlineHours },
    cadenceDays: { ...DEFAULT_CADENCE_DAYS, ...s.cadenceDays },
    workingHours: s.workingHours ?? '09:00-18:00',
    workingDays: s.workingDays ?? [1, 2, 3, 4, 5],
    digestDay: s.digestDay ?? 1,
    digestTime: s.digestTime ?? '08:30',
  };
}

export function cadenceFor(tenant: Tenant, account: { tier: Tier; cadenceDays: number | null }): number {
  return account.cadenceDays ?? effectiveSettings(tenant.settings).cadenceDays[account.tier];
}
