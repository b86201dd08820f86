// Reading the dates people type, in their own time zone and language, with
// chrono-node (English and Simplified Chinese). Only the `+7d` shorthand is
// rewritten into words chrono knows.
import * as chrono from 'chrono-node';
import { DateTime, type Zone } from 'luxon';

/** A day someone typed, read in their zone. */
export interface ParsedDate {
  /** `YYYY-MM-DD` in the zone it was read in. */
  day: string;
  /** The instant: the given time, now for today, otherwise noon of that day. */
  at: DateTime;
}

/** Milliseconds in a day, for spans measured in whole days of 24 hours. */
export const DAY_MS = 86_400_000;

const SHORTHAND = /^([+-])(\d{1,4})([dwm])$/i;
const UNITS: Record<string, string> = { d: 'days', w: 'weeks', m: 'months' };
const ISO_LIKE = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/;
const ISO_WITH_TIME = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[\sT]/;
const MONTH_DAY = /^(\d{1,2})月(\d{1,2})[日号]?$/u;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const EN_MONTH_DAY = new RegExp(`^(${MONTHS.join('|')})[a-z]*\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?$`, 'i');
const BARE_WEEKDAY = /^(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?|(?:周|星期|礼拜)[一二三四五六日天])$/iu;

export type DateResult = { ok: true; value: ParsedDate } | { ok: false; reason: 'malformed' | 'impossible' };

/**
 * Parses `input` as a calendar day (optionally with a time) seen from `now` in `zone`.
 * `direction` decides where a bare weekday points: past for when something happened, future for a due date.
 */
export function parseDate(input: string, now: Date, zone: string, direction: 'past' | 'future'): DateResult {
  // Full-width digits and dashes (２０２６－１１－２０, １１月２０日), as a Chinese keyboard types them, read as their ASCII forms.
  const text = input.normalize('NFKC').trim();
  const iso = ISO_LIKE.exec(text);
  if (iso) {
    const d = DateTime.fromObject({ year: +iso[1]!, month: +iso[2]!, day: +iso[3]! }, { zone });
    if (!d.isValid) return { ok: false, reason: 'impossible' };
    return { ok: true, value: atDay(d, now, zone) };
  }
  // The same with a time after it (`2026-13-01 10:00`): chrono would read another day from it.
  const isoAt = ISO_WITH_TIME.exec(text);
  if (isoAt && !DateTime.fromObject({ year: +isoAt[1]!, month: +isoAt[2]!, day: +isoAt[3]! }).isValid) return { ok: false, reason: 'impossible' };
  // A month and day that no year has (2月30日, feb 30) is impossible, not unreadable.
  const zh = MONTH_DAY.exec(text);
  const enMd = EN_MONTH_DAY.exec(text);
  const md = zh ? [+zh[1]!, +zh[2]!] : enMd ? [MONTHS.indexOf(enMd[1]!.slice(0, 3).toLowerCase()) + 1, +enMd[2]!] : undefined;
  if (md && !DateTime.fromObject({ year: 2024, month: md[0], day: md[1] }).isValid) return { ok: false, reason: 'impossible' };
  const short = SHORTHAND.exec(text);
  const phrase = short
    ? short[1] === '+'
      ? `in ${short[2]} ${UNITS[short[3]!.toLowerCase()]}`
      : `${short[2]} ${UNITS[short[3]!.toLowerCase()]} ago`
    : text.replace(/^本(周|星期|礼拜)/u, '这$1');

  // chrono reads wall-clock fields from a Date in the process's zone; hand it the
  // actor's wall clock so "today" is their today, then rebuild the result in their zone.
  const wall = DateTime.fromJSDate(now, { zone });
  const ref = new Date(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const results = /\p{Script=Han}/u.test(phrase) ? chrono.zh.hans.parse(phrase, ref) : chrono.parse(phrase, ref);
  const whole = results.find((r) => r.index === 0 && r.text.length === phrase.length);
  if (!whole) return { ok: false, reason: 'malformed' };
  const c = whole.start;
  let day = DateTime.fromObject({ year: c.get('year')!, month: c.get('month')!, day: c.get('day')! }, { zone });
  if (!day.isValid) return { ok: false, reason: 'impossible' };
  // A bare weekday means the last one for when something happened, the next one for a due date.
  if (BARE_WEEKDAY.test(phrase)) {
    const today = wall.startOf('day');
    if (direction === 'past' && day > today) day = day.minus({ weeks: 1 });
    if (direction === 'future' && day < today) day = day.plus({ weeks: 1 });
  }
  // A month and day without a year (11月20日, nov 20) due "later" means next year once this year's has passed.
  if (direction === 'future' && c.isCertain('month') && c.isCertain('day') && !c.isCertain('year') && day < wall.startOf('day')) {
    day = day.plus({ years: 1 });
  }
  if (c.isCertain('hour')) {
    const at = day.set({ hour: c.get('hour')!, minute: c.get('minute') ?? 0 });
    return { ok: true, value: { day: day.toISODate()!, at } };
  }
  return { ok: true, value: atDay(day, now, zone) };
}

function atDay(day: DateTime, now: Date, zone: string): ParsedDate {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const at = day.hasSame(today, 'day') ? DateTime.fromJSDate(now, { zone }) : day.set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
  return { day: day.toISODate()!, at };
}

/** The calendar day (`YYYY-MM-DD`) it is at `at` in `zone`. */
export function dayIn(at: Date, zone: string): string {
  const ms = at.getTime();
  const offset = offsetAt(zone, ms);
  // An invalid zone or date: luxon says what it says (null for an invalid one), as before.
  if (!Number.isFinite(offset) || !Number.isFinite(ms)) return DateTime.fromMillis(ms, { zone }).toISODate()!;
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
}

/** `day` (`YYYY-MM-DD`) plus `n` calendar days (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/**
 * Zone offsets change only at quarter-hour instants (every transition in the
 * tz database since standard time, to the second), so a quarter hour without
 * a change in it has one offset, remembered here: luxon asks Intl for every
 * offset, which is most of what dating a record costs.
 */
const QUARTER_MS = 15 * 60_000;
const OFFSETS_MAX = 8192;
const zones = new Map<string, { zone: Zone; offsets: Map<number, number> }>();

/** `zone`'s offset from UTC in minutes at `ms` (NaN for a zone luxon does not know). */
export function offsetAt(zone: string, ms: number): number {
  let z = zones.get(zone);
  if (!z) zones.set(zone, (z = { zone: DateTime.fromMillis(0, { zone }).zone, offsets: new Map() }));
  const quarter = Math.floor(ms / QUARTER_MS);
  const known = z.offsets.get(quarter);
  if (known !== undefined) return known;
  const start = z.zone.offset(quarter * QUARTER_MS);
  // A change inside this quarter hour (a zone's first, local-mean-time offset, say): ask for this instant alone.
  if (start !== z.zone.offset(quarter * QUARTER_MS + QUARTER_MS - 1)) return z.zone.offset(ms);
  if (z.offsets.size >= OFFSETS_MAX) z.offsets.clear();
  z.offsets.set(quarter, start);
  return start;
}
