// The clock's decisions: which revisits, leadership visits, promises, supplier
// reviews and escalations are due as of `now`. Each decision is a nudge row with
// a dedupe key (kind, subject, period), so a sweep run twice, redone after a
// failed batch, or run in two processes decides every nudge once.
//
// What the sweep reads follows the work: each account keeps `next_check_at`, the
// earliest moment anything about it (its revisit, its pairings, its review item)
// may be decided. The sweep reads only accounts whose moment has come, decides
// from the source rows, and writes the next moment back; whatever can bring an
// account's moment earlier (a new account, a tier, owner or cadence change, the
// workspace's settings, a touch or snooze removed, a pairing, a leaver...) lowers
// it to "now" through the triggers of migration `next_check`. The rules stay here.
//
// The messages are composed by views (src/views/nudges.ts), passed in as NudgeViews:
// the domain decides what is said to whom and when, never how it reads.
import { and, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { changes, type Tx } from '../../db/index.js';
import { accounts, complaints, healthTold, members, nudges, pairings, promises, reviewItems } from '../../db/schema.js';
import { lastPairingTouchSql, lastVisitSql, pairingDue, REVISIT_MANAGER_DAYS, REVISIT_MANAGER_REPEAT_DAYS, REVISIT_REMIND_DAYS, revisitDue, snoozeEnds } from './cadence.js';
import { DAY_MS, dayIn } from './dates.js';
import { daysUntil, personName } from './format.js';
import { TREND_DAYS, healthNews, healthOf, type Band, type HealthNews } from './health.js';
import { addWorkingSpan, isoWeek, nextWorkingInstant } from './hours.js';
import { nextRungAt } from './ladder.js';
import { recordNudges, type NewNudge } from './nudges.js';
import { prepared } from '../../db/prepared.js';
import { nextNumber } from './numbers.js';
import { moveCounts, promiseRound } from './promises.js';
import { REVIEW_CHECKLIST, reviewSeason } from './review.js';
import { cadenceFor, effectiveSettings } from './settings.js';
import { openTasks, type OpenTask } from './tasks.js';
import type { Account, Complaint, Member, Tenant } from './types.js';
import { viewFor, type View } from './view.js';

const DAY = DAY_MS;

/** `next_check_at` of an account nothing about which can fall due until something changes (and a trigger says so). */
export const NEVER = 8_640_000_000_000_000;

/** A composed message, opaque to the domain (the views build a Reply). */
export type Payload = object;
type ReviewItem = typeof reviewItems.$inferSelect;
type PromiseRow = typeof promises.$inferSelect;

/** How each decision reads, for its reader's view: implemented by src/views/nudges.ts. */
export interface NudgeViews {
  revisitDue(v: View, a: Account, lastVisit: number | null, cadence: number): Payload;
  revisitAgain(v: View, a: Account, overdueDays: number): Payload;
  revisitManager(v: View, a: Account, owner: Member, overdueDays: number, told: number, again: boolean): Payload;
  pairingDue(v: View, a: Account, lastTouch: number | null, cadenceDays: number): Payload;
  /** `readDays`: days from the day it is read to the promise's due day (1 the eve, 0 the day, below that late). */
  promise(v: View, p: PromiseRow, account: string, readDays: number): Payload;
  promiseManager(v: View, p: PromiseRow, account: string, owner: Member, platform: Tenant['platform'], lateDays: number): Payload;
  reviewCard(v: View, r: ReviewItem, a: Account, who: (id: number) => string | undefined): Payload;
  reviewClosed(v: View, year: number, items: { r: ReviewItem; a: Account; owner: Member | undefined }[]): Payload;
  checklist(v: View, soon: OpenTask[]): Payload;
  escalation(v: View, rung: number, c: Complaint, a: Account, owner: Member | undefined, target: Member | undefined, weekly: boolean): Payload;
  health(v: View, account: string, news: HealthNews): Payload;
}

export type SweepCounts = Record<'revisit' | 'pairing' | 'promise' | 'review' | 'escalation' | 'checklist', number>;
export interface SweepResult {
  counts: SweepCounts;
  /** The nudges this sweep decided. */
  ids: number[];
}

export const emptyCounts = (): SweepCounts => ({ revisit: 0, pairing: 0, promise: 0, review: 0, escalation: 0, checklist: 0 });

/** Adds `b` into `a`. */
export function addResult(a: SweepResult, b: SweepResult): SweepResult {
  for (const k of Object.keys(a.counts) as (keyof SweepCounts)[]) a.counts[k] += b.counts[k];
  a.ids.push(...b.ids);
  return a;
}

interface Sweeper {
  tx: Tx;
  tenant: Tenant;
  now: Date;
  views: NudgeViews;
  members: Members;
  counts: SweepCounts;
  ids: number[];
  workingFrom: Map<string, Date>;
  viewCache: Map<number, View>;
  /** Decided, to be recorded at the end of the step (several rows an INSERT). */
  pending: NewNudge[];
  /** The account each pending nudge is about (sweepAccounts), in step with `pending`. */
  accountOf: number[];
  account: number;
}

/**
 * Runs every decision for one tenant, in the caller's transaction: the unbatched sweep
 * (a command's `/steward run sweep`, its dry run, tests). The clock's job runs the same
 * steps batch by batch (src/scheduler/sweep.ts runSweep). `only`: one complaint's rung (its timer).
 */
export async function sweepTenant(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews, only?: { complaintId: number }): Promise<SweepResult> {
  if (only) return await sweepEscalations(tx, tenant, now, views, [only.complaintId]);
  const out = await sweepAccounts(tx, tenant, now, views, await dueAccountIds(tx, tenant.id, now));
  addResult(out, await sweepPromises(tx, tenant, now, views, await duePromiseIds(tx, tenant, now)));
  addResult(out, await sweepReviews(tx, tenant, now, views));
  addResult(out, await sweepChecklists(tx, tenant, now, views));
  addResult(out, await sweepEscalations(tx, tenant, now, views, await dueComplaintIds(tx, tenant.id, now)));
  return out;
}

/**
 * The tenant's members, read in the step's own transaction: all at once, or (`lazy`, for a
 * batch of accounts, which needs only their owners, managers and executives) each when first asked for.
 */
class Members {
  private readonly byId = new Map<number, Member | undefined>();
  private complete = false;
  private one?: { get(p: { id: number; tenant: number }): Promise<Member | undefined> };
  constructor(
    private readonly tx: Tx,
    private readonly tenantId: number,
  ) {}
  async get(id: number): Promise<Member | undefined> {
    if (this.complete || this.byId.has(id)) return this.byId.get(id);
    this.one ??= this.tx
      .select()
      .from(members)
      .where(and(eq(members.id, sql.placeholder('id')), eq(members.tenantId, sql.placeholder('tenant'))))
      .prepare();
    const m = await this.one.get({ id, tenant: this.tenantId });
    this.byId.set(id, m);
    return m;
  }
  async values(): Promise<Member[]> {
    if (!this.complete) {
      this.byId.clear();
      for (const m of await this.tx.select().from(members).where(eq(members.tenantId, this.tenantId)).all()) this.byId.set(m.id, m);
      this.complete = true;
    }
    return [...this.byId.values()].filter((m): m is Member => m !== undefined);
  }
}

async function sweeper(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews, lazy = false): Promise<Sweeper> {
  const members = new Members(tx, tenant.id);
  if (!lazy) await members.values();
  return {
    tx,
    tenant,
    now,
    views,
    members,
    counts: emptyCounts(),
    ids: [],
    workingFrom: new Map(),
    viewCache: new Map(),
    pending: [],
    accountOf: [],
    account: 0,
  };
}

/** Records what the step decided; counts and ids are of the new nudges only. */
async function flush(s: Sweeper): Promise<SweepResult> {
  for (const r of await recordNudges(s.tx, s.pending)) {
    if (r.kind !== 'health') s.counts[r.kind as keyof SweepCounts]++;
    s.ids.push(r.id);
  }
  s.pending = [];
  s.accountOf = [];
  return { counts: s.counts, ids: s.ids };
}

function viewOf(s: Sweeper, m: Member): View {
  let v = s.viewCache.get(m.id);
  if (!v) s.viewCache.set(m.id, (v = viewFor(s.tenant, m, s.now)));
  return v;
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
 * Decides a nudge for `to`: a member, a channel, or a channel on a member's
 * behalf (an escalation rung, which reaches its member directly should the
 * channel refuse it; see deliverNudge). A channel's nudge is worded and timed for the workspace.
 * Returns when it can be read: the moment its reader is told.
 */
function nudge(
  s: Sweeper,
  kind: keyof SweepCounts | 'health',
  key: string,
  subject: { type: string; id: number },
  to: { member?: Member; channel?: string },
  payload: Payload,
  urgent = false,
): Date {
  const reader = to.channel ? undefined : to.member;
  const notBefore = deliverAt(s, reader, urgent);
  s.accountOf.push(s.account);
  s.pending.push({
    tenantId: s.tenant.id,
    dedupeKey: key,
    kind,
    subjectType: subject.type,
    subjectId: subject.id,
    recipientId: to.member?.id ?? null,
    channel: to.channel ?? null,
    period: key.split(':').slice(2).join(':'),
    payload,
    createdAt: s.now,
    notBefore,
  });
  return notBefore;
}

const day = (at: number, zone: string) => dayIn(new Date(at), zone);

/** Accounts whose next check has come: read through the (tenant_id, next_check_at) index. */
export async function dueAccountIds(tx: Tx, tenantId: number, now: Date): Promise<number[]> {
  return (
    await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), lte(accounts.nextCheckAt, now.getTime())))
      .orderBy(accounts.id)
      .all()
  ).map((r) => r.id);
}

