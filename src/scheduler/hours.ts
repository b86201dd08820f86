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

/**
 * `from` plus a span of `hours` counted on the workspace's working clock: each
 * whole 24 hours is a working day (the same time of day, on the next working day),
 * what is left is working hours; the clock starts at the first working moment at
 * or after `from`. So "24 hours" opened on a Thursday evening ends on Monday
 * morning, not on Friday night, and never lands outside working hours.
 * A workspace without working days or hours counts on the wall clock.
 */
export function addWorkingSpan(from: Date, hours: number, zone: string, settings: TenantSettings): Date {
  const s = effectiveSettings(settings);
  const [, to] = s.workingHours.split('-') as [string, string];
  const [th, tm] = to.split(':').map(Number) as [number, number];
  const wall = new Date(from.getTime() + hours * 3_600_000);
  if (s.workingDays.length === 0) return wall;
  let at = DateTime.fromJSDate(nextWorkingInstant(from, zone, settings), { zone });
  const days = Math.floor(hours / 24);
  for (let i = 0; i < days; i++) {
    do at = at.plus({ days: 1 });
    while (!s.workingDays.includes(at.weekday));
  }
  let left = (hours - days * 24) * 3_600_000;
  // Bounded: a window of no length would never use the hours up.
  for (let i = 0; left > 0 && i < 1000; i++) {
    at = DateTime.fromJSDate(nextWorkingInstant(at.toJSDate(), zone, settings), { zone });
    const end = at.set({ hour: th, minute: tm, second: 0, millisecond: 0 });
    const room = end.toMillis() - at.toMillis();
    if (room <= 0) return wall;
    if (left <= room) return at.plus({ milliseconds: left }).toJSDate();
    left -= room;
    at = end;
  }
  return left > 0 ? wall : at.toJSDate();
}
