// The clock's decisions: which revisits, leadership visits, promises, supplier
// reviews and escalations are due as of `now`. Each decision is a nudge row with
// a dedupe key (kind, subject, period) written in the sweep's transaction, so
// running a sweep twice, or in two processes, decides every nudge once.
import { REVIEW_CHECKLIST, type ChecklistEntry, type ReviewItemKey } from '../domain/review.js';
import { DAY_MS, dayIn } from '../domain/dates.js';
import { and, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../../db/index.js';
import { accounts, complaints, healthTold, members, nudges, pairings, promises, reviewItems } from '../../db/schema.js';
import { daysUntil, fmtAge, fmtDay, fmtDateTime, personName, ref } from '../domain/format.js';
import { nextNumber } from '../domain/numbers.js';
import { moveCounts, promiseRound } from '../domain/promises.js';
import { cadenceFor, effectiveSettings } from '../domain/settings.js';
import type { Account, Complaint, Member, Tenant } from '../domain/types.js';
import { viewFor, type View } from '../domain/view.js';
import { TREND_DAYS, healthNews, healthNewsReply, healthOf, type Band } from '../domain/health.js';
import { openTasks, taskLine, type OpenTask } from '../domain/tasks.js';
import { fields, inLocale, list, reply, text, type Reply, type Rich } from '../engine/reply.js';
import { addWorkingSpan, isoWeek, nextWorkingInstant } from './hours.js';
import { recordNudge } from './outbox.js';
import { lastPairingTouchSql, lastVisitSql, OUTER_ACCOUNT_ID, pairingDue, REVISIT_MANAGER_DAYS, REVISIT_MANAGER_REPEAT_DAYS, REVISIT_REMIND_DAYS, revisitDue, snoozeEnds } from '../domain/cadence.js';
import { quote } from '../engine/tokenize.js';

const DAY = DAY_MS;
export { REVIEW_CHECKLIST };

export type SweepCounts = Record<'revisit' | 'pairing' | 'promise' | 'review' | 'escalation' | 'checklist', number>;
export interface SweepResult {
  counts: SweepCounts;
  /** The nudges this sweep decided. */
  ids: number[];
}

interface Sweeper {
  tx: Tx;
  tenant: Tenant;
  now: Date;
  members: Map<number, Member>;
  counts: SweepCounts;
  ids: number[];
  workingFrom: Map<string, Date>;
}

/** Runs every decision for one tenant; call inside one transaction. */
export function sweepTenant(tx: Tx, tenant: Tenant, now: Date, only?: { complaintId: number }): SweepResult {
  const s = sweeper(tx, tenant, now);
  if (only) {
    escalations(s, only.complaintId);
    return { counts: s.counts, ids: s.ids };
  }
  revisits(s);
  leadership(s);
  promiseReminders(s);
  reviews(s);
  checklists(s);
  escalations(s);
  return { counts: s.counts, ids: s.ids };
}

/**
 * Once a workspace day (the sweep job calls it after each sweep), each active account's health: when it enters watch or at risk (or falls 15 or
 * more in four weeks), its owner and their manager hear it once, with every reason and the next step
 * (healthNews decides what is news; health_told keeps what was told).
 */
export function watchHealth(tx: Tx, tenant: Tenant, now: Date): number[] {
  const s = sweeper(tx, tenant, now);
  const today = day(s.now.getTime(), s.tenant.timezone);
  if (s.tx.select({ id: healthTold.accountId }).from(healthTold).where(and(eq(healthTold.tenantId, s.tenant.id), eq(healthTold.checkedOn, today))).limit(1).get()) return [];
  const book = s.tx
    .select({ id: accounts.id, name: accounts.name, ownerId: accounts.ownerId, createdAt: accounts.createdAt })
    .from(accounts)
    .where(and(eq(accounts.tenantId, s.tenant.id), eq(accounts.status, 'active')))
    .all();
  if (book.length === 0) return [];
  const told = new Map(s.tx.select().from(healthTold).where(eq(healthTold.tenantId, s.tenant.id)).all().map((r) => [r.accountId, { band: r.band as Band, score: r.score }]));
  const scores = healthOf(s.tx, s.tenant, book.map((a) => a.id), s.now);
  for (const a of book) {
    const h = scores.get(a.id);
    if (!h) continue;
    const { tell, remember } = healthNews(told.get(a.id) ?? null, h.now, h.before);
    const row = { band: remember.band, score: remember.score, checkedOn: today };
    s.tx.insert(healthTold).values({ accountId: a.id, tenantId: s.tenant.id, ...row }).onConflictDoUpdate({ target: healthTold.accountId, set: row }).run();
    // A fall needs four weeks to measure: an account newer than that has no baseline to fall from.
    if (!tell || (tell.kind === 'falling' && s.now.getTime() - a.createdAt.getTime() < TREND_DAYS * DAY)) continue;
    const owner = a.ownerId ? s.members.get(a.ownerId) : undefined;
    const manager = owner?.managerId ? s.members.get(owner.managerId) : undefined;
    for (const m of [owner, manager]) {
      if (!m?.active) continue;
      nudge(s, 'health', `health:${a.id}:${today}:${m.id}`, { type: 'account', id: a.id }, { member: m }, healthNewsReply(viewOf(s, m), a.name, tell));
    }
  }
  return s.ids;
}

function sweeper(tx: Tx, tenant: Tenant, now: Date): Sweeper {
  const all = tx.select().from(members).where(eq(members.tenantId, tenant.id)).all();
  return { tx, tenant, now, members: new Map(all.map((m) => [m.id, m])), counts: { revisit: 0, pairing: 0, promise: 0, review: 0, escalation: 0, checklist: 0 }, ids: [], workingFrom: new Map() };
}

function viewOf(s: Sweeper, m: Member): View {
  return viewFor(s.tenant, m, s.now);
}

/** When a nudge to `m` may be delivered: now if urgent, else their next working moment. */
function deliverAt(s: Sweeper, m: Member | undefined, urgent = false): Date {
  if (urgent) return s.now;
  // Everyone in one zone gets the same answer in one sweep.
  const zone = m?.timezone ?? s.tenant.timezone;
  let at = s.workingFrom.get(zone);
  if (!at) s.workingFrom.set(zone, (at = nextWorkingInstant(s.now, zone, s.tenant.settings)));
  return at;
}

/**
 * Records a nudge for `to`: a member, a channel, or a channel on a member's
 * behalf (an escalation rung, which reaches its member directly should the
 * channel refuse it; see deliverNudge). A channel's nudge is worded and timed for the workspace.
 */
function nudge(s: Sweeper, kind: keyof SweepCounts | 'health', key: string, subject: { type: string; id: number }, to: { member?: Member; channel?: string }, payload: Reply, urgent = false): Date {
  const reader = to.channel ? undefined : to.member;
  const notBefore = deliverAt(s, reader, urgent);
  const id = recordNudge(s.tx, {
    tenantId: s.tenant.id,
    dedupeKey: key,
    kind,
    subjectType: subject.type,
    subjectId: subject.id,
    recipientId: to.member?.id ?? null,
    channel: to.channel ?? null,
    period: key.split(':').slice(2).join(':'),
    // In the recipient's language, or the workspace's for a channel: the view each nudge was written with.
    payload: inLocale(payload, viewFor(s.tenant, reader, s.now).locale),
    createdAt: s.now,
    notBefore,
  });
  if (id !== undefined) {
    if (kind !== 'health') s.counts[kind]++;
    s.ids.push(id);
  }
  // When it can be read: the moment its reader was told.
  return notBefore;
}

/** The latest snooze end per subject of `kind` in a tenant (of `subjects` only, when given), past or future. */

const day = (at: number, zone: string) => dayIn(new Date(at), zone);


/**
 * An overdue account keeps coming back until it is visited or snoozed: its owner
 * hears when it falls due and then weekly, each a week after the last was read;
 * after a handover the new owner hears at once. Their manager gets a copy once it
 * is two weeks overdue and the owner was told twice, then every four weeks.
 */
function revisits(s: Sweeper): void {
  const snoozedUntil = snoozeEnds(s.tx, s.tenant.id, 'revisit');
  const rows = s.tx
    .select({ a: accounts, last: lastVisitSql })
    .from(accounts)
    .where(and(eq(accounts.tenantId, s.tenant.id), eq(accounts.status, 'active'), isNotNull(accounts.ownerId)))
    .all()
    // A snooze that ends after the account fell due starts a fresh round of nudges when it ends.
    .map((r) => ({ ...r, due: Math.max(revisitDue(s.tenant, r.a, r.last), snoozedUntil.get(r.a.id) ?? 0) }))
    .filter((r) => r.due <= s.now.getTime());
  // Every nudge of the rounds still running, however long ago they began.
  const sent = sentSteps(s, rows.reduce((min, r) => Math.min(min, r.due), s.now.getTime()));
  for (const { a, last, due } of rows) {
    const owner = s.members.get(a.ownerId!);
    if (!owner?.active) continue;
    const v = viewOf(s, owner);
    // Periods are the workspace's days and weeks: a key in the owner's own zone changes with it, and would nudge again.
    const period = day(due, s.tenant.timezone);
    const overdueDays = Math.floor((s.now.getTime() - due) / DAY);
    const cadence = cadenceFor(s.tenant, a);
    const buttons = revisitButtons(v, a);
    const base = `revisit:${a.id}:${period}`;
    const steps = sent.get(base) ?? { owner: [], manager: [] };
    const latest = steps.owner.at(-1);
    const next = `${base}:${steps.owner.length + 1}`;
    // One step at a time, a week after the last was read: a sweep after a long pause sends the next step, not all of them.
    if (!latest || latest.to !== owner.id) {
      // First for this round, or for an owner who took the account over since.
      nudge(s, 'revisit', next, { type: 'account', id: a.id }, { member: owner }, withButtons(reply('warning', v.t.nudge.revisitDue(a.name, v.t.enums.tier[a.tier]), text(v.t.nudge.revisitWhy(last ? fmtDay(v, new Date(last)) : undefined, v.t.enums.tier[a.tier], cadence))), buttons));
    } else if (s.now.getTime() - latest.at >= REVISIT_REMIND_DAYS * DAY) {
      nudge(s, 'revisit', next, { type: 'account', id: a.id }, { member: owner }, withButtons(reply('warning', v.t.nudge.revisitAgain(a.name, overdueDays)), buttons));
    }
    const told = steps.owner.filter((x) => x.to === owner.id).length;
    const lastCopy = steps.manager.at(-1);
    if (told < 2 || overdueDays < REVISIT_MANAGER_DAYS || (lastCopy && s.now.getTime() - lastCopy.at < REVISIT_MANAGER_REPEAT_DAYS * DAY)) continue;
    const manager = owner.managerId ? s.members.get(owner.managerId) : undefined;
    if (!manager?.active) continue;
    const mv = viewOf(s, manager);
    const title = lastCopy ? mv.t.nudge.revisitManagerAgain(a.name, mv.t.enums.tier[a.tier], owner.name, overdueDays, told) : mv.t.nudge.revisitManager(a.name, mv.t.enums.tier[a.tier], owner.name, overdueDays);
    nudge(s, 'revisit', `${base}:m${steps.manager.length + 1}`, { type: 'account', id: a.id }, { member: manager }, reply('warning', title));
  }
}

type Told = { to: number | null; at: number };

/**
 * The revisit nudges since `since` by round (`revisit:<account>:<period>`): to the
 * owner (keys ending in a count) and to the manager, in order, each with whom it went
 * to and when it could be read.
 */
function sentSteps(s: Sweeper, since: number): Map<string, { owner: Told[]; manager: Told[] }> {
  const rows = s.tx
    .select({ key: nudges.dedupeKey, to: nudges.recipientId, at: nudges.notBefore, created: nudges.createdAt })
    .from(nudges)
    // A round's period is its due day: `2026-01-19:3` sorts after `2026-01-19`. A day earlier, for the zones of the world.
    .where(and(eq(nudges.tenantId, s.tenant.id), eq(nudges.kind, 'revisit'), gte(nudges.period, day(since - DAY, s.tenant.timezone))))
    .orderBy(nudges.id)
    .all();
  const out = new Map<string, { owner: Told[]; manager: Told[] }>();
  for (const r of rows) {
    const cut = r.key.lastIndexOf(':');
    const base = r.key.slice(0, cut);
    const step = r.key.slice(cut + 1);
    const round = out.get(base) ?? { owner: [], manager: [] };
    out.set(base, round);
    // `manager` is how the one copy to a manager was keyed before copies repeated.
    (/^\d+$/.test(step) ? round.owner : round.manager).push({ to: r.to, at: (r.at ?? r.created).getTime() });
  }
  return out;
}

function revisitButtons(v: View, a: Account): Reply['buttons'] {
  const name = quote(a.name);
  return [
    { label: v.t.buttons.logVisit, command: `/touch ${name} visit`, style: 'primary' },
    { label: v.t.buttons.snooze3, command: `/snooze ${name} 3d` },
    { label: v.t.buttons.snoozeWeek, command: `/snooze ${name} 1w` },
    { label: v.t.buttons.notNeeded, command: `/snooze ${name} not-needed` },
  ];
}

function withButtons(r: Reply, buttons: Reply['buttons']): Reply {
  return { ...r, buttons };
}


function leadership(s: Sweeper): void {
  const rows = s.tx
    .select({ p: pairings, a: accounts, last: lastPairingTouchSql })
    .from(pairings)
    .innerJoin(accounts, eq(accounts.id, pairings.accountId))
    .where(and(eq(pairings.tenantId, s.tenant.id), eq(pairings.active, true), eq(accounts.status, 'active')))
    .all();
  for (const { p, a, last } of rows) {
    const due = pairingDue(p, last);
    const exec = s.members.get(p.execId);
    if (due > s.now.getTime() || !exec?.active) continue;
    const v = viewOf(s, exec);
    nudge(
      s,
      'pairing',
      `pairing:${p.id}:${day(due, s.tenant.timezone)}`,
      { type: 'pairing', id: p.id },
      { member: exec },
      withButtons(reply('warning', v.t.nudge.pairingDue(a.name), text(v.t.nudge.pairingWhy(last ? fmtDay(v, new Date(last)) : undefined, p.cadenceDays))), [
        { label: v.t.buttons.logVisit, command: `/touch ${quote(a.name)} visit`, style: 'primary' },
      ]),
    );
  }
}

/** A promise still open this long after its owner was told it was due (working days) is told to their manager. */
export const PROMISE_MANAGER_DAYS = 3;

/**
 * The eve, then the day (or, when the sweep missed it, as soon as it can: worded
 * as late), then the owner's manager some working days after the owner was told
 * it was due. Each once; the digest keeps listing it until it is closed.
 */
function promiseReminders(s: Sweeper): void {
  // Due by the day after tomorrow anywhere on Earth: every promise that is overdue, due, or due tomorrow.
  const horizon = DateTime.fromJSDate(s.now, { zone: 'UTC' }).plus({ days: 2 }).toISODate()!;
  const rows = s.tx
    .select({ p: promises, account: accounts.name })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    // A lost account's promises are settled in its last conversation, not reminded.
    .where(and(eq(promises.tenantId, s.tenant.id), eq(promises.status, 'open'), eq(accounts.status, 'active'), lte(promises.dueOn, horizon)))
    .all();
  // A promise moved to a new date is reminded of that date: its keys name the round (see promiseRound).
  const rounds = moveCounts(s.tx, rows.map((r) => r.p.id));
  const key = (id: number, step: string) => `promise:${id}:${promiseRound(rounds.get(id) ?? 0)}${step}`;
  const told = toldAt(s, 'promise', rows.map((r) => key(r.p.id, 'due')));
  for (const { p, account } of rows) {
    const owner = p.ownerId ? s.members.get(p.ownerId) : undefined;
    if (!owner?.active) continue;
    const v = viewOf(s, owner);
    const id = ref('P', p.number);
    const kept = [{ label: v.t.buttons.kept, command: `/promise kept ${id}`, style: 'primary' as const }];
    const dueTold = told.get(key(p.id, 'due'));
    if (dueTold !== undefined) {
      // The owner knows; still open some working days later, their manager hears of it.
      const manager = owner.managerId ? s.members.get(owner.managerId) : undefined;
      if (!manager?.active || addWorkingSpan(dueTold, PROMISE_MANAGER_DAYS * 24, s.tenant.timezone, s.tenant.settings) > s.now) continue;
      const mv = viewOf(s, manager);
      const late = Math.max(0, -daysUntil({ ...mv, now: deliverAt(s, manager) }, p.dueOn));
      nudge(s, 'promise', key(p.id, 'manager'), { type: 'promise', id: p.id }, { member: manager }, reply('warning', mv.t.nudge.promiseManager(id, account, personName(mv.t, s.tenant.platform, owner), fmtDay(mv, p.dueOn), late), text(p.text)));
      continue;
    }
    // Worded for the day it is read: one decided on a weekend waits for Monday, when "tomorrow" may be today or past.
    const read = daysUntil({ ...v, now: deliverAt(s, owner) }, p.dueOn);
    const left = daysUntil(v, p.dueOn);
    if (left > 1) continue;
    // The eve only on the eve; from the due day on, the due-day reminder, however late the sweep comes.
    const step = left === 1 && read === 1 ? 'eve' : 'due';
    const title = read === 1 ? v.t.nudge.promiseEve(id, account) : read === 0 ? v.t.nudge.promiseDue(id, account) : v.t.nudge.promiseLate(id, account, fmtDay(v, p.dueOn));
    nudge(s, 'promise', key(p.id, step), { type: 'promise', id: p.id }, { member: owner }, withButtons(reply('warning', title, text(p.text)), kept));
  }
}

/** When each of these nudges (by dedupe key) can be read: its notBefore. */
function toldAt(s: Sweeper, kind: string, keys: string[]): Map<string, Date> {
  const out = new Map<string, Date>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = s.tx
      .select({ key: nudges.dedupeKey, at: nudges.notBefore, created: nudges.createdAt })
      .from(nudges)
      .where(and(eq(nudges.tenantId, s.tenant.id), eq(nudges.kind, kind), inArray(nudges.dedupeKey, keys.slice(i, i + 500))))
      .all();
    for (const r of rows) out.set(r.key, r.at ?? r.created);
  }
  return out;
}