type Told = { to: number | null; at: number };

/** What a batch of accounts was decided to need, not yet written (decideAccounts, then recordAccounts). */
export interface AccountsPlan {
  /** The nudges decided, and the account each is about. */
  nudges: NewNudge[];
  accountOf: number[];
  /** Each account's next check. */
  next: Map<number, number>;
  /** Accounts (strategic or key) whose review item for `season` is to be created. */
  reviews: Account[];
  season: number;
  dueOn: string;
  now: Date;
}

/**
 * One batch of accounts (ids from dueAccountIds): their revisits, their pairings'
 * leadership visits, their review items; then each account's next check. Accounts
 * whose next check moved past `now` since the ids were read (another sweep took them) are left.
 */
export async function sweepAccounts(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews, ids: readonly number[]): Promise<SweepResult> {
  const { counts, ids: decided } = await recordAccounts(tx, tenant, await decideAccounts(tx, tenant, now, views, ids));
  return { counts, ids: decided };
}

/**
 * The decisions of sweepAccounts, read and composed but nothing written: run in a read
 * transaction, outside the write lock. `claim`: only accounts whose next check is this
 * claim (set by claimAccounts) are decided; without it, every account due by `now`.
 */
export async function decideAccounts(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews, ids: readonly number[], claim?: number): Promise<AccountsPlan> {
  const s = await sweeper(tx, tenant, now, views, true);
  const season = reviewSeason(tenant, now);
  const plan: AccountsPlan = { nudges: [], accountOf: [], next: new Map(), reviews: [], season: season.year, dueOn: season.deadline, now };
  if (ids.length === 0) return plan;
  const t = now.getTime();
  const rows: { a: Account; last: number | null }[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    // By id only, filtered here: with the tenant and the check in the WHERE, SQLite walks the
    // (tenant_id, next_check_at) index over every due account of the book for each batch.
    for (const r of await tx
      .select({ a: accounts, last: lastVisitSql, check: accounts.nextCheckAt })
      .from(accounts)
      .where(inArray(accounts.id, ids.slice(i, i + 500)))
      .orderBy(accounts.id)
      .all()) {
      if (r.a.tenantId === tenant.id && (claim === undefined ? r.check <= t : r.check === claim)) rows.push(r);
    }
  }
  const next = plan.next;
  for (const r of rows) next.set(r.a.id, NEVER);
  const sooner = (id: number, at: number) => next.set(id, Math.min(next.get(id) ?? NEVER, at));
  const active = rows.filter((r) => r.a.status === 'active');
  await revisits(
    s,
    active.filter((r) => r.a.ownerId !== null),
    sooner,
  );
  await leadership(
    s,
    active.map((r) => r.a.id),
    sooner,
  );
  plan.reviews = reviewItemsFor(
    s,
    active.map((r) => r.a),
    sooner,
  );
  plan.nudges = s.pending;
  plan.accountOf = s.accountOf;
  return plan;
}

