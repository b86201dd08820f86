// Dates, money and people as a reader expects them in their locale and zone.
import { DateTime } from 'luxon';
import { members, type Platform } from '../../db/schema.js';
import type { Catalog } from '../../prompts/index.js';
import { dayIn } from './dates.js';
import type { View } from './view.js';

const luxonLocale = (ctx: View) => (ctx.locale === 'zh-CN' ? 'zh-CN' : 'en-GB');

export function fmtDay(ctx: View, day: string | Date | DateTime): string {
  const format = ctx.t.formats.day;
  // A format of nothing but date tokens words a day the same whatever the time: format each day once.
  const iso = DATE_ONLY.test(format) ? isoDay(ctx, day) : undefined;
  if (iso !== undefined) {
    const key = `${ctx.locale}\u0000${format}\u0000${iso}`;
    const known = dayCache.get(key);
    if (known !== undefined) return known;
    const d = DateTime.fromISO(iso, { zone: ctx.zone });
    if (d.isValid) {
      if (dayCache.size >= DAY_CACHE_MAX) dayCache.clear();
      const out = d.setLocale(luxonLocale(ctx)).toFormat(format);
      dayCache.set(key, out);
      return out;
    }
  }
  return inZone(ctx, day).setLocale(luxonLocale(ctx)).toFormat(format);
}

const inZone = (ctx: View, day: string | Date | DateTime) =>
  typeof day === 'string' ? DateTime.fromISO(day, { zone: ctx.zone }) : day instanceof Date ? DateTime.fromJSDate(day, { zone: ctx.zone }) : day.setZone(ctx.zone);

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The `YYYY-MM-DD` `day` falls on in the reader's zone; undefined when it cannot tell. */
function isoDay(ctx: View, day: string | Date | DateTime): string | undefined {
  if (typeof day === 'string') return ISO_DAY.test(day) ? day : undefined;
  if (day instanceof Date) return dayIn(day, ctx.zone) ?? undefined;
  return day.isValid ? (day.setZone(ctx.zone).toISODate() ?? undefined) : undefined;
}

/** Luxon formats whose only tokens (unquoted letters) are year, month, day and weekday ones. */
const DATE_ONLY = /^(?:'[^']*'|[yMLdcE]|[^a-zA-Z'])*$/;
const DAY_CACHE_MAX = 4096;
const dayCache = new Map<string, string>();

export function fmtDateTime(ctx: View, at: Date | DateTime): string {
  const d = at instanceof Date ? DateTime.fromJSDate(at, { zone: ctx.zone }) : at.setZone(ctx.zone);
  return d.setLocale(luxonLocale(ctx)).toFormat(ctx.t.formats.dateTime);
}

/** "3 days ago", "in 2 hours", "just now", in the reader's language. */
export function fmtRelative(ctx: View, at: Date | string): string {
  const d = typeof at === 'string' ? DateTime.fromISO(at, { zone: ctx.zone }) : DateTime.fromJSDate(at, { zone: ctx.zone });
  const base = DateTime.fromJSDate(ctx.now, { zone: ctx.zone });
  const minutes = Math.abs(d.diff(base, 'minutes').minutes);
  if (minutes < 1) return ctx.t.common.justNow;
  const unit = minutes >= 2 * 24 * 60 ? 'days' : minutes >= 60 ? 'hours' : 'minutes';
  return d.setLocale(luxonLocale(ctx)).toRelative({ base, unit }) ?? '';
}

/** How long ago something started, as a span: "3 days", "5 hours". */
export function fmtAge(ctx: View, since: Date): string {
  const minutes = Math.max(0, (ctx.now.getTime() - since.getTime()) / 60_000);
  const [value, unit] =
    minutes >= 2 * 24 * 60 ? [Math.floor(minutes / 1440), 'day'] : minutes >= 60 ? [Math.floor(minutes / 60), 'hour'] : [Math.max(1, Math.floor(minutes)), 'minute'];
  return new Intl.NumberFormat(ctx.locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

export function fmtMoney(ctx: View, n: number): string {
  return new Intl.NumberFormat(ctx.locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

export function fmtPercent(ctx: View, ratio: number): string {
  return new Intl.NumberFormat(ctx.locale, { style: 'percent', maximumFractionDigits: 0 }).format(ratio);
}

/** Days from today (in the reader's zone) to `day`; negative when it is past. */
export function daysUntil(ctx: View, day: string): number {
  const today = DateTime.fromJSDate(ctx.now, { zone: ctx.zone }).startOf('day');
  return Math.round(DateTime.fromISO(day, { zone: ctx.zone }).diff(today, 'days').days);
}

export const ref = (prefix: 'C' | 'P' | 'R', n: number) => `${prefix}-${n}`;

/** A member as a reader names them: their name, or, while their platform has not said who they are, someone (their id) not known to it. */
export function personName(t: Catalog, platform: Platform, m: { name: string; platformUserId: string; nameKnown?: boolean }): string {
  return m.nameKnown === false ? t.common.unknownPerson(m.platformUserId, t.common.platform[platform]) : m.name;
}

/** A member's columns a reader's name of them needs: select them as one object beside a row (`owner: personColumns`). */
export const personColumns = { name: members.name, platformUserId: members.platformUserId, nameKnown: members.nameKnown };

/** `personName` for a context that knows its reader's catalog and platform; undefined stays undefined. */
export function named(ctx: { t: Catalog; platform: Platform }, m: { name: string; platformUserId: string; nameKnown?: boolean }): string;
export function named(ctx: { t: Catalog; platform: Platform }, m: { name: string; platformUserId: string; nameKnown?: boolean } | null | undefined): string | undefined;
export function named(ctx: { t: Catalog; platform: Platform }, m: { name: string; platformUserId: string; nameKnown?: boolean } | null | undefined): string | undefined {
  return m ? personName(ctx.t, ctx.platform, m) : undefined;
}