/** The review season of the year `now` falls in, as days in the tenant's zone. */
export function reviewSeason(tenant: Tenant, now: Date): { year: number; start: string; deadline: string; today: string } {
  const s = effectiveSettings(tenant.settings);
  const today = DateTime.fromJSDate(now, { zone: tenant.timezone });
  return { year: today.year, start: `${today.year}-${s.reviewSeasonStart}`, deadline: `${today.year}-${s.reviewSeasonDeadline}`, today: today.toISODate()! };
}

function reviews(s: Sweeper): void {
  const season = reviewSeason(s.tenant, s.now);
  if (season.today < season.start) return;
  // From the season's start to its deadline every strategic and key account gets its item, once.
  const missing = season.today > season.deadline ? [] : s.tx
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.tenantId, s.tenant.id),
        eq(accounts.status, 'active'),
        inArray(accounts.tier, ['strategic', 'key']),
        sql`not exists (select 1 from review_items r where r.account_id = ${OUTER_ACCOUNT_ID} and r.season = ${season.year})`,
      ),
    )
    .all();
  for (const a of missing) {
    s.tx
      .insert(reviewItems)
      .values({
        tenantId: s.tenant.id,
        number: nextNumber(s.tx, reviewItems, s.tenant.id),
        accountId: a.id,
        ownerId: a.ownerId,
        season: season.year,
        dueOn: season.deadline,
        checklist: REVIEW_CHECKLIST.map((key) => ({ key, done: false })),
        createdAt: s.now,
      })
      .run();
  }
  const open = s.tx
    .select({ r: reviewItems, a: accounts })
    .from(reviewItems)
    .innerJoin(accounts, eq(accounts.id, reviewItems.accountId))
    // A lost account has no review to prepare.
    .where(and(eq(reviewItems.tenantId, s.tenant.id), eq(reviewItems.season, season.year), inArray(reviewItems.status, ['open', 'prepared']), eq(accounts.status, 'active')))
    .all();
  /** Who hears of which item the deadline passed on: its owner and the owner's manager, once each. */
  const closed = new Map<number, { member: Member; items: { r: typeof reviewItems.$inferSelect; a: Account; owner: Member | undefined }[] }>();
  for (const { r, a } of open) {
    // The account's owner today, who may not be the one who had it when the season opened.
    const owner = a.ownerId ? s.members.get(a.ownerId) : undefined;
    if (r.dueOn < season.today) {
      // The deadline has passed: no more weekly cards, one last summary instead.
      const manager = owner?.managerId ? s.members.get(owner.managerId) : undefined;
      for (const m of [owner, manager]) {
        if (!m?.active) continue;
        const entry = closed.get(m.id) ?? { member: m, items: [] };
        closed.set(m.id, entry);
        entry.items.push({ r, a, owner });
      }
      continue;
    }
    if (!owner?.active) continue;
    const readAt = deliverAt(s, owner);
    // A card that could only be read after the deadline is left to the season's last summary.
    if (day(readAt.getTime(), s.tenant.timezone) > r.dueOn) continue;
    const v = viewOf(s, owner);
    // The week it is read in: a card decided on Sunday is read on Monday, in the week of Monday's own card.
    nudge(s, 'review', `review:${r.id}:${isoWeek(readAt, s.tenant.timezone)}`, { type: 'review', id: r.id }, { member: owner }, reviewCard(v, r, a, { who: (id) => { const m = s.members.get(id); return m && personName(v.t, s.tenant.platform, m); } }));
  }
  for (const { member, items } of closed.values()) {
    const v = viewOf(s, member);
    const lines = items.map(({ r, a, owner }) => v.t.review.closedLine(ref('R', r.number), a.name, owner?.name ?? v.t.common.nobody, v.t.review.status[r.status]));
    const payload = reply('warning', v.t.review.closedTitle(season.year, fmtDay(v, items[0]!.r.dueOn), items.length), list(lines));
    nudge(s, 'review', `review-closed:${season.year}:${member.id}`, { type: 'season', id: season.year }, { member }, payload);
  }
}