/**
 * Marks these due accounts as this sweep's (`claim`, a negative number, so still due): a
 * change to one before its plan is recorded (a touch, a handover...) lowers its check to 0
 * through the triggers, and recordAccounts then leaves it, to be decided again from its new state.
 */
export async function claimAccounts(tx: Tx, tenantId: number, now: Date, ids: readonly number[], claim: number): Promise<void> {
  const p = <T>(name: string) => sql.placeholder(name) as unknown as T;
  const q = prepared(tx, 'sweep.claimAccount', (h) =>
    h
      .update(accounts)
      .set({ nextCheckAt: p<number>('claim') })
      .where(and(eq(accounts.id, p('id')), eq(accounts.tenantId, p('tenant')), lte(accounts.nextCheckAt, p('now'))))
      .prepare(),
  );
  for (const id of ids) await q.run({ id, tenant: tenantId, now: now.getTime(), claim });
}

/**
 * Writes a plan, in the write transaction: with `claim`, only for the accounts still
 * claimed (their next check unchanged since the plan was read); a redo decides nothing
 * twice (the nudges' dedupe keys, the review item looked for again).
 */
export async function recordAccounts(tx: Tx, tenant: Tenant, plan: AccountsPlan, claim?: number): Promise<SweepResult & { dropped: number[] }> {
  const p = <T>(name: string) => sql.placeholder(name) as unknown as T;
  const kept = new Set<number>();
  if (claim === undefined) {
    const write = prepared(tx, 'sweep.nextCheck', (h) =>
      h
        .update(accounts)
        .set({ nextCheckAt: p<number>('at') })
        .where(eq(accounts.id, p('id')))
        .prepare(),
    );
    for (const [id, at] of plan.next) {
      await write.run({ id, at });
      kept.add(id);
    }
  } else {
    const write = prepared(tx, 'sweep.nextCheckClaimed', (h) =>
      h
        .update(accounts)
        .set({ nextCheckAt: p<number>('at') })
        .where(and(eq(accounts.id, p('id')), eq(accounts.nextCheckAt, p('claim'))))
        .prepare(),
    );
    for (const [id, at] of plan.next) if (changes(await write.run({ id, at, claim })) > 0) kept.add(id);
  }
  const list = kept.size === plan.next.size ? plan.nudges : plan.nudges.filter((_, i) => kept.has(plan.accountOf[i]!));
  // Changed since they were claimed: to be decided again from what they are now.
  const dropped = kept.size === plan.next.size ? [] : [...plan.next.keys()].filter((id) => !kept.has(id));
  const out = { counts: emptyCounts(), ids: [] as number[], dropped };
  for (const r of await recordNudges(tx, list)) {
    if (r.kind !== 'health') out.counts[r.kind as keyof SweepCounts]++;
    out.ids.push(r.id);
  }
  const reviews = plan.reviews.filter((a) => kept.has(a.id));
  if (reviews.length > 0) {
    const have = new Set<number>();
    for (let i = 0; i < reviews.length; i += 500) {
      for (const r of await tx
        .select({ id: reviewItems.accountId })
        .from(reviewItems)
        .where(
          and(
            inArray(
              reviewItems.accountId,
              reviews.slice(i, i + 500).map((a) => a.id),
            ),
            eq(reviewItems.season, plan.season),
          ),
        )
        .all())
        have.add(r.id);
    }
    for (const a of reviews) {
      if (have.has(a.id)) continue;
      await tx
        .insert(reviewItems)
        .values({
          tenantId: tenant.id,
          number: await nextNumber(tx, reviewItems, tenant.id),
          accountId: a.id,
          ownerId: a.ownerId,
          season: plan.season,
          dueOn: plan.dueOn,
          checklist: REVIEW_CHECKLIST.map((key) => ({ key, done: false })),
          createdAt: plan.now,
        })
        .run();
    }
  }
  return out;
}

