// The weekly digest's rules and data: what is in a manager's (or a rep's) week, what is in the
// organisation's, when the digest is due, and who gets this week's. Plain data: src/views/digest.ts
// words it; the recording (outbox rows, in batches) is recordWeeklyDigests below.
import { and, desc, eq, gt, inArray, isNotNull, lt, lte, or, sql, type Placeholder } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Db, Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import type { OrgRow } from '../../prompts/en.js';
import { accounts, churnSignals, complaints, members, nudges, pairings, promises, reviewItems, touchpoints } from '../../db/schema.js';
import { lastPairingTouchSql, lastVisitSql, overdueRevisits, pairingDue } from './cadence.js';
import { churnBook, churnFigures, churnStart, type ChurnBook } from './churn.js';
import { complaintTimes, openComplaintAsOf, openComplaintAt, type ComplaintTimes } from './complaint-life.js';
import { singleThreaded } from './coverage.js';
import { DAY_MS, dayIn } from './dates.js';
import { personColumns } from './format.js';
import { bandsAt, healthAndBandsAt, healthOf, type Band, type Health } from './health.js';
import { isoWeek, nextWorkingInstant } from './hours.js';
import { keptRates, type KeptRate } from './promises.js';
import { reviewSeason } from './review.js';
import { recordNudge } from './nudges.js';
import { effectiveSettings } from './settings.js';
import { organisation, readsOrganisation, teamOf, type Organisation, type OrgTeam } from './teams.js';
import type { Account, Member, Tenant } from './types.js';
import { transact } from '../../db/index.js';

const DAY = DAY_MS;

/**
 * A digest is composed as of its time (a missed run redone later reads as it would have then):
 * the complaints opened by then and open at that time (one resolved since reads as open), the
 * promises made by then and open at that time, the accounts created by then.
 */
export const openPromiseAt = (at: Date) => and(lte(promises.createdAt, at), or(eq(promises.status, 'open'), and(isNotNull(promises.closedAt), gt(promises.closedAt, at))));
const accountBy = (at: Date) => lte(accounts.createdAt, at);
/** openPromiseAt with the time a placeholder (milliseconds), for a prepared query. */
const openPromiseAsOf = (at: Placeholder) =>
  and(sql`${promises.createdAt} <= ${at}`, or(eq(promises.status, 'open'), and(isNotNull(promises.closedAt), sql`${promises.closedAt} > ${at}`)));

/** A person as their platform names them (or does not). */
export interface Person {
  name: string;
  platformUserId: string;
  nameKnown: boolean;
}

const BAND_ORDER = { healthy: 0, watch: 1, 'at-risk': 2 } as const;
export type Scores = Map<number, { now: Health; before: Health }>;

/** What the digest reads of an account: its revisit clock's facts, its name and tier, its owner. */
export type BookAccount = Pick<Account, 'id' | 'name' | 'tier' | 'cadenceDays' | 'createdAt' | 'ownerId'>;
const bookColumns = { id: accounts.id, name: accounts.name, tier: accounts.tier, cadenceDays: accounts.cadenceDays, createdAt: accounts.createdAt, ownerId: accounts.ownerId };

/** A manager's week (their team's), or a rep's (their own), as of `now`, read in `zone` (the reader's). */
export interface DigestWeek {
  member: Member;
  /** The member and everyone who reports to them (teamOf). */
  team: Member[];
  /** Of the team, the people still here. */
  people: number;
  touches: { thisWeek: number; lastWeek: number };
  book: { a: BookAccount; last: number | null; owner: Person }[];
  scores: Scores;
  /** The accounts at risk or to watch, or worse than four weeks ago: at risk first, worst first. */
  worse: { a: BookAccount; h: { now: Health; before: Health }; fell: boolean }[];
  overdue: (DigestWeek['book'][number] & { days: number })[];
  snoozed: (DigestWeek['book'][number] & { until: number })[];
  complaints: { c: typeof complaints.$inferSelect; account: string }[];
  latePromises: { p: typeof promises.$inferSelect; account: string }[];
  kept: Map<number, KeptRate>;
  lapsedPairings: { p: typeof pairings.$inferSelect; account: string; exec: Person; last: number | null }[];
  /** The review season's progress, once it has started and has items: held, prepared, of all, and under way. */
  reviews: { held: number; prepared: number; total: number; underWay: number; deadline: string } | undefined;
  complaintTimes: ComplaintTimes;
  signals: { s: typeof churnSignals.$inferSelect; account: string }[];
  trends: DigestTrends;
}