export interface ReviewCardOptions {
  /** A member's name by id, for who ticked an item. */
  who?: (id: number) => string | undefined;
  /** What an item says beyond ticked or not (its check against the record), by key. */
  notes?: ReadonlyMap<string, string>;
}

/** Each item numbered, with its key to tick it by, who ticked it and when. */
export function reviewItemLines(v: View, checklist: readonly ChecklistEntry[], o: ReviewCardOptions = {}): string[] {
  return checklist.map((c, i) => {
    const key = c.key as ReviewItemKey;
    const by = c.done ? v.t.review.tickedBy(c.tickedBy != null ? o.who?.(c.tickedBy) : undefined, c.tickedAt != null ? fmtDay(v, new Date(c.tickedAt)) : undefined) : undefined;
    const state = [by, o.notes?.get(c.key)].filter((x) => x).join('; ') || undefined;
    return `${c.done ? '☑' : '☐'} ${v.t.review.itemLine(i + 1, v.t.review.checklist[key] ?? c.key, v.t.review.itemKeys[key] ?? c.key, state)}`;
  });
}

export function reviewCard(v: View, r: typeof reviewItems.$inferSelect, a: Account, o: ReviewCardOptions = {}): Reply {
  const id = ref('R', r.number);
  const out = reply(
    r.status === 'held' ? 'success' : 'warning',
    v.t.review.cardTitle(id, a.name, fmtDay(v, r.dueOn), daysUntil(v, r.dueOn)),
    text(v.t.review.status[r.status]),
    list(reviewItemLines(v, r.checklist, o), { heading: v.t.review.checklistHeading }),
  );
  out.buttons = [
    { label: v.t.buttons.reviewPrepared, command: `/review ${quote(a.name)} prepared` },
    { label: v.t.buttons.reviewHeld, command: `/review ${quote(a.name)} held`, style: 'primary' },
  ];
  return out;
}