/**
 * An overdue account keeps coming back until it is visited or snoozed: its owner
 * hears when it falls due and then weekly, each a week after the last was read;
 * after a handover the new owner hears at once. Their manager gets a copy once it
 * is two weeks overdue and the owner was told twice, then every four weeks.
 * Each account's next check is when its next step can come.
 */
async function revisits(s: Sweeper, rows: { a: Account; last: number | null }[], sooner: (id: number, at: number) => void): Promise<void> {
  if (rows.length === 0) return;
  const t = s.now.getTime();
  const snoozedUntil = await snoozeEnds(
    s.tx,
    s.tenant.id,
    'revisit',
    rows.map((r) => r.a.id),
  );
  // The nudges of one round (`revisit:<account>:<period>`), read by their keys' range in the dedupe index.
  const round = s.tx
    .select({ key: nudges.dedupeKey, to: nudges.recipientId, at: nudges.notBefore, created: nudges.createdAt })
    .from(nudges)
    .where(and(eq(nudges.tenantId, sql.placeholder('tenant')), gte(nudges.dedupeKey, sql.placeholder('lo')), lt(nudges.dedupeKey, sql.placeholder('hi'))))
    .orderBy(nudges.id)
    .prepare();
  for (const { a, last } of rows) {
    s.account = a.id;
    // A snooze that ends after the account fell due starts a fresh round of nudges when it ends.
    const due = Math.max(revisitDue(s.tenant, a, last), snoozedUntil.get(a.id) ?? 0);
    if (due > t) {
      sooner(a.id, due);
      continue;
    }
    const owner = await s.members.get(a.ownerId!);
    // Nobody to tell until the account changes hands or its owner is back: both lower its next check.
    if (!owner?.active) continue;
    const v = viewOf(s, owner);
    // Periods are the workspace's days and weeks: a key in the owner's own zone changes with it, and would nudge again.
    const base = `revisit:${a.id}:${day(due, s.tenant.timezone)}`;
    const steps = sentSteps(await round.all({ tenant: s.tenant.id, lo: `${base}:`, hi: `${base};` }));
    const overdueDays = Math.floor((t - due) / DAY);
    const latest = steps.owner.at(-1);
    const next = `${base}:${steps.owner.length + 1}`;
    // How often the owner was told before this sweep: a step decided now counts from the next sweep on.
    const told = steps.owner.filter((x) => x.to === owner.id).length;
    // One step at a time, a week after the last was read: a sweep after a long pause sends the next step, not all of them.
    if (!latest || latest.to !== owner.id) {
      // First for this round, or for an owner who took the account over since.
      const at = nudge(s, 'revisit', next, { type: 'account', id: a.id }, { member: owner }, s.views.revisitDue(v, a, last, cadenceFor(s.tenant, a)));
      steps.owner.push({ to: owner.id, at: at.getTime() });
    } else if (t - latest.at >= REVISIT_REMIND_DAYS * DAY) {
      const at = nudge(s, 'revisit', next, { type: 'account', id: a.id }, { member: owner }, s.views.revisitAgain(v, a, overdueDays));
      steps.owner.push({ to: owner.id, at: at.getTime() });
    }
    // The owner's next reminder, a week after the last was read.
    sooner(a.id, steps.owner.at(-1)!.at + REVISIT_REMIND_DAYS * DAY);
    const toldNow = steps.owner.filter((x) => x.to === owner.id).length;
    const manager = owner.managerId ? await s.members.get(owner.managerId) : undefined;
    // Below two reminders the owner's next step comes first; without a manager here, a change of manager lowers the check.
    if (toldNow < 2 || !manager?.active) continue;
    if (told < 2) {
      // The second reminder went out just now: the copy can come from the next sweep on.
      sooner(a.id, Math.max(due + REVISIT_MANAGER_DAYS * DAY, t + 1));
      continue;
    }
    let lastCopy = steps.manager.at(-1);
    if (overdueDays >= REVISIT_MANAGER_DAYS && (!lastCopy || t - lastCopy.at >= REVISIT_MANAGER_REPEAT_DAYS * DAY)) {
      const at = nudge(
        s,
        'revisit',
        `${base}:m${steps.manager.length + 1}`,
        { type: 'account', id: a.id },
        { member: manager },
        s.views.revisitManager(viewOf(s, manager), a, owner, overdueDays, told, lastCopy !== undefined),
      );
      lastCopy = { to: manager.id, at: at.getTime() };
    }
    sooner(a.id, Math.max(due + REVISIT_MANAGER_DAYS * DAY, lastCopy ? lastCopy.at + REVISIT_MANAGER_REPEAT_DAYS * DAY : 0));
  }
}

