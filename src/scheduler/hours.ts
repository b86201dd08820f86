import { DateTime } from 'luxon';
import { effectiveSettings } from '../domain/settings.js';
import type { TenantSettings } from '../../db/schema.js';

/**
 * The first instant at or after `now` inside working hours in `zone` (default
 * 09:00-18:00, Monday to Friday): a nudge decided at night waits for the morning.
 */
export function nextWorkingInstant(now: Date, zone: string, settings: TenantSettings): Date {
  const s = effectiveSettings(settings);
  const [from, to] = s.workingHours.split('-') as [string, string];
  const [fh, fm] = from.split(':').map(Number) as [number, number];
  const [th, tm] = to.split(':').map(Number) as [number, number];
  let day = DateTime.fromJSDate(now, { zone });
  for (let i = 0; i < 8; i++) {
    const start = day.set({ hour: fh, minute: fm, second: 0, millisecond: 0 });
    const end = day.set({ hour: th, minute: tm, second: 0, millisecond: 0 });
    if (s.workingDays.includes(day.weekday)) {
      const at = i === 0 ? DateTime.fromJSDate(now, { zone }) : start;
      if (at < start) return start.toJSDate();
      if (at < end) return at.toJSDate();
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return now;
}

/** ISO week label in `zone`, e.g. `2026-W48`: the period of weekly nudges and digests. */
export function isoWeek(now: Date, zone: string): string {
  const d = DateTime.fromJSDate(now, { zone });
  return `${d.weekYear}-W${String(d.weekNumber).padStart(2, '0')}`;
}