/** How many weeks the digest's trends show. */
export const TREND_WEEKS = 8;

/**
 * The digest's trends over TREND_WEEKS weeks, oldest first, each week ending at the digest's time or
 * a whole number of weeks before it: the book's accounts by health band as of each week's end
 * (bandsAt: reconstructed from the facts, not from stored snapshots, of which there are none), and
 * the complaints on them opened and resolved in each week (resolved as complaintTimes counts: resolved
 * now, last resolved in the week; a complaint reopened since counts as opened only).
 */
export interface DigestTrends {
  /** Each week's end, and its day in the reader's zone (`YYYY-MM-DD`). */
  weeks: { at: Date; day: string }[];
  bands: Record<Band, number[]>;
  opened: number[];
  resolved: number[];
}

/** The ends of the `weeks` weeks to `now` (ms), oldest first: the instants digestTrends reads the bands at. */
export const trendEnds = (now: Date, weeks = TREND_WEEKS): number[] => Array.from({ length: weeks }, (_, i) => now.getTime() - (weeks - 1 - i) * 7 * DAY);

/**
 * The trends of the accounts in `accountIds` (a week's book) over the TREND_WEEKS weeks to `now`, read in `zone`.
 * `counts`: the bands at trendEnds(now, weeks) when the caller has them already (digestWeek reads them with the
 * week's health, healthAndBandsAt); read here (bandsAt) otherwise.
 */
export async function digestTrends(
  tx: Tx,
  tenant: Tenant,
  accountIds: number[],
  now: Date,
  zone: string,
  weeks = TREND_WEEKS,
  counts?: Record<Band, number>[],
): Promise<DigestTrends> {
  const ends = trendEnds(now, weeks);
  counts ??= await bandsAt(tx, tenant, accountIds, ends);
  const start = ends[0]! - 7 * DAY;
  const rows = accountIds.length
    ? await prepared(tx, 'digest.trendComplaints', (d) =>
        d
          .select({ openedAt: sql<number>`${complaints.openedAt}`, resolvedAt: sql<number | null>`${complaints.resolvedAt}`, status: complaints.status })
          .from(complaints)
          .where(
            and(
              eq(complaints.tenantId, sql.placeholder('tenant')),
              sql`${complaints.accountId} in (select value from json_each(${sql.placeholder('ids')}))`,
              or(sql`${complaints.openedAt} > ${sql.placeholder('start')}`, sql`${complaints.resolvedAt} > ${sql.placeholder('start')}`),
            ),
          )
          .prepare(),
      ).all({ tenant: tenant.id, ids: JSON.stringify(accountIds), start })
    : [];
  // Week i holds what happened in (its end − 7 days, its end].
  const weekOf = (t: number) => ends.findIndex((end) => t > end - 7 * DAY && t <= end);
  const opened = ends.map(() => 0);
  const resolved = ends.map(() => 0);
  for (const r of rows) {
    const o = weekOf(r.openedAt);
    if (o >= 0) opened[o]!++;
    const w = r.status === 'resolved' && r.resolvedAt !== null ? weekOf(r.resolvedAt) : -1;
    if (w >= 0) resolved[w]!++;
  }
  return {
    weeks: ends.map((t) => ({ at: new Date(t), day: dayIn(new Date(t), zone) })),
    bands: { healthy: counts.map((c) => c.healthy), watch: counts.map((c) => c.watch), 'at-risk': counts.map((c) => c['at-risk']) },
    opened,
    resolved,
  };
}

/**
 * The accounts in a week's book: of the tenant `tenant`, active, owned by one of `owners` (a JSON array), created by `at` (ms).
 * (`+` on the tenant: read through the owners' index, not every account of the tenant through its own, as SQLite
 * otherwise chose for the reviews and signals, 5-10 ms each on a book of 20 000, whatever the team.)
 */
