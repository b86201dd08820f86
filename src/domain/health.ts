// Account health: 100 minus the weight of every warning sign, each with its
// evidence, so a rep sees why an account is at risk, not just that it is.
// The weights live here and only here (README "Account health" documents them).
import { DateTime } from 'luxon';
import { DAY_MS } from './dates.js';
import { and, eq, gte, inArray, isNotNull, or, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import {
  accounts,
  auditLog,
  churnSignals,
  complaints,
  contacts,
  members,
  nudgeSnoozes,
  pairings,
  promises,
  touchpointParticipants,
  touchpoints,
  type Severity,
  type SignalKind,
  type Tier,
} from '../../db/schema.js';
import { effectiveSettings } from './settings.js';
import { OUTER_ACCOUNT_ID, resetsRevisit, REVISIT_KINDS_SQL } from './cadence.js';
import type { Account, Tenant } from './types.js';
import type { View } from './view.js';
import { fmtDay } from './format.js';

const DAY = DAY_MS;

/**
 * Points each sign takes off 100, and the windows the signs are read in. Every rule here is one a
 * key-account manager would state; the README's health table says each in words.
 */
export const HEALTH_WEIGHTS = {
  /** Revisit overdue: up to this much, reached when a whole cadence has passed without a visit. */
  revisitOverdue: 20,
  /** Each open complaint by severity; half as much again once past its deadline, plus per escalation rung. */
  complaint: { critical: 18, high: 12, medium: 6, low: 2 } satisfies Record<Severity, number>,
  complaintOverdueFactor: 1.5,
  escalationRung: 3,
  complaintsCap: 35,
  /**
   * The history of complaints in 180 days (opened, open or closed in them): each medium or worse beyond the first
   * (they recur), each that took past its deadline, each open or taking longer than 30 days, and each
   * pass between owners of a complaint passed more than once (it bounces).
   */
  history: { recurrence: 5, late: 3, long: 5, pass: 2, cap: 20, days: 180, longDays: 30 },
  /**
   * Only one person of ours, or one level of theirs, touched in 90 days (once we have known them 90 days), on a
   * strategic or key account: multi-level coverage is what they need; a standard account is one rep's.
   */
  singleThreaded: 10,
  lapsedPairing: 8,
  /** A new decision-maker is a new relationship for 180 days: more while no executive of ours has met them. */
  decisionMaker: { unmet: 15, met: 8, days: 180 },
  /** A new owner is a new relationship: for 90 days after a handover. */
  handover: { weight: 12, days: 90 },
  /** Warning signs in full for 30 days, then fading to nothing at 120. */
  signal: { 'volume-drop': 12, 'price-pressure': 6, competitor: 12, 'payment-delay': 10, 'strategy-change': 8, 'decision-maker-change': 0 } satisfies Record<SignalKind, number>,
  signalFullDays: 30,
  signalGoneDays: 120,
  /**
   * Three warning signs in 90 days are a pattern, not three small facts: 12, and 4 for each further sign in the
   * last 90 days. It holds until 90 days pass without a new sign. Signs: every signal, every complaint medium or
   * worse, every broken promise, a handover, the owner leaving.
   */
  pattern: { min: 3, weight: 12, each: 4, cap: 24, days: 90 },
  ownerGone: 15,
  /** Wallet share under 20%, when known: we are easy to replace. */
  lowWalletShare: 8,
  lowShare: 0.2,
  /** Wallet share of 60% or more and a competitor courting them in 120 days: a second supplier is their natural move. */
  dependence: 10,
  highShare: 0.6,
  dependenceDays: 120,
  /** Each promise broken in 180 days (one broken by our executive weighs double), each overdue. */
  brokenPromise: { exec: 12, other: 6 },
  overduePromise: 4,
  promisesCap: 24,
  promiseDays: 180,
  /** A strategic account's signs count for more: every weight but the revisit clock's (its cadence follows the tier already). */
  tier: { strategic: 1.3, key: 1.15, standard: 1 } satisfies Record<Tier, number>,
  /** Down this much in four weeks (the revisit clock aside): at least "watch", whatever the score. */
  trendDrop: 15,
} as const;

export const BANDS = { healthy: 75, watch: 50 } as const;
export type Band = 'healthy' | 'watch' | 'at-risk';
export const SINGLE_THREAD_DAYS = 90;
export const TREND_DAYS = 28;
/** How far back the facts reach: the longest window, read as of four and eight weeks ago (the trend of the trend's baseline). */
export const REACH_DAYS = 180 + 2 * TREND_DAYS;

export interface Reason {
  key:
    | 'revisit'
    | 'complaints'
    | 'complaint-history'
    | 'single-threaded'
    | 'pairing'
    | 'decision-maker'
    | 'handover'
    | 'signal'
    | 'pattern'
    | 'owner-gone'
    | 'no-owner'
    | 'wallet'
    | 'dependence'
    | 'promises'
    | 'falling';
  /** Points taken off (the tier's factor included); 0 for the fall that flags by itself. */
  weight: number;
  /** Facts behind it, for the message (numbers, ids, kinds). */
  evidence: Record<string, string | number>;
}

export interface Health {
  score: number;
  band: Band;
  reasons: Reason[];
}

/** Everything about one account the score looks at, across time, so it can be read as of any day. */
export interface AccountFacts {
  account: Pick<Account, 'id' | 'tier' | 'cadenceDays' | 'createdAt' | 'annualRevenue' | 'categorySpend' | 'ownerGoneAt'>;
  /** Whether the account has an owner at all. */
  owned: boolean;
  /** When its owner left (null while they are here): before that day they were not gone. */
  ownerLeftAt: number | null;
  /**
   * The first touch on record (an imported book's history reaches back before the account was added). loadFacts
   * reads it only for an account added within the facts' reach: added before it, the account was known long enough
   * at every instant the score is read (its own creation is earlier than every threshold), so null there changes nothing.
   */
  firstTouchAt: number | null;
  touches: { at: number; memberId: number; ourLevel: string; theirLevel: string | null; kind: string }[];
  /** `passes`: when it was passed to another owner. */
  complaints: { number: number; severity: Severity; openedAt: number; deadlineAt: number; resolvedAt: number | null; escalationLevel: number; passes: number[] }[];
  signals: { kind: SignalKind; at: number }[];
  /** `byExec`: made by one of our executives. */
  promises: { number: number; dueAt: number; status: string; closedAt: number | null; byExec: boolean }[];
  pairings: { execId: number; cadenceDays: number; createdAt: number }[];
  /** When the account changed hands. */
  handovers: number[];
  /** Revisit snoozes (a rep's snooze or "not needed"): from when they were made until they end. */
  snoozes: { from: number; until: number }[];
}

export function band(score: number): Band {
  return score >= BANDS.healthy ? 'healthy' : score >= BANDS.watch ? 'watch' : 'at-risk';
}

const days = (ms: number) => Math.floor(ms / DAY);

/** The score as of `at` from the signs alone, before the trend is read. */
/** Adds a reason with the tier's factor (but the revisit clock's), rounded; a reason worth nothing is left out. */
function addReason(reasons: Reason[], tier: number, r: Reason): void {
  const weight = r.key === 'revisit' ? r.weight : r.weight * tier;
  if (weight > 0) reasons.push({ key: r.key, weight: Math.round(weight * 10) / 10, evidence: r.evidence });
}

const byWeight = (a: Reason, b: Reason) => b.weight - a.weight;
/** The reasons worst first (a stable sort, so equal weights keep their order); a list of none or one is left as it is. */
function worstFirst(reasons: Reason[]): Reason[] {
  return reasons.length > 1 ? reasons.sort(byWeight) : reasons;
}

/** Whether `t` falls in the `d` days up to `at`. */
function inDays(t: number, at: number, d: number): boolean {
  return t <= at && t > at - d * DAY;
}

/** How many days a complaint took (or has taken so far) as of `at`. */
function tookDays(c: { openedAt: number; resolvedAt: number | null }, at: number): number {
  return days((c.resolvedAt !== null && c.resolvedAt <= at ? c.resolvedAt : at) - c.openedAt);
}

// (signs runs three times per account for a whole book: its helpers are plain functions, not closures made on each call.)
function signs(tenant: Tenant, f: AccountFacts, at: number, tierCadence: Record<Tier, number> = effectiveSettings(tenant.settings).cadenceDays): Reason[] {
  const W = HEALTH_WEIGHTS;
  const tier = W.tier[f.account.tier];
  const reasons: Reason[] = [];
  // (The touches up to `at` are read in plain loops, no array copied: this runs three times for each of a book's accounts.)
  const touches = f.touches;

  // (cadenceFor's rule, with the workspace's table read once per book rather than once per account.)
  const cadence = f.account.cadenceDays ?? tierCadence[f.account.tier];
  // The revisit clock as the sweep runs it (revisitDue): from the last visit, or from the account's creation before any.
  // A book imported today with its history still counts from its last visit.
  let lastVisit = -Infinity;
  for (const t of touches) if (t.at <= at && t.at > lastVisit && resetsRevisit(t.kind)) lastVisit = t.at;
  if (lastVisit === -Infinity) lastVisit = f.account.createdAt.getTime();
  const overdueDays = days(at - lastVisit) - cadence;
  // A running snooze is a rep's choice, as the sweep and the digest read it: the reason says until when, and costs nothing.
  const snoozedUntil = !f.snoozes.length ? 0 : Math.max(0, ...f.snoozes.filter((z) => z.from <= at).map((z) => z.until));
  if (overdueDays > 0 && snoozedUntil > at) reasons.push({ key: 'revisit', weight: 0, evidence: { days: overdueDays, cadence, snoozedUntil } });
  else if (overdueDays > 0)
    addReason(reasons, tier, { key: 'revisit', weight: Math.min(W.revisitOverdue, (W.revisitOverdue * overdueDays) / cadence), evidence: { days: overdueDays, cadence } });

  // (Each kind of fact is looked at only when the account has any: most have none, and the score is read three times.)
  const seen = f.complaints.length ? f.complaints.filter((c) => c.openedAt <= at) : f.complaints;
  const open = seen.length ? seen.filter((c) => c.resolvedAt === null || c.resolvedAt > at) : seen;
  if (open.length) {
    const points = open.reduce((sum, c) => sum + W.complaint[c.severity] * (c.deadlineAt < at ? W.complaintOverdueFactor : 1) + W.escalationRung * c.escalationLevel, 0);
    const oldest = Math.max(...open.map((c) => days(at - c.openedAt)));
    addReason(reasons, tier, {
      key: 'complaints',
      weight: Math.min(W.complaintsCap, points),
      evidence: { open: open.length, overdue: open.filter((c) => c.deadlineAt < at).length, oldestDays: oldest, ids: open.map((c) => `C-${c.number}`).join(', ') },
    });
  }

  // The complaints of the last 180 days (opened in them, still open, or closed in them: a claim that took months is
  // recent history): how often, how late, how long, how often passed on.
  const H = W.history;
  const year = !seen.length ? seen : seen.filter((c) => inDays(c.openedAt, at, H.days) || c.resolvedAt === null || c.resolvedAt > at - H.days * DAY);
  if (year.length) {
    const serious = year.filter((c) => c.severity !== 'low').length;
    const resolvedLate = year.filter((c) => c.resolvedAt !== null && c.resolvedAt <= at && c.resolvedAt > c.deadlineAt).length;
    const long = year.filter((c) => tookDays(c, at) > H.longDays).length;
    const passes = year
      .map((c) => c.passes.filter((p) => p <= at).length)
      .filter((n) => n > 1)
      .reduce((a, b) => a + b, 0);
    const history = !year.length ? 0 : Math.max(0, serious - 1) * H.recurrence + resolvedLate * H.late + long * H.long + passes * H.pass;
    if (history > 0) {
      addReason(reasons, tier, {
        key: 'complaint-history',
        weight: Math.min(H.cap, history),
        evidence: { count: year.length, late: resolvedLate, longest: Math.max(...year.map((c) => tookDays(c, at))), passes },
      });
    }
  }

  // Coverage: once we have known them 90 days (an imported history counts), in Steward or before it.
  const knownSince = Math.min(f.account.createdAt.getTime(), f.firstTouchAt ?? Infinity);
  if (f.account.tier !== 'standard' && knownSince <= at - SINGLE_THREAD_DAYS * DAY) {
    // (Whether each side has two or more is read without a Set; the counts are taken only for a reason to give.)
    const from = at - SINGLE_THREAD_DAYS * DAY;
    let ours1: number | undefined;
    let theirs1: string | undefined;
    let manyOurs = false;
    let manyTheirs = false;
    for (const t of touches) {
      if (t.at > at || t.at <= from) continue;
      if (ours1 === undefined) ours1 = t.memberId;
      else if (t.memberId !== ours1) manyOurs = true;
      if (t.theirLevel !== null) {
        if (theirs1 === undefined) theirs1 = t.theirLevel;
        else if (t.theirLevel !== theirs1) manyTheirs = true;
      }
      if (manyOurs && manyTheirs) break;
    }
    if (!manyOurs || !manyTheirs) {
      const ours = new Set<number>();
      const theirs = new Set<string>();
      for (const t of touches) {
        if (t.at > at || t.at <= from) continue;
        ours.add(t.memberId);
        if (t.theirLevel !== null) theirs.add(t.theirLevel);
      }
      addReason(reasons, tier, { key: 'single-threaded', weight: W.singleThreaded, evidence: { ours: ours.size, theirs: theirs.size } });
    }
  }

  for (const p of f.pairings) {
    if (p.createdAt > at) continue;
    let last = p.createdAt;
    for (const t of touches) if (t.at <= at && t.memberId === p.execId && t.at > last) last = t.at;
    const late = days(at - last) - p.cadenceDays;
    if (late > 0) {
      addReason(reasons, tier, { key: 'pairing', weight: W.lapsedPairing, evidence: { days: late } });
      break;
    }
  }

  // A new decision-maker: six months of a new relationship, which one meeting of our executive eases but does not end.
  const dmChange = !f.signals.length
    ? undefined
    : f.signals.filter((s) => s.kind === 'decision-maker-change' && inDays(s.at, at, W.decisionMaker.days)).sort((a, b) => b.at - a.at)[0];
  if (dmChange) {
    const met = touches.some((t) => t.at <= at && t.at >= dmChange.at && t.ourLevel === 'executive');
    addReason(reasons, tier, { key: 'decision-maker', weight: met ? W.decisionMaker.met : W.decisionMaker.unmet, evidence: { days: days(at - dmChange.at), met: met ? 1 : 0 } });
  }

  const handover = !f.handovers.length ? undefined : f.handovers.filter((t) => inDays(t, at, W.handover.days)).sort((a, b) => b - a)[0];
  if (handover !== undefined && f.owned) addReason(reasons, tier, { key: 'handover', weight: W.handover.weight, evidence: { days: days(at - handover) } });

  for (const s of f.signals) {
    if (!inDays(s.at, at, W.signalGoneDays) || !(W.signal[s.kind] > 0)) continue;
    const age = (at - s.at) / DAY;
    const fade = age <= W.signalFullDays ? 1 : (W.signalGoneDays - age) / (W.signalGoneDays - W.signalFullDays);
    addReason(reasons, tier, { key: 'signal', weight: W.signal[s.kind] * fade, evidence: { kind: s.kind, days: Math.floor(age) } });
  }

  const ownerLeft = f.ownerLeftAt ?? f.account.ownerGoneAt?.getTime() ?? null;
  if (!f.owned) addReason(reasons, tier, { key: 'no-owner', weight: W.ownerGone, evidence: {} });
  else if (ownerLeft !== null && ownerLeft <= at) addReason(reasons, tier, { key: 'owner-gone', weight: W.ownerGone, evidence: {} });

  const { annualRevenue: ours$, categorySpend: theirs$ } = f.account;
  const share = ours$ != null && theirs$ ? ours$ / theirs$ : undefined;
  if (share !== undefined && share < W.lowShare) addReason(reasons, tier, { key: 'wallet', weight: W.lowWalletShare, evidence: { share: Math.round(100 * share) } });
  if (share !== undefined && share >= W.highShare && f.signals.some((s) => s.kind === 'competitor' && inDays(s.at, at, W.dependenceDays))) {
    addReason(reasons, tier, { key: 'dependence', weight: W.dependence, evidence: { share: Math.round(100 * share) } });
  }

  if (f.promises.length) {
    const broken = f.promises.filter((p) => p.status === 'broken' && p.closedAt !== null && inDays(p.closedAt, at, W.promiseDays));
    const overdue = f.promises.filter((p) => p.dueAt < at && (p.closedAt === null || p.closedAt > at) && p.status !== 'kept');
    const byExec = broken.filter((p) => p.byExec).length;
    const promisePoints = byExec * W.brokenPromise.exec + (broken.length - byExec) * W.brokenPromise.other + overdue.filter((p) => !broken.includes(p)).length * W.overduePromise;
    if (promisePoints > 0)
      addReason(reasons, tier, { key: 'promises', weight: Math.min(W.promisesCap, promisePoints), evidence: { broken: broken.length, byExec, overdue: overdue.length } });
  }

  // Signs that arrive together: three in a quarter are a pattern, and it holds until a quarter passes without a new sign.
  const P = W.pattern;
  if (!f.signals.length && !f.complaints.length && !f.promises.length && !f.handovers.length && ownerLeft === null) return worstFirst(reasons);
  const times = [
    ...f.signals.map((s) => s.at),
    ...f.complaints.filter((c) => c.severity !== 'low').map((c) => c.openedAt),
    ...f.promises.filter((p) => p.status === 'broken' && p.closedAt !== null).map((p) => p.closedAt!),
    ...f.handovers,
    ...(ownerLeft !== null ? [ownerLeft] : []),
  ]
    .filter((t) => t <= at)
    .sort((a, b) => b - a);
  // The signs still coming: back from the latest (in the last quarter), each within a quarter of the one after it.
  let run = times.length && at - times[0]! < P.days * DAY ? 1 : 0;
  while (run > 0 && run < times.length && times[run - 1]! - times[run]! < P.days * DAY) run++;
  const chain = times.slice(0, run);
  const formed = chain.some((t) => chain.filter((u) => u <= t && u > t - P.days * DAY).length >= P.min);
  const recentSigns = chain.filter((t) => inDays(t, at, P.days)).length;
  if (formed)
    addReason(reasons, tier, {
      key: 'pattern',
      weight: Math.min(P.cap, P.weight + Math.max(0, recentSigns - P.min) * P.each),
      evidence: { count: chain.length, days: Math.max(P.days, days(at - chain.at(-1)!) + 1) },
    });

  return worstFirst(reasons);
}

// (Plain loops, summing in the list's order as a reduce would: read several times per account, they copy no list.)
function scoreOf(reasons: Reason[]): number {
  let sum = 0;
  for (const r of reasons) sum += r.weight;
  return Math.max(0, Math.round(100 - sum));
}
/** The score the customer's signs leave: the revisit clock, which rises by design and has its own nudge, is no fall of theirs. */
function customerScore(reasons: Reason[]): number {
  let sum = 0;
  for (const r of reasons) if (r.key !== 'revisit') sum += r.weight;
  return Math.max(0, Math.round(100 - sum));
}

/** The score as of `at` (a past `at` gives the trend's baseline). A fall of 15 or more in four weeks flags by itself. */
export function health(tenant: Tenant, f: AccountFacts, at: number): Health {
  return judged(f, at, signs(tenant, f, at), signs(tenant, f, at - TREND_DAYS * DAY));
}

/** The score as of `at` from its signs then (`reasons`) and four weeks before (`earlier`): health's rule, read once per instant. */
function judged(f: AccountFacts, at: number, reasons: Reason[], earlier: Reason[]): Health {
  const score = scoreOf(reasons);
  const b = band(score);
  // A healthy score falling fast is watched.
  const drop = b === 'healthy' ? fall(f, at, reasons, earlier) : 0;
  if (drop) return { score, band: 'watch', reasons: [...reasons, { key: 'falling', weight: 0, evidence: { drop } }] };
  return { score, band: b, reasons };
}

/** The fall in four weeks that flags a score by itself (15 or more; an account we did not know four weeks ago is not falling), or 0. */
function fall(f: AccountFacts, at: number, reasons: Reason[], earlier: Reason[]): number {
  const before = at - TREND_DAYS * DAY;
  const known = Math.min(f.account.createdAt.getTime(), f.firstTouchAt ?? Infinity) <= before;
  const drop = customerScore(earlier) - customerScore(reasons);
  return known && drop >= HEALTH_WEIGHTS.trendDrop ? drop : 0;
}

/** The next step the domain suggests for an account's main reason. */
export type NextStep =
  | 'meet-decision-maker'
  | 'close-complaint-loop'
  | 'hand-over'
  | 'meet-contacts'
  | 'widen-coverage'
  | 'visit'
  | 'executive-visit'
  | 'renegotiate-promises'
  | 'business-review';
export function nextStep(h: Health): NextStep | undefined {
  // A snoozed revisit asks nothing until the snooze ends.
  const top = h.reasons.find((r) => !(r.key === 'revisit' && r.evidence.snoozedUntil !== undefined));
  if (!top || h.band === 'healthy') return undefined;
  const steps: Record<Reason['key'], NextStep> = {
    'decision-maker': 'meet-decision-maker',
    complaints: 'close-complaint-loop',
    'complaint-history': 'close-complaint-loop',
    'owner-gone': 'hand-over',
    'no-owner': 'hand-over',
    handover: 'meet-contacts',
    'single-threaded': 'widen-coverage',
    revisit: 'visit',
    pairing: 'executive-visit',
    promises: 'renegotiate-promises',
    signal: 'business-review',
    pattern: 'business-review',
    wallet: 'business-review',
    dependence: 'business-review',
    falling: 'business-review',
  };
  return steps[top.key];
}

const SEVERITY: Record<Band, number> = { healthy: 0, watch: 1, 'at-risk': 2 };

/** What an account's owner and their manager were last told of its health. */
export interface Told {
  band: Band;
  score: number;
}

/**
 * Whether to tell an account's owner and their manager about its health now: once when it enters
 * watch or at risk (or a worse band), once when it falls 15 or more in four weeks. `remember` is what
 * to keep as told (a recovery is remembered silently, so a later fall is news again).
 */
export function healthNews(
  last: Told | null,
  now: Health,
  before: Health,
): { tell: { kind: 'entered' | 'falling'; band: Band; score: number; drop: number; reasons: Reason[]; step: NextStep | undefined } | null; remember: Told } {
  const was = last ?? { band: before.band, score: before.score };
  const drop = customerScore(before.reasons) - customerScore(now.reasons);
  const news = (kind: 'entered' | 'falling') => ({
    tell: { kind, band: now.band, score: now.score, drop, reasons: now.reasons, step: nextStep(now) },
    remember: { band: now.band, score: now.score },
  });
  if (SEVERITY[now.band] > SEVERITY[was.band]) return news('entered');
  if (drop >= HEALTH_WEIGHTS.trendDrop && was.score - now.score >= HEALTH_WEIGHTS.trendDrop) return news('falling');
  // Better than told: remember it, so that falling back is news. Otherwise keep what was told.
  if (SEVERITY[now.band] < SEVERITY[was.band] || now.score > was.score) return { tell: null, remember: { band: now.band, score: now.score } };
  return { tell: null, remember: was };
}

type Handle = Tx;
/** The accounts in scope, as one JSON parameter: one statement for any number of accounts (SQLite caps a statement's parameters). */
const inScope = (col: SQLiteColumn) => sql`${col} in (select value from json_each(${sql.placeholder('ids')}))`;
/** Timestamps as stored (epoch ms): the facts are numbers, so no Date is made per row. */
const ms = (col: SQLiteColumn) => sql<number>`${col}`;
const msOrNull = (col: SQLiteColumn) => sql<number | null>`${col}`;

/**
 * loadFacts' queries, prepared once per connection, for the whole book or for the accounts in `ids`.
 * For a few accounts they read through the accounts' indexes: `+` keeps SQLite from reading every
 * row the tenant has through a tenant index and filtering them.
 */
function factQueries(db: Handle, scoped: boolean) {
  return prepared(db, `health.facts.${scoped ? 'ids' : 'all'}`, (d) => {
    const tenantId = sql.placeholder('tenant');
    const since = sql.placeholder('since');
    const scope = (col: SQLiteColumn) => (scoped ? inScope(col) : undefined);
    const ofTenant = (col: SQLiteColumn) => (scoped ? sql`+${col} = ${tenantId}` : eq(col, tenantId));
    // The window's touches: for a few accounts through their account-time index; for the whole book in one pass
    // over the table, which reads them in order rather than jumping to each row from an index (twice as fast).
    const touchedSince = scoped ? gte(touchpoints.occurredAt, since) : sql`+${touchpoints.occurredAt} >= ${since}`;
    return {
      accounts: d
        .select({
          id: accounts.id,
          tier: accounts.tier,
          cadenceDays: accounts.cadenceDays,
          createdAt: ms(accounts.createdAt),
          annualRevenue: accounts.annualRevenue,
          categorySpend: accounts.categorySpend,
          ownerGoneAt: msOrNull(accounts.ownerGoneAt),
          ownerId: accounts.ownerId,
          ownerActive: members.active,
          ownerLeftAt: msOrNull(members.leftAt),
          // The last visit before the window (the revisit clock) and the first touch of all (how long we have known them),
          // each read through the account-time index.
          lastVisit: sql<
            number | null
          >`(select max(t.occurred_at) from touchpoints t where t.account_id = ${OUTER_ACCOUNT_ID} and t.kind in ${REVISIT_KINDS_SQL} and t.occurred_at < ${since})`,
          // (Only for an account added within the reach: one added before it was known long enough at every instant read.)
          first: sql<number | null>`case when ${accounts.createdAt} > ${since} then (select min(t.occurred_at) from touchpoints t where t.account_id = ${OUTER_ACCOUNT_ID}) end`,
        })
        .from(accounts)
        .leftJoin(members, eq(members.id, accounts.ownerId))
        .where(and(ofTenant(accounts.tenantId), scope(accounts.id)))
        .prepare(),
      // Touches: the recent ones in full, plus the last visit of all time (the revisit clock).
      recent: d
        .select({
          accountId: touchpoints.accountId,
          at: ms(touchpoints.occurredAt),
          memberId: touchpoints.memberId,
          ourLevel: touchpoints.ourLevel,
          theirLevel: contacts.level,
          kind: touchpoints.kind,
        })
        .from(touchpoints)
        .leftJoin(contacts, eq(contacts.id, touchpoints.contactId))
        .where(and(ofTenant(touchpoints.tenantId), touchedSince, scope(touchpoints.accountId)))
        .prepare(),
      along: d
        .select({
          accountId: touchpoints.accountId,
          at: ms(touchpoints.occurredAt),
          memberId: touchpointParticipants.memberId,
          ourLevel: touchpointParticipants.ourLevel,
          theirLevel: contacts.level,
        })
        .from(touchpointParticipants)
        .innerJoin(touchpoints, eq(touchpoints.id, touchpointParticipants.touchpointId))
        .leftJoin(contacts, eq(contacts.id, touchpoints.contactId))
        .where(and(ofTenant(touchpoints.tenantId), touchedSince, scope(touchpoints.accountId)))
        .prepare(),
      complaints: d
        .select({
          id: complaints.id,
          accountId: complaints.accountId,
          number: complaints.number,
          severity: complaints.severity,
          status: complaints.status,
          openedAt: ms(complaints.openedAt),
          deadlineAt: ms(complaints.deadlineAt),
          resolvedAt: msOrNull(complaints.resolvedAt),
          escalationLevel: complaints.escalationLevel,
        })
        .from(complaints)
        .where(and(ofTenant(complaints.tenantId), or(eq(complaints.status, 'open'), gte(complaints.resolvedAt, since)), scope(complaints.accountId)))
        .prepare(),
      // Each time a complaint was passed to another owner (the audit trail keeps it), read through the trail's time index.
      passes: d
        .select({ id: auditLog.entityId, at: ms(auditLog.at) })
        .from(auditLog)
        .where(and(eq(auditLog.tenantId, tenantId), gte(auditLog.at, since), eq(auditLog.action, 'complaint.assign')))
        .prepare(),
      signals: d
        .select({ accountId: churnSignals.accountId, kind: churnSignals.kind, at: ms(churnSignals.occurredAt) })
        .from(churnSignals)
        .where(and(ofTenant(churnSignals.tenantId), gte(churnSignals.occurredAt, since), scope(churnSignals.accountId)))
        .prepare(),
      promises: d
        .select({
          accountId: promises.accountId,
          number: promises.number,
          dueOn: promises.dueOn,
          status: promises.status,
          closedAt: msOrNull(promises.closedAt),
          role: members.role,
          fn: members.function,
        })
        .from(promises)
        .leftJoin(members, eq(members.id, promises.ownerId))
        .where(
          and(
            ofTenant(promises.tenantId),
            or(eq(promises.status, 'open'), and(eq(promises.status, 'broken'), isNotNull(promises.closedAt), gte(promises.closedAt, since))),
            scope(promises.accountId),
          ),
        )
        .prepare(),
      pairings: d
        .select({ accountId: pairings.accountId, execId: pairings.execId, cadenceDays: pairings.cadenceDays, createdAt: ms(pairings.createdAt) })
        .from(pairings)
        .where(and(ofTenant(pairings.tenantId), eq(pairings.active, true), scope(pairings.accountId)))
        .prepare(),
      // Handovers: a book handed over, or an account given a new owner (the audit trail keeps both).
      moves: d
        .select({ action: auditLog.action, entityId: auditLog.entityId, detail: auditLog.detail, at: ms(auditLog.at) })
        .from(auditLog)
        .where(and(eq(auditLog.tenantId, tenantId), inArray(auditLog.action, ['handover', 'account.set']), gte(auditLog.at, since)))
        .prepare(),
      // Revisit snoozes still running at some point of the window (nudge_snoozes, as the sweep reads them).
      snoozes: d
        .select({ subjectId: nudgeSnoozes.subjectId, from: ms(nudgeSnoozes.createdAt), until: ms(nudgeSnoozes.until) })
        .from(nudgeSnoozes)
        .where(and(eq(nudgeSnoozes.tenantId, tenantId), eq(nudgeSnoozes.kind, 'revisit'), gte(nudgeSnoozes.until, since), scope(nudgeSnoozes.subjectId)))
        .prepare(),
    };
  });
}

/** The end of each day in each zone, as read before (a digest reads the same few days over and over); kept small. */
const endOfDays = new Map<string, number>();
function endOfDay(day: string, zone: string): number {
  const key = `${zone} ${day}`;
  let end = endOfDays.get(key);
  if (end === undefined) {
    if (endOfDays.size >= 4096) endOfDays.clear();
    end = DateTime.fromISO(day, { zone }).endOf('day').toMillis();
    endOfDays.set(key, end);
  }
  return end;
}

/**
 * The one empty list every account without facts of a kind shares (most have none of most kinds: a book of
 * 100 000 would make 600 000 empty lists); frozen, so nothing can fill it. `add` gives an account its own list.
 */
const NONE = Object.freeze([]) as unknown as never[];
type FactLists = 'complaints' | 'signals' | 'promises' | 'pairings' | 'handovers' | 'snoozes';
function add<K extends FactLists>(f: AccountFacts | undefined, key: K, x: AccountFacts[K][number]): void {
  if (!f) return;
  const list = f[key] as unknown[];
  if (list === NONE) (f as unknown as Record<K, unknown[]>)[key] = [x];
  else list.push(x);
}

/** Loads the facts for many accounts at once (one query per kind), keyed by account id. */
export async function loadFacts(db: Tx, tenant: Tenant, accountIds: number[] | 'all', now: number): Promise<Map<number, AccountFacts>> {
  return (await loadFactsSince(db, tenant, accountIds, now - REACH_DAYS * DAY)).facts;
}

/**
 * Facts loaded from `since`, with what it takes to read them as a load from a later reach would have
 * given them (narrowed): which complaints were open by status, and each account's last visit before `since`.
 */
interface LoadedFacts {
  facts: Map<number, AccountFacts>;
  since: number;
  /** The complaints whose status is open (loaded whatever their resolution time). */
  open: Set<AccountFacts['complaints'][number]>;
  /** The touch standing for the last visit before `since`, by account (the revisit clock's). */
  beforeReach: Map<number, AccountFacts['touches'][number]>;
}

/** loadFacts from `since` (ms), keeping what narrowed needs. */
async function loadFactsSince(db: Tx, tenant: Tenant, accountIds: number[] | 'all', since: number): Promise<LoadedFacts> {
  const facts = new Map<number, AccountFacts>();
  const loaded: LoadedFacts = { facts, since, open: new Set(), beforeReach: new Map() };
  if (accountIds !== 'all' && accountIds.length === 0) return loaded;
  const q = factQueries(db, accountIds !== 'all');
  const args = { tenant: tenant.id, since, ids: accountIds === 'all' ? '[]' : JSON.stringify(accountIds) };
  // A row per account: read as plain arrays, in the select's column order.
  type AccountRow = [number, Tier, number | null, number, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null];
  // (Indexed reads, not destructuring: this runs once per account of a book, and per touch below.)
  for (const r of (await q.accounts.values(args)) as AccountRow[]) {
    const id = r[0];
    const tier = r[1];
    const cadenceDays = r[2];
    const createdAt = r[3];
    const annualRevenue = r[4];
    const categorySpend = r[5];
    const ownerGoneAt = r[6];
    const ownerId = r[7];
    const ownerActive = r[8];
    const ownerLeftAt = r[9];
    const lastVisit = r[10];
    const first = r[11];
    // Someone marked as gone with no date (from before dates were kept) has been gone all along.
    const leftAt = ownerActive === 0 ? (ownerLeftAt ?? 0) : null;
    const touches: AccountFacts['touches'] = lastVisit === null ? [] : [{ at: lastVisit, memberId: -1, ourLevel: 'sales', theirLevel: null, kind: 'visit' }];
    if (lastVisit !== null) loaded.beforeReach.set(id, touches[0]!);
    const account = { id, tier, cadenceDays, createdAt: new Date(createdAt), annualRevenue, categorySpend, ownerGoneAt: ownerGoneAt === null ? null : new Date(ownerGoneAt) };
    facts.set(id, {
      account,
      owned: ownerId !== null && ownerActive !== null,
      ownerLeftAt: leftAt,
      firstTouchAt: first,
      touches,
      complaints: NONE,
      signals: NONE,
      promises: NONE,
      pairings: NONE,
      handovers: NONE,
      snoozes: NONE,
    });
  }
  // The most rows of all: read as plain arrays, in the select's column order.
  // (An account's touches tend to come together: the last account looked up is kept, saving a map lookup per row.)
  let lastId = Number.NaN;
  let lastFacts: AccountFacts | undefined;
  for (const t of (await q.recent.values(args)) as [number, number, number, string, string | null, string][]) {
    if (t[0] !== lastId) {
      lastId = t[0];
      lastFacts = facts.get(lastId);
    }
    lastFacts?.touches.push({ at: t[1], memberId: t[2], ourLevel: t[3], theirLevel: t[4], kind: t[5] });
  }
  lastId = Number.NaN;
  for (const t of (await q.along.values(args)) as [number, number, number, string, string | null][]) {
    if (t[0] !== lastId) {
      lastId = t[0];
      lastFacts = facts.get(lastId);
    }
    lastFacts?.touches.push({ at: t[1], memberId: t[2], ourLevel: t[3], theirLevel: t[4], kind: 'along' });
  }
  const cs = await q.complaints.all(args);
  const passes = new Map<number, number[]>();
  if (cs.length) {
    for (const r of await q.passes.all(args)) if (r.id !== null) passes.set(r.id, [...(passes.get(r.id) ?? []), r.at]);
  }
  for (const c of cs) {
    const complaint = {
      number: c.number,
      severity: c.severity,
      openedAt: c.openedAt,
      deadlineAt: c.deadlineAt,
      resolvedAt: c.resolvedAt,
      escalationLevel: c.escalationLevel,
      passes: passes.get(c.id) ?? [],
    };
    add(facts.get(c.accountId), 'complaints', complaint);
    if (c.status === 'open') loaded.open.add(complaint);
  }
  for (const s of await q.signals.all(args)) add(facts.get(s.accountId), 'signals', { kind: s.kind, at: s.at });
  // A promise is due at the end of its day, in the workspace's zone (as /promise list and the digest read it): one per day, not per promise.
  const dueAt = (day: string) => endOfDay(day, tenant.timezone);
  for (const p of await q.promises.all(args)) {
    add(facts.get(p.accountId), 'promises', { number: p.number, dueAt: dueAt(p.dueOn), status: p.status, closedAt: p.closedAt, byExec: p.role === 'exec' || p.fn === 'executive' });
  }
  for (const p of await q.pairings.all(args)) add(facts.get(p.accountId), 'pairings', { execId: p.execId, cadenceDays: p.cadenceDays, createdAt: p.createdAt });
  for (const m of await q.moves.all(args)) {
    const ids = m.action === 'handover' ? ((m.detail?.accountIds as number[] | undefined) ?? []) : m.detail && 'ownerId' in m.detail ? [m.entityId!] : [];
    for (const id of ids) add(facts.get(id), 'handovers', m.at);
  }
  for (const z of await q.snoozes.all(args)) add(facts.get(z.subjectId), 'snoozes', { from: z.from, until: z.until });
  return loaded;
}

/**
 * One account's facts as a load from the later reach `since` would have read them (loadFacts' queries,
 * row by row): the touches from then on, behind the last visit before it; the complaints open, or resolved
 * since then, with their passes since then; the signals, broken promises, handovers and snoozes since then.
 * The facts themselves when there is nothing to leave out (most accounts), so that their signs can be shared.
 */
function narrowed(loaded: LoadedFacts, f: AccountFacts, since: number): AccountFacts {
  if (since <= loaded.since) return f;
  const id = f.account.id;
  const first = f.account.createdAt.getTime() > since ? f.firstTouchAt : null;
  const synthetic = loaded.beforeReach.get(id);
  let touches = f.touches;
  if (touches.some((t) => t !== synthetic && t.at < since)) {
    // The last visit before the later reach: the one before the earlier, or a visit between the two.
    let lastVisit = synthetic?.at ?? null;
    for (const t of touches) if (t !== synthetic && t.at < since && resetsRevisit(t.kind) && (lastVisit === null || t.at > lastVisit)) lastVisit = t.at;
    const kept = touches.filter((t) => t !== synthetic && t.at >= since);
    touches = lastVisit === null ? kept : [{ at: lastVisit, memberId: -1, ourLevel: 'sales', theirLevel: null, kind: 'visit' }, ...kept];
  }
  const keep = <T>(list: T[], ok: (x: T) => boolean): T[] => {
    if (list.every(ok)) return list;
    const left = list.filter(ok);
    return left.length ? left : NONE;
  };
  let complaintList = keep(f.complaints, (c) => loaded.open.has(c) || (c.resolvedAt !== null && c.resolvedAt >= since));
  if (complaintList.some((c) => c.passes.some((p) => p < since)))
    complaintList = complaintList.map((c) => (c.passes.some((p) => p < since) ? { ...c, passes: c.passes.filter((p) => p >= since) } : c));
  const signalList = keep(f.signals, (x) => x.at >= since);
  const promiseList = keep(f.promises, (p) => p.status === 'open' || (p.status === 'broken' && p.closedAt !== null && p.closedAt >= since));
  const handovers = keep(f.handovers, (t) => t >= since);
  const snoozes = keep(f.snoozes, (z) => z.until >= since);
  const same =
    first === f.firstTouchAt &&
    touches === f.touches &&
    complaintList === f.complaints &&
    signalList === f.signals &&
    promiseList === f.promises &&
    handovers === f.handovers &&
    snoozes === f.snoozes;
  if (same) return f;
  return { ...f, firstTouchAt: first, touches, complaints: complaintList, signals: signalList, promises: promiseList, handovers, snoozes };
}

/** Health now and four weeks ago, for each account in scope. */
export async function healthOf(db: Tx, tenant: Tenant, accountIds: number[] | 'all', now: Date): Promise<Map<number, { now: Health; before: Health }>> {
  const at = now.getTime();
  const out = new Map<number, { now: Health; before: Health }>();
  // The signs as of now, four and eight weeks ago: each read once, the middle one serving both scores.
  const back = TREND_DAYS * DAY;
  const tierCadence = effectiveSettings(tenant.settings).cadenceDays;
  // (The map's values, not its entries: no [id, facts] pair is made per account.)
  for (const f of (await loadFacts(db, tenant, accountIds, at)).values()) {
    const id = f.account.id;
    const s0 = signs(tenant, f, at, tierCadence);
    const s1 = signs(tenant, f, at - back, tierCadence);
    // Eight weeks ago matters only for a fall into four weeks ago: none of 15 is possible onto a score above 85.
    const s2 = customerScore(s1) + HEALTH_WEIGHTS.trendDrop > 100 ? s1 : signs(tenant, f, at - 2 * back, tierCadence);
    out.set(id, { now: judged(f, at, s0, s1), before: judged(f, at - back, s1, s2) });
  }
  return out;
}

/**
 * How many accounts of `accountIds` were in each band at each of `instants` (ms), as the score read
 * them then: the facts are kept across time (AccountFacts), so a past week's band is the one a digest
 * composed that week would have shown, with two limits the data model sets: the tier, cadence and
 * wallet share are today's (nothing records their past values), and an account counts only from its
 * creation (one added since was not in the book then).
 */
export async function bandsAt(db: Tx, tenant: Tenant, accountIds: number[], instants: number[]): Promise<Record<Band, number>[]> {
  const out = instants.map(() => ({ healthy: 0, watch: 0, 'at-risk': 0 }));
  if (!instants.length || !accountIds.length) return out;
  const tierCadence = effectiveSettings(tenant.settings).cadenceDays;
  // Facts reaching back from the earliest instant serve every later one (the reads have no upper bound).
  const slots = signSlots(instants);
  const cache: (Reason[] | undefined)[] = new Array(slots.size);
  for (const f of (await loadFacts(db, tenant, accountIds, Math.min(...instants))).values()) countBands(out, f, instants, signsOnce(tenant, f, tierCadence, slots, cache));
  return out;
}

/**
 * An account's signs as of any instant, each instant's read once (weekly instants four weeks apart share theirs).
 * `slots`: the instants that may be read, each a place in `cache` (cleared here: one cache serves account after account).
 */
function signsOnce(tenant: Tenant, f: AccountFacts, tierCadence: Record<Tier, number>, slots: Map<number, number>, cache: (Reason[] | undefined)[]): (t: number) => Reason[] {
  cache.fill(undefined);
  return (t) => {
    const i = slots.get(t)!;
    let s = cache[i];
    if (!s) cache[i] = s = signs(tenant, f, t, tierCadence);
    return s;
  };
}

/** The instants bandsAt (and healthOf, at `at`) read signs at, each its place in a signsOnce cache. */
function signSlots(instants: number[], at?: number): Map<number, number> {
  const back = TREND_DAYS * DAY;
  const all = [...instants, ...instants.map((t) => t - back), ...(at === undefined ? [] : [at, at - back, at - 2 * back])];
  const slots = new Map<number, number>();
  for (const t of all) if (!slots.has(t)) slots.set(t, slots.size);
  return slots;
}

/** bandsAt's count for one account: its band at each of `instants` (from its creation on) added to `out`. */
function countBands(out: Record<Band, number>[], f: AccountFacts, instants: number[], at: (t: number) => Reason[]): void {
  const back = TREND_DAYS * DAY;
  const created = f.account.createdAt.getTime();
  for (let i = 0; i < instants.length; i++) {
    const t = instants[i]!;
    if (created > t) continue;
    const now = at(t);
    const b = band(scoreOf(now));
    // Four weeks earlier matters only for a healthy score that could have fallen 15 (healthOf's shortcut too): judged's band.
    out[i]![b === 'healthy' && customerScore(now) + HEALTH_WEIGHTS.trendDrop <= 100 && fall(f, t, now, at(t - back)) ? 'watch' : b]++;
  }
}

/**
 * healthOf and bandsAt of the same accounts together, as each alone gives them, from one load of the facts
 * (the digest reads both): loaded from the earlier reach, each reads them as its own load would have
 * (narrowed), and an account whose facts are the same for both (most) has each instant's signs read once
 * for both: now, four and eight weeks ago are among the weeks' instants and the four weeks before each.
 */
export async function healthAndBandsAt(
  db: Tx,
  tenant: Tenant,
  accountIds: number[],
  now: Date,
  instants: number[],
): Promise<{ scores: Map<number, { now: Health; before: Health }>; bands: Record<Band, number>[] }> {
  const at = now.getTime();
  const scores = new Map<number, { now: Health; before: Health }>();
  const bands = instants.map(() => ({ healthy: 0, watch: 0, 'at-risk': 0 }));
  if (!accountIds.length) return { scores, bands };
  const back = TREND_DAYS * DAY;
  const tierCadence = effectiveSettings(tenant.settings).cadenceDays;
  const healthSince = at - REACH_DAYS * DAY;
  const bandsSince = instants.length ? Math.min(...instants) - REACH_DAYS * DAY : healthSince;
  const loaded = await loadFactsSince(db, tenant, accountIds, Math.min(healthSince, bandsSince));
  const slots = signSlots(instants, at);
  const cache: (Reason[] | undefined)[] = new Array(slots.size);
  const other: (Reason[] | undefined)[] = new Array(slots.size);
  for (const f of loaded.facts.values()) {
    const fh = narrowed(loaded, f, healthSince);
    const fb = narrowed(loaded, f, bandsSince);
    const sh = signsOnce(tenant, fh, tierCadence, slots, cache);
    const sb = fb === fh ? sh : signsOnce(tenant, fb, tierCadence, slots, other);
    // healthOf's rule, as it reads it.
    const s0 = sh(at);
    const s1 = sh(at - back);
    const s2 = customerScore(s1) + HEALTH_WEIGHTS.trendDrop > 100 ? s1 : sh(at - 2 * back);
    scores.set(fh.account.id, { now: judged(fh, at, s0, s1), before: judged(fh, at - back, s1, s2) });
    if (instants.length) countBands(bands, fb, instants, sb);
  }
  return { scores, bands };
}

/** "72/100, watch, down 9 in four weeks" */
export function healthLine(v: View, now: Health, before: Health): string {
  return v.t.health.line(now.score, v.t.health.bands[now.band], now.score - before.score);
}

export function reasonText(v: View, r: Reason): string {
  const until = r.evidence.snoozedUntil;
  const e = {
    ...r.evidence,
    ...(typeof until === 'number' ? { snoozedUntil: fmtDay(v, new Date(until)) } : {}),
    kind: typeof r.evidence.kind === 'string' ? (v.t.enums.signal[r.evidence.kind as keyof typeof v.t.enums.signal] ?? r.evidence.kind) : (r.evidence.kind ?? ''),
  };
  const text = v.t.health.reason[r.key](e);
  return r.weight > 0 ? `${text} (${v.t.health.points(r.weight)})` : text;
}

export type HealthNews = NonNullable<ReturnType<typeof healthNews>['tell']>;

/** "strategic account: its warning signs count ×1.3", for a tier whose signs weigh more. */
export function tierNote(v: View, tier: Tier): string | undefined {
  const factor = HEALTH_WEIGHTS.tier[tier];
  return factor > 1 ? v.t.health.tierFactor(v.t.enums.tier[tier], factor) : undefined;
}