/** A round's nudges: to the owner (keys ending in a count) and to the manager, in order, each with whom it went to and when it could be read. */
function sentSteps(rows: { key: string; to: number | null; at: Date | null; created: Date }[]): { owner: Told[]; manager: Told[] } {
  const out = { owner: [] as Told[], manager: [] as Told[] };
  for (const r of rows) {
    const step = r.key.slice(r.key.lastIndexOf(':') + 1);
    // `manager` is how the one copy to a manager was keyed before copies repeated.
    (/^\d+$/.test(step) ? out.owner : out.manager).push({ to: r.to, at: (r.at ?? r.created).getTime() });
  }
  return out;
}

/**
 * The leadership visits of these (active) accounts' pairings: the executive hears once
 * a pairing falls due; the next one comes after their next visit (a touch, which lowers the check).
 */
async function leadership(s: Sweeper, accountIds: number[], sooner: (id: number, at: number) => void): Promise<void> {
  if (accountIds.length === 0) return;
  const t = s.now.getTime();
  for (let i = 0; i < accountIds.length; i += 500) {
    const rows = await s.tx
      .select({ p: pairings, a: accounts, last: lastPairingTouchSql })
      .from(pairings)
      .innerJoin(accounts, eq(accounts.id, pairings.accountId))
      .where(and(eq(pairings.tenantId, s.tenant.id), eq(pairings.active, true), inArray(pairings.accountId, accountIds.slice(i, i + 500))))
      .orderBy(pairings.id)
      .all();
    for (const { p, a, last } of rows) {
      s.account = a.id;
      const due = pairingDue(p, last);
      if (due > t) {
        sooner(a.id, due);
        continue;
      }
      const exec = await s.members.get(p.execId);
      if (!exec?.active) continue;
      nudge(
        s,
        'pairing',
        `pairing:${p.id}:${day(due, s.tenant.timezone)}`,
        { type: 'pairing', id: p.id },
        { member: exec },
        s.views.pairingDue(viewOf(s, exec), a, last, p.cadenceDays),
      );
    }
  }
}

/** The instant a season day (`YYYY-MM-DD`) begins in the tenant's zone. */
const startOf = (s: Sweeper, isoDay: string) => DateTime.fromISO(isoDay, { zone: s.tenant.timezone }).startOf('day').toMillis();

/**
 * From the season's start to its deadline every strategic and key account gets its
 * review item, once; its next check is the next season's start.
 */
function reviewItemsFor(s: Sweeper, rows: Account[], sooner: (id: number, at: number) => void): Account[] {
  const season = reviewSeason(s.tenant, s.now);
  const startMd = effectiveSettings(s.tenant.settings).reviewSeasonStart;
  const thisStart = startOf(s, season.start);
  const nextStart = startOf(s, `${season.year + 1}-${startMd}`);
  const candidates = rows.filter((a) => a.tier === 'strategic' || a.tier === 'key');
  const inSeason = season.today >= season.start && season.today <= season.deadline;
  for (const a of candidates) sooner(a.id, season.today < season.start ? thisStart : nextStart);
  if (!inSeason) return [];
  return candidates;
}

/** A promise still open this long after its owner was told it was due (working days) is told to their manager. */
export const PROMISE_MANAGER_DAYS = 3;

/** Open promises due by the day after tomorrow anywhere on Earth: every promise that is overdue, due, or due tomorrow (the (status, due_on) index). */
export async function duePromiseIds(tx: Tx, tenant: Tenant, now: Date): Promise<number[]> {
  const horizon = DateTime.fromJSDate(now, { zone: 'UTC' }).plus({ days: 2 }).toISODate()!;
  return (
    await tx
      .select({ id: promises.id })
      .from(promises)
      .where(and(eq(promises.status, 'open'), lte(promises.dueOn, horizon), eq(promises.tenantId, tenant.id), lte(promises.nextCheckAt, now.getTime())))
      .orderBy(promises.id)
      .all()
  ).map((r) => r.id);
}

/**
 * The eve, then the day (or, when the sweep missed it, as soon as it can: worded
 * as late), then the owner's manager some working days after the owner was told
 * it was due. Each once; the digest keeps listing it until it is closed.
 */