const inWeekBook = () =>
  and(
    sql`+${accounts.tenantId} = ${sql.placeholder('tenant')}`,
    eq(accounts.status, 'active'),
    sql`${accounts.ownerId} in (select value from json_each(${sql.placeholder('owners')}))`,
    sql`${accounts.createdAt} <= ${sql.placeholder('at')}`,
  );

/** digestWeek's queries, prepared once per connection: `tenant`, `owners` (JSON), `at` (ms), and each its own. */
const weekQueries = {
  complaints: (tx: Tx) =>
    prepared(tx, 'digest.complaints', (d) =>
      d
        .select({ c: complaints, account: accounts.name })
        .from(complaints)
        .innerJoin(accounts, eq(accounts.id, complaints.accountId))
        .where(and(openComplaintAsOf(sql.placeholder('at')), eq(complaints.tenantId, sql.placeholder('tenant')), inWeekBook()))
        .orderBy(complaints.openedAt)
        .prepare(),
    ),
  /** `today`: the reader's day; promises due before it are late. */
  latePromises: (tx: Tx) =>
    prepared(tx, 'digest.latePromises', (d) =>
      d
        .select({ p: promises, account: accounts.name })
        .from(promises)
        .innerJoin(accounts, eq(accounts.id, promises.accountId))
        .where(
          and(
            eq(promises.tenantId, sql.placeholder('tenant')),
            openPromiseAsOf(sql.placeholder('at')),
            sql`${promises.ownerId} in (select value from json_each(${sql.placeholder('owners')}))`,
            lt(promises.dueOn, sql.placeholder('today')),
          ),
        )
        .orderBy(promises.dueOn)
        .prepare(),
    ),
  pairings: (tx: Tx) =>
    prepared(tx, 'digest.pairings', (d) =>
      d
        .select({ p: pairings, account: accounts.name, exec: personColumns, last: lastPairingTouchSql })
        .from(pairings)
        .innerJoin(accounts, eq(accounts.id, pairings.accountId))
        .innerJoin(members, eq(members.id, pairings.execId))
        .where(and(eq(pairings.active, true), eq(pairings.tenantId, sql.placeholder('tenant')), inWeekBook()))
        .prepare(),
    ),
  /** `season`: the review season's year. */
  reviews: (tx: Tx) =>
    prepared(tx, 'digest.reviews', (d) =>
      d
        .select({ status: reviewItems.status, checklist: reviewItems.checklist })
        .from(reviewItems)
        .innerJoin(accounts, eq(accounts.id, reviewItems.accountId))
        .where(and(eq(reviewItems.season, sql.placeholder('season')), inWeekBook()))
        .prepare(),
    ),
  /** `weekAgo` (ms): the signals of the week to `at`. */
  signals: (tx: Tx) =>
    prepared(tx, 'digest.signals', (d) =>
      d
        .select({ s: churnSignals, account: accounts.name })
        .from(churnSignals)
        .innerJoin(accounts, eq(accounts.id, churnSignals.accountId))
        .where(and(inWeekBook(), sql`${churnSignals.occurredAt} >= ${sql.placeholder('weekAgo')}`, sql`${churnSignals.occurredAt} <= ${sql.placeholder('at')}`))
        .orderBy(desc(churnSignals.occurredAt))
        .prepare(),
    ),
};

