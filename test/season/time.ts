// The season simulator's small model of time: instants are UTC milliseconds,
// days and working hours are read in a person's own zone (DESIGN: "store UTC
// instants; compute cadences and Monday 9:00 in the member's or tenant's zone").
import { DateTime } from 'luxon';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The workspace's zone; members may live elsewhere. */
export const TENANT_ZONE = 'Asia/Shanghai';
/** The season the simulator runs (README: the review season runs 1 Sep - 31 Oct). */
export const SEASON_START = DateTime.fromISO('2026-08-20T09:30', { zone: TENANT_ZONE }).toMillis();
export const SEASON_END = DateTime.fromISO('2026-12-15T23:59', { zone: TENANT_ZONE }).toMillis();
export const REVIEW_START_DAY = '2026-09-01';
export const REVIEW_DEADLINE_DAY = '2026-10-31';

export const local = (at: number, zone: string) => DateTime.fromMillis(at, { zone });
export const dayOf = (at: number, zone: string) => local(at, zone).toISODate()!;
export const iso = (at: number) => new Date(at).toISOString().replace(':00.000Z', 'Z');
/** A local wall-clock time on a given day, as an instant. */
export const at = (day: string, hour: number, minute: number, zone: string) => DateTime.fromISO(day, { zone }).set({ hour, minute }).toMillis();
/** The start of `day` (YYYY-MM-DD) in `zone`. */
export const startOfDay = (day: string, zone: string) => DateTime.fromISO(day, { zone }).startOf('day').toMillis();
/** The ISO week an instant falls in, in `zone`. */
export const weekOf = (at: number, zone: string) => {
  const d = local(at, zone);
  return `${d.weekYear}-W${String(d.weekNumber).padStart(2, '0')}`;
};

/** README: "Nudges and digests reach people in their working hours (09:00-18:00, Monday to Friday, in their own time zone)". */
export function inWorkingHours(at: number, zone: string): boolean {
  const d = local(at, zone);
  const minutes = d.hour * 60 + d.minute;
  return d.weekday <= 5 && minutes >= 9 * 60 && minutes < 18 * 60;
}

/** A seeded PRNG (mulberry32): the same seed gives the same season. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.s += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

/** The first moment at or after `at` that is in working hours in `zone`: when a message sent then is read. */
export function readAt(at: number, zone: string): number {
  if (inWorkingHours(at, zone)) return at;
  for (let d = local(at, zone).startOf('day'); ; d = d.plus({ days: 1 })) {
    const nine = d.set({ hour: 9 }).toMillis();
    if (d.weekday <= 5 && nine >= at) return nine;
  }
}
