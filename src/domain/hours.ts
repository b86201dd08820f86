import { DateTime } from 'luxon';
import { effectiveSettings } from './settings.js';
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

/**
 * `from` plus a span of `hours` counted on the workspace's working clock: every 24
 * hours of the span is one working day (the working hours, 09:00-18:00 by default),
 * a fraction of it that fraction of a working day; the clock runs only in working
 * hours, from the first working moment at or after `from`. So "24 hours" opened on
 * Monday at 10:00 ends Tuesday at 10:00, opened Thursday at 20:00 ends at the close
 * of Friday, never on a weekend night; a shorter span never ends later than a longer one.
 * A workspace without working days or hours counts on the wall clock.
 */
export function addWorkingSpan(from: Date, hours: number, zone: string, settings: TenantSettings): Date {
  const s = effectiveSettings(settings);
  const [from_, to] = s.workingHours.split('-') as [string, string];
  const [fh, fm] = from_.split(':').map(Number) as [number, number];
  const [th, tm] = to.split(':').map(Number) as [number, number];
  const wall = new Date(from.getTime() + hours * 3_600_000);
  const window = (th * 60 + tm - (fh * 60 + fm)) * 60_000;
  if (s.workingDays.length === 0 || window <= 0) return wall;
  let left = (hours / 24) * window;
  let at = DateTime.fromJSDate(from, { zone });
  // Each pass uses up one working day's hours at most: bounded by the span's working days.
  for (let i = 0; i <= hours / 24 + 2 && left >= 0; i++) {
    at = DateTime.fromJSDate(nextWorkingInstant(at.toJSDate(), zone, settings), { zone });
    const end = at.set({ hour: th, minute: tm, second: 0, millisecond: 0 });
    const room = end.toMillis() - at.toMillis();
    if (left <= room) return at.plus({ milliseconds: left }).toJSDate();
    left -= room;
    at = end;
  }
  return wall;
}