/** Once a week, each owner hears of their checklist items due within a week or overdue. */
function checklists(s: Sweeper): void {
  const byOwner = new Map<number, OpenTask[]>();
  for (const task of openTasks(s.tx, s.tenant.id)) {
    if (task.ownerId !== null) byOwner.set(task.ownerId, [...(byOwner.get(task.ownerId) ?? []), task]);
  }
  for (const [ownerId, items] of byOwner) {
    const owner = s.members.get(ownerId);
    if (!owner?.active) continue;
    const v = viewOf(s, owner);
    const soon = items.filter((x) => x.dueOn === null || daysUntil(v, x.dueOn) <= 7);
    if (soon.length === 0) continue;
    const payload = reply('warning', v.t.checklist.nudgeTitle(soon.length), list(soon.map((x) => taskLine(v, x))), text(v.t.checklist.nudgeHint));
    // The week it is read in, as the review cards.
    nudge(s, 'checklist', `checklist:${ownerId}:${isoWeek(deliverAt(s, owner), s.tenant.timezone)}`, { type: 'member', id: ownerId }, { member: owner }, payload);
  }
}

/** After the top rung, an open complaint is raised again to the top rung once a week until it is resolved. */
export const LADDER_REPEAT_DAYS = 7;

/**
 * The end of a complaint's span that starts at `from`: the severity's hours, on the
 * workspace's working clock (see addWorkingSpan), except a critical one, which runs
 * on the wall clock as it is told at once, night or day. The deadline set at
 * /complaint is this span from the opening; each rung gets the same span again.
 */
