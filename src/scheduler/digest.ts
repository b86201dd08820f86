// The weekly digest: for a manager, their team's week; for a rep, their own.
// `/digest` shows it now; the weekly job records one per person as a nudge.
import { DAY_MS } from '../domain/dates.js';
import { and, desc, eq, gt, gte, inArray, isNotNull, lt, lte, or, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../../db/index.js';
import { accounts, churnSignals, complaints, members, nudges, pairings, promises, reviewItems, touchpoints } from '../../db/schema.js';
import { dayIn } from '../domain/dates.js';
import { daysUntil, fmtAge, fmtDay, fmtPercent, personColumns, personName, ref } from '../domain/format.js';
import { KEPT_WINDOW_DAYS, keptRates, keptTotal, type KeptRate } from '../domain/promises.js';
import { effectiveSettings } from '../domain/settings.js';
import type { Account, Member, Tenant } from '../domain/types.js';
import { viewFor, type View } from '../domain/view.js';
import { healthOf, reasonText } from '../domain/health.js';
import { list, reply, text, type Reply, type Rich, type Section } from '../engine/reply.js';
import { complaintTimes, fmtSpan, openComplaintAt, type ComplaintTimes } from '../domain/complaint-life.js';
import { singleThreaded } from '../domain/coverage.js';
import { singleThreadedSection } from '../views/coverage.js';
import { churnBook, churnFigures, churnStart } from '../domain/churn.js';
import { organisation, readsOrganisation, type OrgTeam } from '../domain/teams.js';
import type { OrgRow } from '../../prompts/en.js';
import { isoWeek, nextWorkingInstant } from './hours.js';
import { recordNudge } from './outbox.js';
import { reviewSeason } from './sweep.js';
import { lastPairingTouchSql, lastVisitSql, pairingDue, revisitDue, snoozeEnds } from '../domain/cadence.js';

const DAY = DAY_MS;
const LIMIT = 10;

/**
 * A digest is composed as of its time (a missed run redone later reads as it would have then):
 * the complaints opened by then and open at that time (one resolved since reads as open), the
 * promises made by then and open at that time, the accounts created by then.
 */
export const openPromiseAt = (at: Date) =>
  and(lte(promises.createdAt, at), or(eq(promises.status, 'open'), and(isNotNull(promises.closedAt), gt(promises.closedAt, at))));
const accountBy = (at: Date) => lte(accounts.createdAt, at);

/**
 * The member and everyone who reports to them, directly or not. People who
 * have left stay in it, and so do those who reported to them: until their book
 * is handed over it is still the team's, and its accounts are the ones most at risk.
 */
export function teamOf(tx: Tx, tenantId: number, lead: Member, all = tx.select().from(members).where(eq(members.tenantId, tenantId)).all()): Member[] {
  const team = [lead];
  for (let i = 0; i < team.length && team.length <= all.length; i++) {
    for (const m of all) if (m.managerId === team[i]!.id && !team.some((x) => x.id === m.id)) team.push(m);
  }
  return team;
}

function cap<T>(items: T[]): { items: T[]; more: number } {
  return { items: items.slice(0, LIMIT), more: Math.max(0, items.length - LIMIT) };
}

export function digestFor(tx: Tx, tenant: Tenant, member: Member, now: Date): Reply {
  const v = viewFor(tenant, member, now);
  const t = v.t;
  const team = teamOf(tx, tenant.id, member);
  const ids = team.map((m) => m.id);
  const isTeam = team.length > 1;
  const people = team.filter((m) => m.active).length;
  const weekAgo = new Date(now.getTime() - 7 * DAY);
  const twoWeeksAgo = new Date(now.getTime() - 14 * DAY);

  const touches = (from: Date, to: Date) =>
    tx
      .select({ n: sql<number>`count(*)` })
      .from(touchpoints)
      .where(and(eq(touchpoints.tenantId, tenant.id), inArray(touchpoints.memberId, ids), gte(touchpoints.occurredAt, from), lt(touchpoints.occurredAt, to)))
      .get()!.n;
  const thisWeek = touches(weekAgo, now);
  const lastWeek = touches(twoWeeksAgo, weekAgo);

  // People by name, or as someone their platform does not know.
  const person = { name: members.name, platformUserId: members.platformUserId, nameKnown: members.nameKnown };
  const named = (p: { name: string; platformUserId: string; nameKnown: boolean }) => personName(t, tenant.platform, p);
  const book = tx
    .select({ a: accounts, last: lastVisitSql, person })
    .from(accounts)
    .innerJoin(members, eq(members.id, accounts.ownerId))
    .where(and(eq(accounts.tenantId, tenant.id), eq(accounts.status, 'active'), inArray(accounts.ownerId, ids), accountBy(now)))
    .all()
    .map(({ person: p, ...row }) => ({ ...row, owner: named(p) }));
  const accountIds = book.map((b) => b.a.id);
  const { overdue, snoozed } = overdueRevisits(tx, tenant, book, now);

  const open = accountIds.length
    ? tx
        .select({ c: complaints, account: accounts.name })
        .from(complaints)
        .innerJoin(accounts, eq(accounts.id, complaints.accountId))
        .where(and(openComplaintAt(now), inArray(complaints.accountId, accountIds)))
        .orderBy(complaints.openedAt)
        .all()
    : [];
  const today = dayIn(now, v.zone);
  const late = tx
    .select({ p: promises, account: accounts.name })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .where(and(eq(promises.tenantId, tenant.id), openPromiseAt(now), inArray(promises.ownerId, ids), lt(promises.dueOn, today)))
    .orderBy(promises.dueOn)
    .all();
  const lapsed = accountIds.length
    ? tx
        .select({ p: pairings, account: accounts.name, person, last: lastPairingTouchSql })
        .from(pairings)
        .innerJoin(accounts, eq(accounts.id, pairings.accountId))
        .innerJoin(members, eq(members.id, pairings.execId))
        .where(and(eq(pairings.active, true), inArray(pairings.accountId, accountIds)))
        .all()
        .filter((r) => pairingDue(r.p, r.last) < now.getTime())
        .map(({ person: p, ...row }) => ({ ...row, exec: named(p) }))
    : [];
  const season = reviewSeason(tenant, now);
  const items = accountIds.length
    ? tx
        .select({ status: reviewItems.status, checklist: reviewItems.checklist })
        .from(reviewItems)
        .where(and(eq(reviewItems.season, season.year), inArray(reviewItems.accountId, accountIds)))
        .all()
    : [];
  const signals = accountIds.length
    ? tx
        .select({ s: churnSignals, account: accounts.name })
        .from(churnSignals)
        .innerJoin(accounts, eq(accounts.id, churnSignals.accountId))
        .where(and(inArray(churnSignals.accountId, accountIds), gte(churnSignals.occurredAt, weekAgo), lte(churnSignals.occurredAt, now)))
        .orderBy(desc(churnSignals.occurredAt))
        .all()
    : [];

  // The digest leads with the accounts at risk or to watch (at risk first, worst first), saying which got there in four weeks.
  const order = { healthy: 0, watch: 1, 'at-risk': 2 } as const;
  const scores = healthOf(tx, tenant, accountIds, now);
  const worse = book
    .map(({ a }) => ({ a, h: scores.get(a.id)! }))
    .filter(({ h }) => h.now.band !== 'healthy' || order[h.now.band] > order[h.before.band])
    .sort((x, y) => order[y.h.now.band] - order[x.h.now.band] || x.h.now.score - y.h.now.score);
  const o = cap(overdue);
  const c = cap(open);
  const p = cap(late);
  const l = cap(lapsed);
  const g = cap(signals);
  const out = reply(
    'info',
    isTeam ? t.digest.teamTitle(named(member), people) : t.digest.ownTitle(named(member)),
    list(
      cap(worse).items.map(({ a, h }) =>
        order[h.now.band] > order[h.before.band]
          ? t.health.worsenedLine(a.name, t.health.bands[h.before.band], t.health.bands[h.now.band], h.now.score, h.now.reasons[0] ? reasonText(v, h.now.reasons[0]) : '')
          : t.health.flaggedLine(a.name, t.health.bands[h.now.band], h.now.score, h.now.reasons[0] ? reasonText(v, h.now.reasons[0]) : ''),
      ),
      { heading: t.health.worsenedHeading(worse.length), empty: t.common.none, more: cap(worse).more },
    ),
    text(t.digest.touches(thisWeek, lastWeek)),
    list(
      [
        ...o.items.map((x) => t.digest.overdueLine(x.a.name, t.enums.tier[x.a.tier], x.owner, x.days)),
        // A snoozed account is not forgotten, nor counted overdue: it says until when.
        ...cap(snoozed).items.map((x) => t.digest.snoozedLine(x.a.name, t.enums.tier[x.a.tier], x.owner, fmtDay(v, new Date(x.until)))),
      ],
      { heading: t.digest.overdueHeading(overdue.length), empty: t.digest.allCurrent, more: o.more + cap(snoozed).more },
    ),
    list(
      c.items.map(({ c: k, account }) =>
        t.digest.complaintLine(ref('C', k.number), account, t.enums.severity[k.severity], fmtAge(v, k.openedAt), k.escalationLevel),
      ),
      { heading: t.digest.complaintsHeading(open.length, open.filter((x) => x.c.escalationLevel > 0).length), empty: t.common.none, more: c.more },
    ),
    list(p.items.map(({ p: k, account }) => t.digest.promiseLine(ref('P', k.number), account, k.text, fmtDay(v, k.dueOn), -daysUntil(v, k.dueOn))), { heading: t.digest.promisesHeading(late.length), empty: t.common.none, more: p.more }),
    ...keptOnTimeSection(tx, tenant, team, v),
    list(l.items.map((r) => t.digest.pairingLine(r.account, r.exec, r.last ? fmtDay(v, new Date(r.last)) : undefined)), { heading: t.digest.pairingsHeading(lapsed.length), empty: t.common.none, more: l.more }),
  );
  if (season.today >= season.start && items.length) {
    const held = items.filter((i) => i.status === 'held').length;
    const prepared = items.filter((i) => i.status === 'prepared').length;
    // Open with an item ticked is under way, not "not started" (the card shows those ticks).
    const underWay = items.filter((i) => i.status === 'open' && i.checklist.some((c) => c.done)).length;
    out.sections.push(text(t.digest.reviews(held, prepared, items.length, fmtDay(v, season.deadline), underWay)));
  }
  out.sections.push(complaintTimesSection(v, complaintTimes(tx, tenant.id, { from: weekAgo, to: now }, accountIds, now), t.complaint.times.weekHeading));
  out.sections.push(list(g.items.map(({ s, account }): Rich => `${fmtDay(v, s.occurredAt)} · ${account} · ${t.enums.signal[s.kind]}${s.detail ? ` — ${s.detail}` : ''}`), { heading: t.digest.signalsHeading(signals.length), empty: t.common.none, more: g.more }));
  // Coverage across the team: the accounts known by one thread, by the health score's rule.
  out.sections.push(...singleThreadedSection(v, book.map(({ a, owner }) => ({ name: a.name, tier: a.tier, owner, health: scores.get(a.id)!.now })), LIMIT));
  // Written in the member's language: a renderer words the "…and N more" of its lists alike.
  out.locale = v.locale;
  return out;
}

/**
 * How fast complaints are answered and fixed: the medians of those resolved in the
 * period, how many are open and unanswered, and the oldest open one (with its passes,
 * so a complaint bounced between people for months reads as that). The digest's week, /churn's period.
 */
export function complaintTimesSection(v: View, times: ComplaintTimes, heading: string): Section {
  const t = v.t.complaint.times;
  const lines = [
    times.resolved && times.firstAnswer !== undefined && times.resolution !== undefined
      ? t.resolved(times.resolved, fmtSpan(v, times.firstAnswer), fmtSpan(v, times.resolution))
      : t.noneResolved,
    t.open(times.open, times.unanswered),
  ];
  if (times.oldest) lines.push(t.oldest(ref('C', times.oldest.number), times.oldest.account, fmtSpan(v, v.now.getTime() - times.oldest.openedAt.getTime()), times.oldest.passes));
  return list(lines, { heading });
}

/**
 * How well promises were kept over the last quarter (KEPT_WINDOW_DAYS), by the date first agreed:
 * a line per rep who closed any, then the team's, for a manager; the reader's own line for a rep.
 * Nothing when no promise of theirs was kept or broken in that time.
 */
function keptOnTimeSection(tx: Tx, tenant: Tenant, team: Member[], v: View): Section[] {
  const t = v.t;
  const rates = keptRates(tx, tenant, team, v.now);
  if (rates.size === 0) return [];
  const line = (who: string, r: KeptRate) => t.digest.keptLine(who, r.onTime, keptTotal(r), fmtPercent(v, r.onTime / keptTotal(r)), r.late, r.broken, r.moved);
  const lines = team.filter((m) => rates.has(m.id)).map((m) => line(personName(t, tenant.platform, m), rates.get(m.id)!));
  if (team.length > 1) {
    const all = [...rates.values()].reduce((a, r) => ({ onTime: a.onTime + r.onTime, late: a.late + r.late, broken: a.broken + r.broken, moved: a.moved + r.moved }));
    lines.push(line(t.digest.keptTeam, all));
  }
  return [list(lines, { heading: t.digest.keptHeading(Math.round(KEPT_WINDOW_DAYS / 7)) })];
}

/**
 * The accounts of `book` overdue for a revisit (most overdue first) and those that
 * would be but are snoozed, with the snooze's end: the sweep's rule (revisitDue, snoozes), for the digest and /risk.
 */
export function overdueRevisits<T extends { a: Account; last: number | null; owner: string | null }>(tx: Tx, tenant: Tenant, book: T[], now: Date) {
  const ends = book.length ? snoozeEnds(tx, tenant.id, 'revisit', book.map((b) => b.a.id)) : new Map<number, number>();
  const overdue: (T & { days: number })[] = [];
  const snoozed: (T & { until: number })[] = [];
  for (const b of book) {
    const due = revisitDue(tenant, b.a, b.last);
    if (due > now.getTime()) continue;
    const until = ends.get(b.a.id) ?? 0;
    if (until > now.getTime()) snoozed.push({ ...b, until });
    else overdue.push({ ...b, days: Math.floor((now.getTime() - due) / DAY) });
  }
  return { overdue: overdue.sort((x, y) => y.days - x.days), snoozed: snoozed.sort((x, y) => x.until - y.until) };
}

/**
 * Records this week's digest for everyone who owns accounts or leads a team
 * (someone in it still here, or who left with accounts not yet handed over); returns the new nudges.
 */
export function digestAll(tx: Tx, tenant: Tenant, now: Date): number[] {
  const owners = new Set(
    tx
      .selectDistinct({ id: accounts.ownerId })
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenant.id), eq(accounts.status, 'active')))
      .all()
      .map((a) => a.id),
  );
  // The week is the workspace's, whose clock the digest runs on: in a reader's own zone, the digest's
  // hour can fall in the week before (a Monday 08:30 in Tokyo is a Sunday in London), so two weeks
  // would share a key and one of them go without. The reader's zone only times the delivery.
  const week = isoWeek(now, tenant.timezone);
  const key = (m: Member) => `digest:${m.id}:${week}`;
  // Who has this week's already is not worth composing again (the sweep catches up on a lost digest job).
  const done = new Set(
    tx
      .select({ key: nudges.dedupeKey })
      .from(nudges)
      .where(and(eq(nudges.tenantId, tenant.id), eq(nudges.kind, 'digest'), eq(nudges.period, week)))
      .all()
      .map((n) => n.key),
  );
  const counts = (m: Member) => m.active || owners.has(m.id);
  const all = tx.select().from(members).where(eq(members.tenantId, tenant.id)).all();
  // Admins and executives read the organisation's week while it has any account.
  const people = all.filter((m) => m.active && !done.has(key(m)) && (owners.has(m.id) || teamOf(tx, tenant.id, m, all).slice(1).some(counts) || (owners.size > 0 && readsOrganisation(m))));
  // One digest a week, as the reader lives the week: someone who already read one in the week they
  // would read this one (a digest caught up late, at a weekend sweep, read this Monday morning) is not sent
  // another; an older one still waiting is dropped at delivery in favour of this one (see stillNeeded).
  const lastSent = new Map(
    tx
      .select({ to: nudges.recipientId, at: sql<number>`max(${nudges.sentAt})` })
      .from(nudges)
      .where(and(eq(nudges.tenantId, tenant.id), eq(nudges.kind, 'digest'), eq(nudges.status, 'sent')))
      .groupBy(nudges.recipientId)
      .all()
      .map((r) => [r.to, r.at]),
  );
  const ids: number[] = [];
  const orgCache = new Map<string, Reply>();
  for (const m of people) {
    const zone = m.timezone ?? tenant.timezone;
    const notBefore = nextWorkingInstant(now, zone, tenant.settings);
    const read = lastSent.get(m.id);
    if (read != null && isoWeek(new Date(read), zone) === isoWeek(notBefore, zone)) continue;
    const dedupeKey = key(m);
    const id = recordNudge(tx, {
      tenantId: tenant.id,
      dedupeKey,
      kind: 'digest',
      subjectType: 'member',
      subjectId: m.id,
      recipientId: m.id,
      period: week,
      payload: weeklyDigest(tx, tenant, m, now, orgCache),
      notBefore,
    });
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** The workspace's digest day (ISO weekday, 1 Monday) and time, in its zone. */
export function digestClock(tenant: Tenant): { weekday: 1 | 2 | 3 | 4 | 5 | 6 | 7; hour: number; minute: number } {
  const s = effectiveSettings(tenant.settings);
  const [hour, minute] = s.digestTime.split(':').map(Number) as [number, number];
  return { weekday: s.digestDay as 1 | 2 | 3 | 4 | 5 | 6 | 7, hour, minute };
}

/** This week's digest moment in the workspace's zone, as the digest job runs it. */
export function digestDue(tenant: Tenant, now: Date): Date {
  return DateTime.fromJSDate(now, { zone: tenant.timezone }).set({ ...digestClock(tenant), second: 0, millisecond: 0 }).toJSDate();
}

// ── The organisation's digest: for admins and executives, the teams compared ──

/** What a member reads as their weekly digest (and by /digest): admins and executives the organisation's. */
export function weeklyDigest(tx: Tx, tenant: Tenant, member: Member, now: Date, orgCache?: Map<string, Reply>): Reply {
  if (!readsOrganisation(member)) return digestFor(tx, tenant, member, now);
  // The organisation's part reads the same for everyone of a language and zone: composed once for them.
  const v = viewFor(tenant, member, now);
  const key = `${v.locale}|${v.zone}`;
  const org = orgCache?.get(key) ?? orgDigestFor(tx, tenant, member, now);
  orgCache?.set(key, org);
  const out = structuredClone(org);
  // Their own book or team, when they have one, follows: the organisation's view does not replace it.
  const team = teamOf(tx, tenant.id, member);
  const owns = tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.tenantId, tenant.id), eq(accounts.status, 'active'), inArray(accounts.ownerId, team.map((m) => m.id))))
    .get();
  if (owns) {
    const own = digestFor(tx, tenant, member, now);
    out.sections.push(text(v.t.org.ownPart(typeof own.title === 'string' ? own.title : '')), ...own.sections);
  }
  return out;
}