export async function sweepPromises(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews, ids: readonly number[]): Promise<SweepResult> {
  const s = await sweeper(tx, tenant, now, views);
  if (ids.length === 0) return { counts: s.counts, ids: s.ids };
  const horizon = DateTime.fromJSDate(s.now, { zone: 'UTC' }).plus({ days: 2 }).toISODate()!;
  const rows: { p: PromiseRow; account: string }[] = [];
  const t = s.now.getTime();
  /** Each promise's next check; an instant already past means the next sweep. */
  const next = new Map<number, number>();
  const at = (id: number, when: number) => next.set(id, Math.max(when, t + 1));
  for (let i = 0; i < ids.length; i += 500) {
    // By id only, filtered here (as sweepAccounts): a lost account's promises are settled in its last conversation, not reminded.
    for (const r of await s.tx
      .select({ p: promises, account: accounts.name, status: accounts.status })
      .from(promises)
      .innerJoin(accounts, eq(accounts.id, promises.accountId))
      .where(inArray(promises.id, ids.slice(i, i + 500)))
      .orderBy(promises.id)
      .all()) {
      if (r.p.tenantId !== s.tenant.id || r.p.dueOn > horizon || r.p.nextCheckAt > s.now.getTime()) continue;
      // Closed, or its account lost: nothing more until it changes (which marks it).
      if (r.p.status === 'open' && r.status === 'active') rows.push(r);
      else next.set(r.p.id, NEVER);
    }
  }
  // A promise moved to a new date is reminded of that date: its keys name the round (see promiseRound).
  const rounds = await moveCounts(
    s.tx,
    rows.map((r) => r.p.id),
  );
  const key = (id: number, step: string) => `promise:${id}:${promiseRound(rounds.get(id) ?? 0)}${step}`;
  const told = await toldAt(
    s,
    'promise',
    rows.map((r) => key(r.p.id, 'due')),
  );
  // The start of a calendar day anywhere on Earth (UTC+14) is no earlier than this: a safe early check.
  const dayStartsBy = (isoDay: string, daysBefore: number) => Date.parse(`${isoDay}T00:00:00Z`) - (daysBefore * 24 + 14) * 3_600_000;
  for (const { p, account } of rows) {
    // With nobody to tell, nothing until the owner (or their manager) changes, which marks it.
    next.set(p.id, NEVER);
    const owner = p.ownerId ? await s.members.get(p.ownerId) : undefined;
    if (!owner?.active) continue;
    const v = viewOf(s, owner);
    const manager = owner.managerId ? await s.members.get(owner.managerId) : undefined;
    /** The manager's step, some working days after the owner was told it was due. */
    const managerAt = (dueTold: Date) => addWorkingSpan(dueTold, PROMISE_MANAGER_DAYS * 24, s.tenant.timezone, s.tenant.settings);
    const dueTold = told.get(key(p.id, 'due'));
    if (dueTold !== undefined) {
      // The owner knows; still open some working days later, their manager hears of it.
      if (!manager?.active) continue;
      const when = managerAt(dueTold);
      if (when > s.now) {
        at(p.id, when.getTime());
        continue;
      }
      const mv = viewOf(s, manager);
      const late = Math.max(0, -daysUntil({ ...mv, now: deliverAt(s, manager) }, p.dueOn));
      nudge(s, 'promise', key(p.id, 'manager'), { type: 'promise', id: p.id }, { member: manager }, s.views.promiseManager(mv, p, account, owner, s.tenant.platform, late));
      continue;
    }
    // Worded for the day it is read: one decided on a weekend waits for Monday, when "tomorrow" may be today or past.
    const read = daysUntil({ ...v, now: deliverAt(s, owner) }, p.dueOn);
    const left = daysUntil(v, p.dueOn);
    if (left > 1) {
      at(p.id, dayStartsBy(p.dueOn, 1));
      continue;
    }
    // The eve only on the eve; from the due day on, the due-day reminder, however late the sweep comes.
    const step = left === 1 && read === 1 ? 'eve' : 'due';
    const readAt = nudge(s, 'promise', key(p.id, step), { type: 'promise', id: p.id }, { member: owner }, s.views.promise(v, p, account, read));
    if (step === 'eve') at(p.id, dayStartsBy(p.dueOn, 0));
    else if (manager?.active) at(p.id, managerAt(readAt).getTime());
  }
  const write = s.tx
    .update(promises)
    .set({ nextCheckAt: sql.placeholder('at') as unknown as number })
    .where(eq(promises.id, sql.placeholder('id')))
    .prepare();
  for (const [id, when] of next) await write.run({ id, at: when });
  return flush(s);
}

/** When each of these nudges (by dedupe key) can be read: its notBefore. */
async function toldAt(s: Sweeper, kind: string, keys: string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await s.tx
      .select({ key: nudges.dedupeKey, at: nudges.notBefore, created: nudges.createdAt })
      .from(nudges)
      .where(and(eq(nudges.tenantId, s.tenant.id), eq(nudges.kind, kind), inArray(nudges.dedupeKey, keys.slice(i, i + 500))))
      .all();
    for (const r of rows) out.set(r.key, r.at ?? r.created);
  }
  return out;
}

/**
 * The season's weekly review cards to each open item's owner, and once its deadline
 * has passed one last summary to each owner and their manager. (Each account's item
 * is created by sweepAccounts when the season opens.)
 */