export async function digestWeek(tx: Tx, tenant: Tenant, member: Member, now: Date, zone: string): Promise<DigestWeek> {
  const team = await teamOf(tx, tenant.id, member);
  const ids = team.map((m) => m.id);
  const weekAgo = new Date(now.getTime() - 7 * DAY);
  const twoWeeksAgo = new Date(now.getTime() - 14 * DAY);

  // Both weeks' touches in one read through the member-time index.
  const counts = (await prepared(tx, 'digest.touchCounts', (d) =>
    d
      .select({
        // (case … then 1: PostgreSQL has no sum of a comparison, which SQLite counts as 1 or 0.)
        thisWeek: sql<number>`coalesce(sum(case when ${touchpoints.occurredAt} >= ${sql.placeholder('weekAgo')} then 1 else 0 end), 0)`,
        lastWeek: sql<number>`coalesce(sum(case when ${touchpoints.occurredAt} < ${sql.placeholder('weekAgo')} then 1 else 0 end), 0)`,
      })
      .from(touchpoints)
      .where(
        and(
          sql`${touchpoints.memberId} in (select value from json_each(${sql.placeholder('members')}))`,
          sql`+${touchpoints.tenantId} = ${sql.placeholder('tenant')}`,
          sql`${touchpoints.occurredAt} >= ${sql.placeholder('twoWeeksAgo')}`,
          sql`${touchpoints.occurredAt} < ${sql.placeholder('now')}`,
        ),
      )
      .prepare(),
  ).get({ members: JSON.stringify(ids), tenant: tenant.id, weekAgo: weekAgo.getTime(), twoWeeksAgo: twoWeeksAgo.getTime(), now: now.getTime() }))!;

  // (Prepared once per connection: the owners as one JSON parameter, so any team size is one statement.)
  const book = await prepared(tx, 'digest.book', (d) =>
    d
      .select({ a: bookColumns, last: lastVisitSql, owner: personColumns })
      .from(accounts)
      .innerJoin(members, eq(members.id, accounts.ownerId))
      .where(
        and(
          eq(accounts.tenantId, sql.placeholder('tenant')),
          eq(accounts.status, 'active'),
          sql`${accounts.ownerId} in (select value from json_each(${sql.placeholder('owners')}))`,
          sql`${accounts.createdAt} <= ${sql.placeholder('at')}`,
        ),
      )
      .prepare(),
  ).all({ tenant: tenant.id, owners: JSON.stringify(ids), at: now.getTime() });
  const accountIds = book.map((b) => b.a.id);
  const { overdue, snoozed } = await overdueRevisits(tx, tenant, book, now);

  // The rest of the week, each query prepared once per connection (db/prepared.ts): the team as one
  // JSON parameter, the times as milliseconds, so a run compiles no statement.
  const week = { tenant: tenant.id, owners: JSON.stringify(ids), at: now.getTime() };
  const open = accountIds.length ? await weekQueries.complaints(tx).all(week) : [];
  const today = dayIn(now, zone);
  const latePromises = await weekQueries.latePromises(tx).all({ ...week, today });
  const lapsedPairings = accountIds.length ? (await weekQueries.pairings(tx).all(week)).filter((r) => pairingDue(r.p, r.last) < now.getTime()) : [];
  const season = reviewSeason(tenant, now);
  const items = accountIds.length && season.today >= season.start ? await weekQueries.reviews(tx).all({ ...week, season: season.year }) : [];
  const signals = accountIds.length ? await weekQueries.signals(tx).all({ ...week, weekAgo: weekAgo.getTime() }) : [];

  // The digest leads with the accounts at risk or to watch (at risk first, worst first), saying which got there in four weeks.
  // Health now and four weeks ago, and the trends' bands each week, from one load of the facts.
  const { scores, bands } = await healthAndBandsAt(tx, tenant, accountIds, now, trendEnds(now));
  const worse = book
    .map(({ a }) => {
      const h = scores.get(a.id)!;
      return { a, h, fell: BAND_ORDER[h.now.band] > BAND_ORDER[h.before.band] };
    })
    .filter(({ h, fell }) => h.now.band !== 'healthy' || fell)
    .sort((x, y) => BAND_ORDER[y.h.now.band] - BAND_ORDER[x.h.now.band] || x.h.now.score - y.h.now.score);

  return {
    member,
    team,
    people: team.filter((m) => m.active).length,
    touches: counts,
    book,
    scores,
    worse,
    overdue,
    snoozed,
    complaints: open,
    latePromises,
    kept: await keptRates(tx, tenant, team, now),
    lapsedPairings,
    reviews: items.length
      ? {
          held: items.filter((i) => i.status === 'held').length,
          prepared: items.filter((i) => i.status === 'prepared').length,
          total: items.length,
          // Open with an item ticked is under way, not "not started" (the card shows those ticks).
          underWay: items.filter((i) => i.status === 'open' && i.checklist.some((c) => c.done)).length,
          deadline: season.deadline,
        }
      : undefined,
    complaintTimes: await complaintTimes(tx, tenant.id, { from: weekAgo, to: now }, accountIds, now),
    signals,
    trends: await digestTrends(tx, tenant, accountIds, now, zone, TREND_WEEKS, bands),
  };
}

