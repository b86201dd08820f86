// Account health: 100 minus the weight of every warning sign, each with its
// evidence, so a rep sees why an account is at risk, not just that it is.
// The weights live here and only here (README "Account health" documents them).
import { DateTime } from 'luxon';
import { DAY_MS } from './dates.js';
import { and, eq, gte, inArray, isNotNull, or, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/index.js';
import { accounts, churnSignals, complaints, contacts, members, pairings, promises, touchpointParticipants, touchpoints, type Severity, type SignalKind } from '../../db/schema.js';
import { cadenceFor } from './settings.js';
import type { Account, Tenant } from './types.js';
import type { View } from './view.js';

const DAY = DAY_MS;

/** Points each sign takes off 100. */
export const HEALTH_WEIGHTS = {
  /** Revisit overdue: up to this much, reached when a whole cadence has passed without a visit. */
  revisitOverdue: 20,
  /** Each open complaint by severity; half as much again once past its deadline, plus per escalation rung. */
  complaint: { critical: 15, high: 10, medium: 6, low: 3 } satisfies Record<Severity, number>,
  complaintOverdueFactor: 1.5,
  escalationRung: 3,
  complaintsCap: 35,
  /** Only one person of ours, or one level of theirs, touched in 90 days. */
  singleThreaded: 10,
  lapsedPairing: 8,
  /** A decision-maker change in the last 180 days not yet followed by a touch from one of our executives. */
  decisionMakerUnmet: 12,
  /** Warning signs, fading to nothing over 90 days. */
  signal: { 'volume-drop': 10, 'price-pressure': 6, competitor: 8, 'payment-delay': 8, 'strategy-change': 5, 'decision-maker-change': 0 } satisfies Record<SignalKind, number>,
  ownerGone: 15,
  /** Wallet share under 20%, when known. */
  lowWalletShare: 5,
  brokenPromise: 6,
  overduePromise: 4,
  promisesCap: 15,
} as const;

export const BANDS = { healthy: 75, watch: 50 } as const;
export type Band = 'healthy' | 'watch' | 'at-risk';
export const SINGLE_THREAD_DAYS = 90;
const SIGNAL_FADE_DAYS = 90;
const RECENT_DAYS = 180;
const LOW_WALLET_SHARE = 0.2;

export interface Reason {
  key: 'revisit' | 'complaints' | 'single-threaded' | 'pairing' | 'decision-maker' | 'signal' | 'owner-gone' | 'no-owner' | 'wallet' | 'promises';
  /** Points taken off. */
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
  touches: { at: number; memberId: number; ourLevel: string; theirLevel: string | null; kind: string }[];
  complaints: { number: number; severity: Severity; openedAt: number; deadlineAt: number; resolvedAt: number | null; escalationLevel: number }[];
  signals: { kind: SignalKind; at: number }[];
  promises: { number: number; dueAt: number; status: string; closedAt: number | null }[];
  pairings: { execId: number; cadenceDays: number; createdAt: number }[];
}

export function band(score: number): Band {
  return score >= BANDS.healthy ? 'healthy' : score >= BANDS.watch ? 'watch' : 'at-risk';
}

/** The score as of `at` (a past `at` gives the trend's baseline). */
export function health(tenant: Tenant, f: AccountFacts, at: number): Health {
  const W = HEALTH_WEIGHTS;
  const reasons: Reason[] = [];
  const add = (r: Reason) => r.weight > 0 && reasons.push({ ...r, weight: Math.round(r.weight * 10) / 10 });
  const touches = f.touches.filter((t) => t.at <= at);

  const cadence = cadenceFor(tenant, f.account);
  // The revisit clock as the sweep runs it (revisitDue): from the last visit, or from the account's creation before any.
  // A book imported today with its history still counts from its last visit.
  const visits = touches.filter((t) => t.kind === 'visit' || t.kind === 'meeting' || t.kind === 'review').map((t) => t.at);
  const lastVisit = visits.length ? Math.max(...visits) : f.account.createdAt.getTime();
  const overdueDays = Math.floor((at - lastVisit) / DAY) - cadence;
  if (overdueDays > 0) add({ key: 'revisit', weight: Math.min(W.revisitOverdue, (W.revisitOverdue * overdueDays) / cadence), evidence: { days: overdueDays, cadence } });

  const open = f.complaints.filter((c) => c.openedAt <= at && (c.resolvedAt === null || c.resolvedAt > at));
  if (open.length) {
    const points = open.reduce((sum, c) => sum + W.complaint[c.severity] * (c.deadlineAt < at ? W.complaintOverdueFactor : 1) + W.escalationRung * c.escalationLevel, 0);
    const oldest = Math.max(...open.map((c) => Math.floor((at - c.openedAt) / DAY)));
    add({ key: 'complaints', weight: Math.min(W.complaintsCap, points), evidence: { open: open.length, overdue: open.filter((c) => c.deadlineAt < at).length, oldestDays: oldest, ids: open.map((c) => `C-${c.number}`).join(', ') } });
  }

  const recent = touches.filter((t) => t.at > at - SINGLE_THREAD_DAYS * DAY);
  const ours = new Set(recent.map((t) => t.memberId));
  const theirs = new Set(recent.map((t) => t.theirLevel).filter((l) => l !== null));
  if (f.account.createdAt.getTime() < at - SINGLE_THREAD_DAYS * DAY && (ours.size <= 1 || theirs.size <= 1)) {
    add({ key: 'single-threaded', weight: W.singleThreaded, evidence: { ours: ours.size, theirs: theirs.size } });
  }

  for (const p of f.pairings.filter((x) => x.createdAt <= at)) {
    const last = Math.max(p.createdAt, ...touches.filter((t) => t.memberId === p.execId).map((t) => t.at));
    const late = Math.floor((at - last) / DAY) - p.cadenceDays;
    if (late > 0) {
      add({ key: 'pairing', weight: W.lapsedPairing, evidence: { days: late } });
      break;
    }
  }

  const dmChange = f.signals.filter((s) => s.kind === 'decision-maker-change' && s.at <= at && s.at > at - RECENT_DAYS * DAY).sort((a, b) => b.at - a.at)[0];
  if (dmChange && !touches.some((t) => t.at >= dmChange.at && t.ourLevel === 'executive')) {
    add({ key: 'decision-maker', weight: W.decisionMakerUnmet, evidence: { days: Math.floor((at - dmChange.at) / DAY) } });
  }

  for (const s of f.signals.filter((x) => x.at <= at && x.at > at - SIGNAL_FADE_DAYS * DAY && W.signal[x.kind] > 0)) {
    const age = (at - s.at) / DAY;
    add({ key: 'signal', weight: W.signal[s.kind] * (1 - age / SIGNAL_FADE_DAYS), evidence: { kind: s.kind, days: Math.floor(age) } });
  }

  if (!f.owned) add({ key: 'no-owner', weight: W.ownerGone, evidence: {} });
  else if ((f.ownerLeftAt !== null && f.ownerLeftAt <= at) || (f.account.ownerGoneAt && f.account.ownerGoneAt.getTime() <= at)) add({ key: 'owner-gone', weight: W.ownerGone, evidence: {} });

  const { annualRevenue: ours$, categorySpend: theirs$ } = f.account;
  if (ours$ != null && theirs$ && ours$ / theirs$ < LOW_WALLET_SHARE) add({ key: 'wallet', weight: W.lowWalletShare, evidence: { share: Math.round((100 * ours$) / theirs$) } });

  const broken = f.promises.filter((p) => p.status === 'broken' && p.closedAt !== null && p.closedAt <= at && p.closedAt > at - RECENT_DAYS * DAY);
  const overdue = f.promises.filter((p) => p.dueAt < at && (p.closedAt === null || p.closedAt > at) && p.status !== 'kept');
  const promisePoints = broken.length * W.brokenPromise + overdue.filter((p) => !broken.includes(p)).length * W.overduePromise;
  if (promisePoints > 0) add({ key: 'promises', weight: Math.min(W.promisesCap, promisePoints), evidence: { broken: broken.length, overdue: overdue.length } });

  reasons.sort((a, b) => b.weight - a.weight);
  const score = Math.max(0, Math.round(100 - reasons.reduce((s, r) => s + r.weight, 0)));
  return { score, band: band(score), reasons };
}

/** Loads the facts for many accounts at once (one query per kind), keyed by account id. */
export function loadFacts(db: Tx, tenant: Tenant, accountIds: number[] | 'all', now: number): Map<number, AccountFacts> {
  const since = now - (RECENT_DAYS + 28) * DAY;
  const scope = accountIds === 'all' ? undefined : accountIds;
  const inScope = (col: SQLiteColumn) => (scope ? inArray(col, scope) : undefined);
  // The tenant's rows; for a few accounts, read through their accounts' indexes: `+` keeps SQLite
  // from reading every row the tenant has through a tenant index and filtering them.
  const ofTenant = (col: SQLiteColumn) => (scope ? sql`+${col} = ${tenant.id}` : eq(col, tenant.id));
  const rows = db
    .select({ a: accounts, ownerActive: members.active, ownerLeftAt: members.leftAt })
    .from(accounts)
    .leftJoin(members, eq(members.id, accounts.ownerId))
    .where(and(eq(accounts.tenantId, tenant.id), inScope(accounts.id)))
    .all();
  const facts = new Map<number, AccountFacts>();
  for (const { a, ownerActive, ownerLeftAt } of rows) {
    // Someone marked as gone with no date (from before dates were kept) has been gone all along.
    const leftAt = ownerActive === false ? (ownerLeftAt?.getTime() ?? 0) : null;
    facts.set(a.id, { account: a, owned: a.ownerId !== null && ownerActive !== null, ownerLeftAt: leftAt, touches: [], complaints: [], signals: [], promises: [], pairings: [] });
  }
  // Touches: the recent ones in full, plus the last visit of all time (the revisit clock).
  const recent = db
    .select({ accountId: touchpoints.accountId, at: touchpoints.occurredAt, memberId: touchpoints.memberId, ourLevel: touchpoints.ourLevel, theirLevel: contacts.level, kind: touchpoints.kind })
    .from(touchpoints)
    .leftJoin(contacts, eq(contacts.id, touchpoints.contactId))
    .where(and(ofTenant(touchpoints.tenantId), gte(touchpoints.occurredAt, new Date(since)), inScope(touchpoints.accountId)))
    .all();
  for (const t of recent) facts.get(t.accountId)?.touches.push({ at: t.at.getTime(), memberId: t.memberId, ourLevel: t.ourLevel, theirLevel: t.theirLevel, kind: t.kind });
  const along = db
    .select({ accountId: touchpoints.accountId, at: touchpoints.occurredAt, memberId: touchpointParticipants.memberId, ourLevel: touchpointParticipants.ourLevel, theirLevel: contacts.level })
    .from(touchpointParticipants)
    .innerJoin(touchpoints, eq(touchpoints.id, touchpointParticipants.touchpointId))
    .leftJoin(contacts, eq(contacts.id, touchpoints.contactId))
    .where(and(ofTenant(touchpoints.tenantId), gte(touchpoints.occurredAt, new Date(since)), inScope(touchpoints.accountId)))
    .all();
  for (const t of along) facts.get(t.accountId)?.touches.push({ at: t.at.getTime(), memberId: t.memberId, ourLevel: t.ourLevel, theirLevel: t.theirLevel, kind: 'along' });
  const lastVisits = db
    .select({ accountId: touchpoints.accountId, at: sql<number>`max(${touchpoints.occurredAt})` })
    .from(touchpoints)
    .where(and(ofTenant(touchpoints.tenantId), inArray(touchpoints.kind, ['visit', 'meeting', 'review']), sql`${touchpoints.occurredAt} < ${since}`, inScope(touchpoints.accountId)))
    .groupBy(touchpoints.accountId)
    .all();
  for (const v of lastVisits) facts.get(v.accountId)?.touches.push({ at: v.at, memberId: -1, ourLevel: 'sales', theirLevel: null, kind: 'visit' });

  const cs = db
    .select()
    .from(complaints)
    .where(and(ofTenant(complaints.tenantId), or(eq(complaints.status, 'open'), gte(complaints.resolvedAt, new Date(since))), inScope(complaints.accountId)))
    .all();
  for (const c of cs) {
    facts.get(c.accountId)?.complaints.push({ number: c.number, severity: c.severity, openedAt: c.openedAt.getTime(), deadlineAt: c.deadlineAt.getTime(), resolvedAt: c.resolvedAt?.getTime() ?? null, escalationLevel: c.escalationLevel });
  }
  const ss = db
    .select({ accountId: churnSignals.accountId, kind: churnSignals.kind, at: churnSignals.occurredAt })
    .from(churnSignals)
    .where(and(ofTenant(churnSignals.tenantId), gte(churnSignals.occurredAt, new Date(since)), inScope(churnSignals.accountId)))
    .all();
  for (const s of ss) facts.get(s.accountId)?.signals.push({ kind: s.kind, at: s.at.getTime() });
  const ps = db
    .select()
    .from(promises)
    .where(and(ofTenant(promises.tenantId), or(eq(promises.status, 'open'), and(eq(promises.status, 'broken'), isNotNull(promises.closedAt), gte(promises.closedAt, new Date(since)))), inScope(promises.accountId)))
    .all();
  for (const p of ps) {
    // A promise is due at the end of its day, in the workspace's zone (as /promise list and the digest read it).
    const dueAt = DateTime.fromISO(p.dueOn, { zone: tenant.timezone }).endOf('day').toMillis();
    facts.get(p.accountId)?.promises.push({ number: p.number, dueAt, status: p.status, closedAt: p.closedAt?.getTime() ?? null });
  }
  const prs = db
    .select()
    .from(pairings)
    .where(and(ofTenant(pairings.tenantId), eq(pairings.active, true), inScope(pairings.accountId)))
    .all();
  for (const p of prs) facts.get(p.accountId)?.pairings.push({ execId: p.execId, cadenceDays: p.cadenceDays, createdAt: p.createdAt.getTime() });
  return facts;
}

/** Health now and four weeks ago, for each account in scope. */
export function healthOf(db: Tx, tenant: Tenant, accountIds: number[] | 'all', now: Date): Map<number, { now: Health; before: Health }> {
  const at = now.getTime();
  const out = new Map<number, { now: Health; before: Health }>();
  for (const [id, f] of loadFacts(db, tenant, accountIds, at)) out.set(id, { now: health(tenant, f, at), before: health(tenant, f, at - 28 * DAY) });
  return out;
}

/** "72/100, watch, down 9 in four weeks" */
export function healthLine(v: View, now: Health, before: Health): string {
  return v.t.health.line(now.score, v.t.health.bands[now.band], now.score - before.score);
}

export function reasonText(v: View, r: Reason): string {
  const e = { ...r.evidence, kind: typeof r.evidence.kind === 'string' ? (v.t.enums.signal[r.evidence.kind as keyof typeof v.t.enums.signal] ?? r.evidence.kind) : (r.evidence.kind ?? '') };
  return `${v.t.health.reason[r.key](e)} (${v.t.health.points(r.weight)})`;
}