export function complaintSpanEnd(tenant: Tenant, severity: Complaint['severity'], from: Date): Date {
  const hours = effectiveSettings(tenant.settings).complaintDeadlineHours[severity];
  if (severity === 'critical') return new Date(from.getTime() + hours * 3_600_000);
  return addWorkingSpan(from, hours, tenant.timezone, tenant.settings);
}

type LadderState = Pick<Complaint, 'deadlineAt' | 'severity' | 'escalationLevel' | 'escalatedAt'>;

/**
 * The rung a complaint should be on by `now`: 1 owner, 2 manager, 3 executive.
 * One rung at a time: each rung has its own span after the previous one was told
 * (`escalatedAt`, the moment its message could be read), so a sweep after a quiet
 * time takes the next rung only and the rest follow a span apart.
 */
export function ladderLevel(tenant: Tenant, c: LadderState, now: Date): number {
  if (c.escalationLevel >= 3) return 3;
  const next = nextRungAt(tenant, c);
  return next && now >= next ? c.escalationLevel + 1 : c.escalationLevel;
}

/**
 * When the complaint's next step is due, for its timer: rung 1 at the deadline, each
 * further rung a span after the previous was told; after rung 3, the weekly reminder to the top rung.
 */
export function nextRungAt(tenant: Tenant, c: LadderState): Date | undefined {
  if (c.escalationLevel <= 0) return c.deadlineAt;
  // Rows decided before `escalatedAt` was the time told: their deadline is the best there is.
  const told = c.escalatedAt ?? c.deadlineAt;
  if (c.escalationLevel >= 3) return new Date(told.getTime() + LADDER_REPEAT_DAYS * DAY);
  return complaintSpanEnd(tenant, c.severity, told);
}