/** Whether the member's team (or they) own any active account: an executive's own part follows the organisation's. */
export async function ownsAccounts(tx: Tx, tenant: Tenant, member: Member): Promise<boolean> {
  const team = await teamOf(tx, tenant.id, member);
  return !!(await tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(
      and(
        eq(accounts.tenantId, tenant.id),
        eq(accounts.status, 'active'),
        inArray(
          accounts.ownerId,
          team.map((m) => m.id),
        ),
      ),
    )
    .get());
}

/** One team's figures (or the organisation's) in the organisation's digest; `byCount` the churn rate by count. */
export type OrgFigures = Omit<OrgRow, 'rate'> & { byCount: number };

/**
 * The head of sales' week: each team beside the organisation's total (accounts at risk and to watch,
 * single-threaded, open and escalated complaints, promises broken this quarter and overdue, revisits
 * overdue, churn this quarter), then the accounts at risk or to watch across the organisation.
 */
export interface OrgWeek {
  org: Organisation;
  /** Every active account (created by then), with its owner. */
  book: { a: Account; last: number | null; owner: Person | null }[];
  whole: OrgFigures;
  /** The teams with anything to say; none when no team has a lead yet (the organisation's line says it all). */
  teams: { team: OrgTeam; figures: OrgFigures }[];
  /** Accounts at risk or to watch, at risk first, worst first. */
  flagged: { a: Account; h: Health }[];
}

export async function orgWeek(tx: Tx, tenant: Tenant, now: Date, zone: string): Promise<OrgWeek> {
  const org = await organisation(tx, tenant.id);
  const book = await tx
    .select({ a: accounts, last: lastVisitSql, owner: personColumns })
    .from(accounts)
    .leftJoin(members, eq(members.id, accounts.ownerId))
    .where(and(eq(accounts.tenantId, tenant.id), eq(accounts.status, 'active'), accountBy(now)))
    .all();
  const scores = await healthOf(tx, tenant, 'all', now);
  const { overdue } = await overdueRevisits(tx, tenant, book, now);
  const open = await tx
    .select({ ownerId: accounts.ownerId, level: complaints.escalationLevel })
    .from(complaints)
    .innerJoin(accounts, eq(accounts.id, complaints.accountId))
    .where(and(eq(complaints.tenantId, tenant.id), openComplaintAt(now), eq(accounts.status, 'active'), accountBy(now)))
    .all();
  const quarter = churnStart('quarter', now);
  const today = dayIn(now, zone);
  // Promises are the team's who made them, as the team's digest lists them.
  const promiseRows = await tx
    .select({ ownerId: promises.ownerId, status: promises.status, closedAt: promises.closedAt, dueOn: promises.dueOn })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .where(and(eq(promises.tenantId, tenant.id), eq(accounts.status, 'active'), lte(promises.createdAt, now)))
    .all();
  const churn: ChurnBook = await churnBook(tx, tenant.id, quarter, now);
  const figuresOf = (inTeam: (ownerId: number | null) => boolean): OrgFigures => {
    const mine = book.filter((b) => inTeam(b.a.ownerId));
    const health = mine.map((b) => scores.get(b.a.id)!.now);
    const opened = open.filter((c) => inTeam(c.ownerId));
    const ps = promiseRows.filter((p) => inTeam(p.ownerId));
    const f = churnFigures(churn, inTeam);
    return {
      accounts: mine.length,
      atRisk: health.filter((h) => h.band === 'at-risk').length,
      watch: health.filter((h) => h.band === 'watch').length,
      single: singleThreaded(mine.map((b) => ({ name: b.a.name, tier: b.a.tier, owner: b.owner?.name ?? null, health: scores.get(b.a.id)!.now }))).length,
      open: opened.length,
      escalated: opened.filter((c) => c.level > 0).length,
      // As of a past time: broken by then; open then (closed since reads as open).
      broken: ps.filter((p) => p.status === 'broken' && p.closedAt !== null && p.closedAt >= quarter && p.closedAt <= now).length,
      late: ps.filter((p) => (p.status === 'open' || (p.closedAt !== null && p.closedAt > now)) && p.dueOn < today).length,
      revisits: overdue.filter((o) => inTeam(o.a.ownerId)).length,
      lost: f.lost,
      book: f.book,
      byCount: f.byCount,
    };
  };
  const all = org.teams
    .map((team) => ({ team, figures: figuresOf((ownerId) => org.teamOf(ownerId) === team) }))
    .filter(({ figures: r }) => r.accounts || r.lost || r.open || r.late || r.broken);
  const flagged = book
    .map(({ a }) => ({ a, h: scores.get(a.id)!.now }))
    .filter(({ h }) => h.band !== 'healthy')
    .sort((x, y) => BAND_ORDER[y.h.band] - BAND_ORDER[x.h.band] || x.h.score - y.h.score);
  return { org, book, whole: figuresOf(() => true), teams: all.some(({ team }) => team.lead) ? all : [], flagged };
}