export async function sweepReviews(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews): Promise<SweepResult> {
  const s = await sweeper(tx, tenant, now, views);
  const season = reviewSeason(s.tenant, s.now);
  if (season.today < season.start) return { counts: s.counts, ids: s.ids };
  const open = await s.tx
    .select({ r: reviewItems, a: accounts })
    .from(reviewItems)
    .innerJoin(accounts, eq(accounts.id, reviewItems.accountId))
    // A lost account has no review to prepare.
    .where(and(eq(reviewItems.tenantId, s.tenant.id), eq(reviewItems.season, season.year), inArray(reviewItems.status, ['open', 'prepared']), eq(accounts.status, 'active')))
    .all();
  /** Who hears of which item the deadline passed on: its owner and the owner's manager, once each. */
  const closed = new Map<number, { member: Member; items: { r: ReviewItem; a: Account; owner: Member | undefined }[] }>();
  /** Who a card names (the review sweep reads every member at once). */
  const everyone = new Map((await s.members.values()).map((m) => [m.id, m]));
  for (const { r, a } of open) {
    // The account's owner today, who may not be the one who had it when the season opened.
    const owner = a.ownerId ? await s.members.get(a.ownerId) : undefined;
    if (r.dueOn < season.today) {
      // The deadline has passed: no more weekly cards, one last summary instead.
      const manager = owner?.managerId ? await s.members.get(owner.managerId) : undefined;
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
    const who = (id: number) => {
      const m = everyone.get(id);
      return m && personNameOf(v, s.tenant, m);
    };
    // The week it is read in: a card decided on Sunday is read on Monday, in the week of Monday's own card.
    nudge(s, 'review', `review:${r.id}:${isoWeek(readAt, s.tenant.timezone)}`, { type: 'review', id: r.id }, { member: owner }, s.views.reviewCard(v, r, a, who));
  }
  for (const { member, items } of closed.values()) {
    nudge(s, 'review', `review-closed:${season.year}:${member.id}`, { type: 'season', id: season.year }, { member }, s.views.reviewClosed(viewOf(s, member), season.year, items));
  }
  return flush(s);
}

const personNameOf = (v: View, tenant: Tenant, m: Member) => personName(v.t, tenant.platform, m);

/** Once a week, each owner hears of their checklist items due within a week or overdue. */
export async function sweepChecklists(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews): Promise<SweepResult> {
  const s = await sweeper(tx, tenant, now, views);
  const byOwner = new Map<number, OpenTask[]>();
  for (const task of await openTasks(s.tx, s.tenant.id)) {
    if (task.ownerId !== null) byOwner.set(task.ownerId, [...(byOwner.get(task.ownerId) ?? []), task]);
  }
  for (const [ownerId, items] of byOwner) {
    const owner = await s.members.get(ownerId);
    if (!owner?.active) continue;
    const v = viewOf(s, owner);
    const soon = items.filter((x) => x.dueOn === null || daysUntil(v, x.dueOn) <= 7);
    if (soon.length === 0) continue;
    // The week it is read in, as the review cards.
    nudge(
      s,
      'checklist',
      `checklist:${ownerId}:${isoWeek(deliverAt(s, owner), s.tenant.timezone)}`,
      { type: 'member', id: ownerId },
      { member: owner },
      s.views.checklist(v, soon),
    );
  }
  return flush(s);
}

/** Open complaints past their deadline: the (status, deadline_at) index. */
export async function dueComplaintIds(tx: Tx, tenantId: number, now: Date): Promise<number[]> {
  return (
    await tx
      .select({ id: complaints.id })
      .from(complaints)
      .where(and(eq(complaints.status, 'open'), lte(complaints.deadlineAt, now), eq(complaints.tenantId, tenantId), lte(complaints.nextCheckAt, now.getTime())))
      .orderBy(complaints.id)
      .all()
  ).map((r) => r.id);
}

/** The escalation ladder of these complaints (ids from dueComplaintIds, or one complaint's timer). */
export async function sweepEscalations(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews, ids: readonly number[]): Promise<SweepResult> {
  const s = await sweeper(tx, tenant, now, views);
  const channel = effectiveSettings(s.tenant.settings).escalationChannel;
  const check = s.tx
    .update(complaints)
    .set({ nextCheckAt: sql.placeholder('at') as unknown as number })
    .where(eq(complaints.id, sql.placeholder('id')))
    .prepare();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = (
      await s.tx
        .select({ c: complaints, a: accounts })
        .from(complaints)
        .innerJoin(accounts, eq(accounts.id, complaints.accountId))
        .where(inArray(complaints.id, ids.slice(i, i + 500)))
        .orderBy(complaints.id)
        .all()
    )
      // By id only, filtered here (as sweepAccounts). A lost account has nobody left to keep: its complaints climb no further.
      .filter(({ c }) => c.tenantId === s.tenant.id && c.deadlineAt <= s.now && c.nextCheckAt <= s.now.getTime());
    for (const { c, a } of rows) {
      const next = c.status === 'open' && a.status === 'active' ? nextRungAt(s.tenant, c) : undefined;
      // Resolved, or its account lost: nothing more until it changes (which marks it).
      if (!next || next > s.now) {
        await check.run({ id: c.id, at: next ? next.getTime() : NEVER });
        continue;
      }
      const owner = c.ownerId ? await s.members.get(c.ownerId) : undefined;
      // The next rung only, or past the top the week's reminder to it; the rung after waits a span from when this one is read.
      const rung = Math.min(3, c.escalationLevel + 1);
      const weekly = c.escalationLevel >= 3;
      const target = await rungTarget(s, rung, owner, a);
      const v = channel ? viewFor(s.tenant, undefined, s.now) : target ? viewOf(s, target) : viewFor(s.tenant, undefined, s.now);
      // A reopened complaint climbs its ladder again: its rungs' keys are its reopening's own.
      const again = c.reopenCount > 0 ? `:r${c.reopenCount}` : '';
      const key = weekly ? `escalation:${c.id}:open:${isoWeek(s.now, s.tenant.timezone)}${again}` : `escalation:${c.id}:${rung}${again}`;
      const told = nudge(
        s,
        'escalation',
        key,
        { type: 'complaint', id: c.id },
        { channel, member: target },
        s.views.escalation(v, rung, c, a, owner, target, weekly),
        c.severity === 'critical',
      );
      await s.tx.update(complaints).set({ escalationLevel: rung, escalatedAt: told }).where(eq(complaints.id, c.id)).run();
      // The rung after (its own span from when this one is read), or the week's reminder at the top.
      const after = nextRungAt(s.tenant, { ...c, escalationLevel: rung, escalatedAt: told });
      await check.run({ id: c.id, at: Math.max(after ? after.getTime() : NEVER, s.now.getTime() + 1) });
    }
  }
  return flush(s);
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
async function rungTarget(s: Sweeper, rung: number, owner: Member | undefined, a: Account): Promise<Member | undefined> {
  if (rung === 1) return owner && (await stillHere(s, owner));
  if (rung === 2) return owner?.managerId ? await stillHere(s, await s.members.get(owner.managerId)) : await adminOf(s);
  const above = await execAbove(s, owner?.managerId ? await s.members.get(owner.managerId) : undefined);
  if (above) return above;
  const execs: (Member | undefined)[] = [];
  for (const p of await s.tx
    .select({ id: pairings.execId })
    .from(pairings)
    .where(and(eq(pairings.accountId, a.id), eq(pairings.active, true)))
    .all()) {
    execs.push(await s.members.get(p.id));
  }
  return execs.find((m) => m?.active) ?? (await adminOf(s));
}

/** The first active executive up the manager chain from `m` (excluded). */
async function execAbove(s: Sweeper, m: Member | undefined): Promise<Member | undefined> {
  const seen = new Set<number>();
  for (
    let up = m?.managerId != null ? await s.members.get(m.managerId) : undefined;
    up && !seen.has(up.id);
    up = up.managerId != null ? await s.members.get(up.managerId) : undefined
  ) {
    seen.add(up.id);
    if (up.role === 'exec' && up.active) return up;
  }
  return undefined;
}

/** `m`, or if they have left, the nearest manager above them who has not, or else an admin. */
async function stillHere(s: Sweeper, m: Member | undefined): Promise<Member | undefined> {
  const seen = new Set<number>();
  while (m && !m.active && m.managerId !== null && !seen.has(m.id)) {
    seen.add(m.id);
    m = await s.members.get(m.managerId);
  }
  return m?.active ? m : await adminOf(s);
}

async function adminOf(s: Sweeper): Promise<Member | undefined> {
  return (await s.members.values()).find((m) => m.role === 'admin' && m.active);
}

/**
 * Once a workspace day (the sweep job calls it after each sweep), each active account's health: when it enters watch or at risk (or falls 15 or
 * more in four weeks), its owner and their manager hear it once, with every reason and the next step
 * (healthNews decides what is news; health_told keeps what was told).
 */
export async function watchHealth(tx: Tx, tenant: Tenant, now: Date, views: NudgeViews): Promise<number[]> {
  const s = await sweeper(tx, tenant, now, views);
  const today = day(s.now.getTime(), s.tenant.timezone);
  if (
    await s.tx
      .select({ id: healthTold.accountId })
      .from(healthTold)
      .where(and(eq(healthTold.tenantId, s.tenant.id), eq(healthTold.checkedOn, today)))
      .limit(1)
      .get()
  )
    return [];
  const book = await s.tx
    .select({ id: accounts.id, name: accounts.name, ownerId: accounts.ownerId, createdAt: accounts.createdAt })
    .from(accounts)
    .where(and(eq(accounts.tenantId, s.tenant.id), eq(accounts.status, 'active')))
    .all();
  if (book.length === 0) return [];
  const told = new Map(
    (await s.tx.select().from(healthTold).where(eq(healthTold.tenantId, s.tenant.id)).all()).map((r) => [r.accountId, { band: r.band as Band, score: r.score }]),
  );
  const scores = await healthOf(
    s.tx,
    s.tenant,
    book.map((a) => a.id),
    s.now,
  );
  for (const a of book) {
    const h = scores.get(a.id);
    if (!h) continue;
    const { tell, remember } = healthNews(told.get(a.id) ?? null, h.now, h.before);
    const row = { band: remember.band, score: remember.score, checkedOn: today };
    await s.tx
      .insert(healthTold)
      .values({ accountId: a.id, tenantId: s.tenant.id, ...row })
      .onConflictDoUpdate({ target: healthTold.accountId, set: row })
      .run();
    // A fall needs four weeks to measure: an account newer than that has no baseline to fall from.
    if (!tell || (tell.kind === 'falling' && s.now.getTime() - a.createdAt.getTime() < TREND_DAYS * DAY)) continue;
    const owner = a.ownerId ? await s.members.get(a.ownerId) : undefined;
    const manager = owner?.managerId ? await s.members.get(owner.managerId) : undefined;
    for (const m of [owner, manager]) {
      if (!m?.active) continue;
      nudge(s, 'health', `health:${a.id}:${today}:${m.id}`, { type: 'account', id: a.id }, { member: m }, s.views.health(viewOf(s, m), a.name, tell));
    }
  }
  return (await flush(s)).ids;
}