function escalations(s: Sweeper, complaintId?: number): void {
  const rows = s.tx
    .select({ c: complaints, a: accounts })
    .from(complaints)
    .innerJoin(accounts, eq(accounts.id, complaints.accountId))
    .where(
      and(
        eq(complaints.tenantId, s.tenant.id),
        eq(complaints.status, 'open'),
        // A lost account has nobody left to keep: its complaints climb no further.
        eq(accounts.status, 'active'),
        lte(complaints.deadlineAt, s.now),
        complaintId === undefined ? undefined : eq(complaints.id, complaintId),
      ),
    )
    .all();
  const channel = effectiveSettings(s.tenant.settings).escalationChannel;
  for (const { c, a } of rows) {
    const next = nextRungAt(s.tenant, c);
    if (!next || next > s.now) continue;
    const owner = c.ownerId ? s.members.get(c.ownerId) : undefined;
    // The next rung only, or past the top the week's reminder to it; the rung after waits a span from when this one is read.
    const rung = Math.min(3, c.escalationLevel + 1);
    const weekly = c.escalationLevel >= 3;
    const target = rungTarget(s, rung, owner, a);
    const v = channel ? viewFor(s.tenant, undefined, s.now) : target ? viewOf(s, target) : viewFor(s.tenant, undefined, s.now);
    const payload = escalationMessage(v, rung, c, a, owner, target, weekly);
    // A reopened complaint climbs its ladder again: its rungs' keys are its reopening's own.
    const again = c.reopenCount > 0 ? `:r${c.reopenCount}` : '';
    const key = weekly ? `escalation:${c.id}:open:${isoWeek(s.now, s.tenant.timezone)}${again}` : `escalation:${c.id}:${rung}${again}`;
    const told = nudge(s, 'escalation', key, { type: 'complaint', id: c.id }, { channel, member: target }, payload, c.severity === 'critical');
    s.tx.update(complaints).set({ escalationLevel: rung, escalatedAt: told }).where(eq(complaints.id, c.id)).run();
  }
}