/** The workspace's digest day (ISO weekday, 1 Monday) and time, in its zone. */
export function digestClock(tenant: Tenant): { weekday: 1 | 2 | 3 | 4 | 5 | 6 | 7; hour: number; minute: number } {
  const s = effectiveSettings(tenant.settings);
  const [hour, minute] = s.digestTime.split(':').map(Number) as [number, number];
  return { weekday: s.digestDay as 1 | 2 | 3 | 4 | 5 | 6 | 7, hour, minute };
}

/** This week's digest moment in the workspace's zone, as the digest job runs it. */
export function digestDue(tenant: Tenant, now: Date): Date {
  return DateTime.fromJSDate(now, { zone: tenant.timezone })
    .set({ ...digestClock(tenant), second: 0, millisecond: 0 })
    .toJSDate();
}

/** One member's weekly digest, due to be recorded: its dedupe key (one per member and week) and when it may go out. */
export interface DigestDueTo {
  member: Member;
  dedupeKey: string;
  week: string;
  notBefore: Date;
}

/**
 * Who gets this week's digest and has not had it recorded: everyone who owns accounts or leads a team
 * (someone in it still here, or who left with accounts not yet handed over); admins and executives
 * while the organisation has any account.
 */
export async function digestsDue(tx: Tx, tenant: Tenant, now: Date): Promise<DigestDueTo[]> {
  const owners = new Set(
    (
      await tx
        .selectDistinct({ id: accounts.ownerId })
        .from(accounts)
        .where(and(eq(accounts.tenantId, tenant.id), eq(accounts.status, 'active')))
        .all()
    ).map((a) => a.id),
  );
  // The week is the workspace's, whose clock the digest runs on: in a reader's own zone, the digest's
  // hour can fall in the week before (a Monday 08:30 in Tokyo is a Sunday in London), so two weeks
  // would share a key and one of them go without. The reader's zone only times the delivery.
  const week = isoWeek(now, tenant.timezone);
  const key = (m: Member) => `digest:${m.id}:${week}`;
  // Who has this week's already is not worth composing again (the sweep catches up on a lost digest job).
  const done = new Set(
    (
      await tx
        .select({ key: nudges.dedupeKey })
        .from(nudges)
        .where(and(eq(nudges.tenantId, tenant.id), eq(nudges.kind, 'digest'), eq(nudges.period, week)))
        .all()
    ).map((n) => n.key),
  );
  const counts = (m: Member) => m.active || owners.has(m.id);
  const all = await tx.select().from(members).where(eq(members.tenantId, tenant.id)).all();
  const people: Member[] = [];
  for (const m of all) {
    if (m.active && !done.has(key(m)) && (owners.has(m.id) || (await teamOf(tx, tenant.id, m, all)).slice(1).some(counts) || (owners.size > 0 && readsOrganisation(m))))
      people.push(m);
  }
  // One digest a week, as the reader lives the week: someone who already read one in the week they
  // would read this one (a digest caught up late, at a weekend sweep, read this Monday morning) is not sent
  // another; an older one still waiting is dropped at delivery in favour of this one (see stillNeeded).
  const lastSent = new Map(
    (
      await tx
        .select({ to: nudges.recipientId, at: sql<number>`max(${nudges.sentAt})` })
        .from(nudges)
        .where(and(eq(nudges.tenantId, tenant.id), eq(nudges.kind, 'digest'), eq(nudges.status, 'sent')))
        .groupBy(nudges.recipientId)
        .all()
    ).map((r) => [r.to, r.at]),
  );
  const out: DigestDueTo[] = [];
  for (const m of people) {
    const zone = m.timezone ?? tenant.timezone;
    const notBefore = nextWorkingInstant(now, zone, tenant.settings);
    const read = lastSent.get(m.id);
    if (read != null && isoWeek(new Date(read), zone) === isoWeek(notBefore, zone)) continue;
    out.push({ member: m, dedupeKey: key(m), week, notBefore });
  }
  return out;
}