/**
 * The head of sales' week: each team beside the organisation's total (accounts at risk and to watch,
 * single-threaded, open and escalated complaints, promises broken this quarter and overdue, revisits
 * overdue, churn this quarter), then the accounts at risk or to watch across the organisation.
 */
export function orgDigestFor(tx: Tx, tenant: Tenant, member: Member, now: Date): Reply {
  const v = viewFor(tenant, member, now);
  const t = v.t;
  const org = organisation(tx, tenant.id);
  const book = tx
    .select({ a: accounts, last: lastVisitSql, person: personColumns })
    .from(accounts)
    .leftJoin(members, eq(members.id, accounts.ownerId))
    .where(and(eq(accounts.tenantId, tenant.id), eq(accounts.status, 'active'), accountBy(now)))
    .all()
    .map(({ person, ...b }) => ({ ...b, owner: person && personName(t, tenant.platform, person) }));
  const scores = healthOf(tx, tenant, book.map((b) => b.a.id), now);
  const { overdue } = overdueRevisits(tx, tenant, book, now);
  const open = tx
    .select({ ownerId: accounts.ownerId, level: complaints.escalationLevel })
    .from(complaints)
    .innerJoin(accounts, eq(accounts.id, complaints.accountId))
    .where(and(eq(complaints.tenantId, tenant.id), openComplaintAt(now), eq(accounts.status, 'active'), accountBy(now)))
    .all();
  const quarter = churnStart('quarter', now);
  const today = dayIn(now, v.zone);
  // Promises are the team's who made them, as the team's digest lists them.
  const promiseRows = tx
    .select({ ownerId: promises.ownerId, status: promises.status, closedAt: promises.closedAt, dueOn: promises.dueOn })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .where(and(eq(promises.tenantId, tenant.id), eq(accounts.status, 'active'), lte(promises.createdAt, now)))
    .all();
  const churn = churnBook(tx, tenant.id, quarter, now);
  const rowOf = (inTeam: (ownerId: number | null) => boolean): OrgRow => {
    const mine = book.filter((b) => inTeam(b.a.ownerId));
    const health = mine.map((b) => scores.get(b.a.id)!.now);
    const opened = open.filter((c) => inTeam(c.ownerId));
    const ps = promiseRows.filter((p) => inTeam(p.ownerId));
    const f = churnFigures(churn, inTeam);
    return {
      accounts: mine.length,
      atRisk: health.filter((h) => h.band === 'at-risk').length,
      watch: health.filter((h) => h.band === 'watch').length,
      single: singleThreaded(mine.map((b) => ({ name: b.a.name, tier: b.a.tier, owner: b.owner, health: scores.get(b.a.id)!.now }))).length,
      open: opened.length,
      escalated: opened.filter((c) => c.level > 0).length,
      // As of a past time: broken by then; open then (closed since reads as open).
      broken: ps.filter((p) => p.status === 'broken' && p.closedAt !== null && p.closedAt >= quarter && p.closedAt <= now).length,
      late: ps.filter((p) => (p.status === 'open' || (p.closedAt !== null && p.closedAt > now)) && p.dueOn < today).length,
      revisits: overdue.filter((o) => inTeam(o.a.ownerId)).length,
      lost: f.lost,
      book: f.book,
      rate: fmtPercent(v, f.byCount),
    };
  };
  const name = (team: OrgTeam) => (team.lead ? t.org.team(personName(t, tenant.platform, team.lead)) : t.org.noTeam);
  const all = org.teams.map((team) => ({ team, row: rowOf((ownerId) => org.teamOf(ownerId) === team) })).filter(({ row }) => row.accounts || row.lost || row.open || row.late || row.broken);
  // With no team yet, the organisation's line says it all.
  const rows = all.some(({ team }) => team.lead) ? all : [];
  const order = { healthy: 0, watch: 1, 'at-risk': 2 } as const;
  const flagged = book
    .map((b) => ({ b, h: scores.get(b.a.id)!.now }))
    .filter(({ h }) => h.band !== 'healthy')
    .sort((x, y) => order[y.h.band] - order[x.h.band] || x.h.score - y.h.score);
  const f = cap(flagged);
  const out = reply(
    'info',
    t.org.digestTitle(book.length, rows.filter(({ team }) => team.lead).length),
    list([t.org.compareLine(t.org.whole, rowOf(() => true)), ...rows.map(({ team, row }) => t.org.compareLine(name(team), row))], { heading: t.org.compareHeading }),
    list(
      f.items.map(({ b, h }) => t.org.flaggedLine(b.a.name, name(org.teamOf(b.a.ownerId)), t.health.bands[h.band], h.score, h.reasons[0] ? reasonText(v, h.reasons[0]) : '')),
      { heading: t.health.worsenedHeading(flagged.length), empty: t.common.none, more: f.more },
    ),
  );
  out.locale = v.locale;
  return out;
}