/**
 * Rung 1 the owner, rung 2 their manager, rung 3 an executive: first the one above
 * the manager (role exec, up the manager chain), who has authority over the people
 * who have not fixed it; then an executive paired with the account, who knows the
 * customer but not necessarily the team; an admin only when there is neither. A
 * rung meant for someone who has left goes to the nearest manager above them who
 * has not (else an admin): a message to someone gone is never delivered, and the
 * complaint would climb with nobody told.
 */
function rungTarget(s: Sweeper, rung: number, owner: Member | undefined, a: Account): Member | undefined {
  if (rung === 1) return owner && stillHere(s, owner);
  if (rung === 2) return owner?.managerId ? stillHere(s, s.members.get(owner.managerId)) : adminOf(s);
  const above = execAbove(s, owner?.managerId ? s.members.get(owner.managerId) : undefined);
  if (above) return above;
  const execs = s.tx
    .select({ id: pairings.execId })
    .from(pairings)
    .where(and(eq(pairings.accountId, a.id), eq(pairings.active, true)))
    .all()
    .map((p) => s.members.get(p.id));
  return execs.find((m) => m?.active) ?? adminOf(s);
}

/** The first active executive up the manager chain from `m` (excluded). */
function execAbove(s: Sweeper, m: Member | undefined): Member | undefined {
  const seen = new Set<number>();
  for (let up = m?.managerId != null ? s.members.get(m.managerId) : undefined; up && !seen.has(up.id); up = up.managerId != null ? s.members.get(up.managerId) : undefined) {
    seen.add(up.id);
    if (up.role === 'exec' && up.active) return up;
  }
  return undefined;
}