/** Records one member's digest as an outbox row under its dedupe key (the outbox's rule: a taken key records nothing). */
export type RecordDigest = (tx: Tx, due: DigestDueTo, payload: unknown) => Promise<number | undefined>;
/** A digest as an outbox row, under its dedupe key (one per member and week). */
export const recordDigest: RecordDigest = (tx, due, payload) =>
  recordNudge(tx, {
    tenantId: due.member.tenantId,
    dedupeKey: due.dedupeKey,
    kind: 'digest',
    subjectType: 'member',
    subjectId: due.member.id,
    recipientId: due.member.id,
    period: due.week,
    payload: payload as object,
    notBefore: due.notBefore,
  });

/** Words one member's digest (src/views/digest.ts weeklyDigest); called outside any write transaction by the batched run. */
export type ComposeDigest = (tx: Tx, due: DigestDueTo) => Promise<unknown>;

/** Records this week's digests within the caller's transaction (a dry run, a test); returns the new nudges. */
export async function recordWeeklyDigests(tx: Tx, tenant: Tenant, now: Date, compose: ComposeDigest, record: RecordDigest = recordDigest): Promise<number[]> {
  const ids: number[] = [];
  for (const due of await digestsDue(tx, tenant, now)) {
    const id = await record(tx, due, await compose(tx, due));
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

export interface DigestRunStats {
  ids: number[];
  /** How long each write transaction held SQLite's write lock (ms), in order. */
  holds: number[];
}

/**
 * The weekly digest run as the clock runs it, in batches so that no write transaction holds SQLite's
 * only write lock for long: who is due is read, then `batch` digests at a time are composed in a read
 * transaction and recorded in an IMMEDIATE transaction of their own. Each batch is all-or-nothing,
 * and a run stopped after some batches and run again records each digest exactly once: the dedupe
 * key turns away what is already recorded, and the second run does not even compose those.
 */
export async function recordWeeklyDigestsInBatches(
  db: Db,
  tenant: Tenant,
  now: Date,
  compose: ComposeDigest,
  record: RecordDigest = recordDigest,
  batch = 25,
): Promise<DigestRunStats> {
  const due = await transact(db, (tx) => digestsDue(tx, tenant, now), { behavior: 'deferred' });
  const ids: number[] = [];
  const holds: number[] = [];
  for (let i = 0; i < due.length; i += batch) {
    const part = due.slice(i, i + batch);
    // Composed in a read transaction (no lock a command waits for), one after another on the connection.
    const payloads = await transact(
      db,
      async (tx) => {
        const out: unknown[] = [];
        for (const d of part) out.push(await compose(tx, d));
        return out;
      },
      { behavior: 'deferred' },
    );
    const start = performance.now();
    await transact(
      db,
      async (tx) => {
        for (let j = 0; j < part.length; j++) {
          const id = await record(tx, part[j]!, payloads[j]);
          if (id !== undefined) ids.push(id);
        }
      },
      { behavior: 'immediate' },
    );
    holds.push(performance.now() - start);
  }
  return { ids, holds };
}
