// The pre-Q4 supplier review (供应商复盘): its preparation checklist (DOMAIN.md), the facts of the
// year its owner prepares from, and which items the record itself can prove or disprove.
import { and, eq, gte, inArray, lt, or } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../../db/index.js';
import { complaints, promises, SEVERITIES, type OurFunction, type Severity, type SignalKind } from '../../db/schema.js';
import { walletShare } from './amounts.js';
import { effectiveSettings } from './settings.js';
import { coverageCells, uncoveredFunctions } from './coverage.js';
import { DAY_MS } from './dates.js';
import { resetsRevisit } from './cadence.js';
import { HEALTH_WEIGHTS, loadFacts } from './health.js';
import type { Account, Tenant } from './types.js';

/** The preparation checklist, in DOMAIN.md's order: items are numbered 1..5 in it. */
export const REVIEW_CHECKLIST = ['complaints', 'promises', 'wallet', 'risks', 'competitors'] as const;
export type ReviewItemKey = (typeof REVIEW_CHECKLIST)[number];

/**
 * One item of `review_items.checklist` (JSON). `tickedBy` (a member id) and `tickedAt` (epoch ms) say who
 * ticked it and when; items ticked before they were kept have neither.
 */
export interface ChecklistEntry {
  key: string;
  done: boolean;
  tickedBy?: number | null;
  tickedAt?: number | null;
}

/** The items the record can check: the rest (their top decision-maker's worries, our value against competitors) only the owner can. */
export const CHECKED_ITEMS: readonly ReviewItemKey[] = ['complaints', 'promises', 'wallet'];

export interface ReviewFacts {
  year: number;
  walletShare: number | undefined;
  /** Opened and resolved in the year; open now (whenever opened), the worst first and then the oldest. */
  complaints: { opened: number; resolved: number; open: { number: number; severity: Severity; openedAt: number }[] };
  /** Kept and broken in the year; open now, and those of them past their due day. */
  promises: { kept: number; broken: number; open: number; overdue: { number: number; dueOn: string }[] };
  /** Our levels with no thread to anyone of theirs (the /coverage rule). */
  uncovered: OurFunction[];
  /** Warning signs still counting in the account's health, newest first. */
  signals: { kind: SignalKind; at: number }[];
  /** The last visit, meeting or review by anyone of ours. */
  lastVisit: number | null;
}

/** The facts of `year` (the review season's) about one account, as of `now`. */
export async function reviewFacts(db: Tx, tenant: Tenant, account: Account, year: number, now: Date): Promise<ReviewFacts> {
  const at = now.getTime();
  const f = (await loadFacts(db, tenant, [account.id], at)).get(account.id)!;
  const from = DateTime.fromObject({ year }, { zone: tenant.timezone }).startOf('year').toJSDate();
  const to = DateTime.fromObject({ year: year + 1 }, { zone: tenant.timezone })
    .startOf('year')
    .toJSDate();
  const inYear = (d: Date | null) => d !== null && d >= from && d < to && d.getTime() <= at;

  const cs = await db
    .select({ number: complaints.number, severity: complaints.severity, status: complaints.status, openedAt: complaints.openedAt, resolvedAt: complaints.resolvedAt })
    .from(complaints)
    .where(and(eq(complaints.accountId, account.id), or(eq(complaints.status, 'open'), gte(complaints.openedAt, from), gte(complaints.resolvedAt, from))))
    .all();
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  const open = cs
    .filter((c) => c.status === 'open')
    .map((c) => ({ number: c.number, severity: c.severity, openedAt: c.openedAt.getTime() }))
    .sort((a, b) => rank(a.severity) - rank(b.severity) || a.openedAt - b.openedAt);

  const ps = await db
    .select({ number: promises.number, status: promises.status, dueOn: promises.dueOn, closedAt: promises.closedAt })
    .from(promises)
    .where(
      and(
        eq(promises.accountId, account.id),
        or(eq(promises.status, 'open'), and(inArray(promises.status, ['kept', 'broken']), gte(promises.closedAt, from), lt(promises.closedAt, to))),
      ),
    )
    .all();
  // Past due as the health score reads it (the end of its day in the workspace's zone).
  const late = new Set(f.promises.filter((p) => p.status === 'open' && p.dueAt < at).map((p) => p.number));
  const openPs = ps.filter((p) => p.status === 'open');

  const visits = f.touches.filter((t) => resetsRevisit(t.kind) && t.at <= at).map((t) => t.at);
  const signalsFrom = at - HEALTH_WEIGHTS.signalGoneDays * DAY_MS;
  return {
    year,
    walletShare: walletShare(account),
    complaints: { opened: cs.filter((c) => inYear(c.openedAt)).length, resolved: cs.filter((c) => c.status === 'resolved' && inYear(c.resolvedAt)).length, open },
    promises: {
      kept: ps.filter((p) => p.status === 'kept' && inYear(p.closedAt)).length,
      broken: ps.filter((p) => p.status === 'broken' && inYear(p.closedAt)).length,
      open: openPs.length,
      overdue: openPs
        .filter((p) => late.has(p.number))
        .sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.number - b.number)
        .map((p) => ({ number: p.number, dueOn: p.dueOn })),
    },
    uncovered: uncoveredFunctions(await coverageCells(db, account.id)),
    signals: f.signals.filter((s) => s.at > signalsFrom && s.at <= at).sort((a, b) => b.at - a.at),
    lastVisit: visits.length ? Math.max(...visits) : null,
  };
}

/** Why a checked item is not true of the record. */
export type ReviewProblem =
  | { key: 'complaints'; open: { number: number; severity: Severity }[] }
  | { key: 'promises'; overdue: { number: number; dueOn: string }[] }
  | { key: 'wallet' };

/**
 * Whether the record bears an item out: null when it does, the problem when it does not, undefined
 * for an item only its owner can vouch for.
 * - complaints: no complaint open (every complaint of the year resolved; /resolve requires the fix).
 * - promises: none past its due day and still open (kept, or renegotiated openly with a new due day).
 * - wallet: our wallet share is known (revenue and category spend set).
 */
export function reviewProblem(key: string, facts: ReviewFacts): ReviewProblem | null | undefined {
  switch (key) {
    case 'complaints':
      return facts.complaints.open.length ? { key, open: facts.complaints.open } : null;
    case 'promises':
      return facts.promises.overdue.length ? { key, overdue: facts.promises.overdue } : null;
    case 'wallet':
      return facts.walletShare === undefined ? { key } : null;
    default:
      return undefined;
  }
}

/** The review season of the year `now` falls in, as days in the tenant's zone. */
export function reviewSeason(tenant: Tenant, now: Date): { year: number; start: string; deadline: string; today: string } {
  const s = effectiveSettings(tenant.settings);
  const today = DateTime.fromJSDate(now, { zone: tenant.timezone });
  return { year: today.year, start: `${today.year}-${s.reviewSeasonStart}`, deadline: `${today.year}-${s.reviewSeasonDeadline}`, today: today.toISODate()! };
}