/** `m`, or if they have left, the nearest manager above them who has not, or else an admin. */
function stillHere(s: Sweeper, m: Member | undefined): Member | undefined {
  const seen = new Set<number>();
  while (m && !m.active && m.managerId !== null && !seen.has(m.id)) {
    seen.add(m.id);
    m = s.members.get(m.managerId);
  }
  return m?.active ? m : adminOf(s);
}

function adminOf(s: Sweeper): Member | undefined {
  return [...s.members.values()].find((m) => m.role === 'admin' && m.active);
}

function escalationMessage(v: View, rung: number, c: Complaint, a: Account, owner: Member | undefined, target: Member | undefined, weekly = false): Reply {
  const id = ref('C', c.number);
  const who: Rich = target ? [{ mention: { platformUserId: target.platformUserId, name: target.name } }] : v.t.common.nobody;
  // A reopened complaint's ladder is its new life's: its age counts from the reopening, and says so.
  const reopened = c.reopenedAt != null;
  const age = fmtAge(v, c.reopenedAt ?? c.openedAt);
  const title = weekly
    ? v.t.nudge.escalationWeekly(id, age, reopened)
    : rung === 1
      ? v.t.nudge.escalation1(id, a.name, v.t.enums.tier[a.tier], reopened)
      : rung === 2
        ? v.t.nudge.escalation2(id, age, reopened)
        : v.t.nudge.escalation3(id, age, reopened);
  const out = reply(
    'error',
    title,
    text(typeof who === 'string' ? who : [...who, v.t.nudge.escalationAsk[rung === 1 ? 'owner' : rung === 2 ? 'manager' : 'exec']]),
    fields([
      { label: v.t.complaint.fields.account, value: `${a.name} (${v.t.enums.tier[a.tier]})` },
      { label: v.t.complaint.fields.severity, value: v.t.enums.severity[c.severity] },
      { label: reopened ? v.t.nudge.ageReopened : v.t.nudge.age, value: age },
      { label: v.t.complaint.fields.owner, value: owner ? [{ mention: { platformUserId: owner.platformUserId, name: owner.name } }] : v.t.common.nobody },
      { label: v.t.complaint.fields.deadline, value: fmtDateTime(v, c.deadlineAt) },
    ]),
    text(c.summary),
  );
  out.visibility = 'public';
  out.buttons = [
    { label: v.t.buttons.resolve, command: `/resolve ${id}`, style: 'primary' },
    { label: v.t.buttons.takeOwnership, command: `/complaint assign ${id} me` },
  ];
  return out;
}
