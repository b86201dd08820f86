// A complaint's life: what happened to it between its opening and its (last)
// resolution, and the two times a customer feels: how long until our side first
// answered, and how long until it was fixed. The seeds' classic loss is "a damage
// claim bounced between regions for six months": the passes, the people, the
// teams and the months are read from here, for /complaint show, the digest and /churn.
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, or, sql, type Placeholder } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { accounts, complaintEvents, complaints, members, nudges, type ComplaintEventKind } from '../../db/schema.js';
import type { Complaint } from './types.js';
import type { View } from './view.js';

export type ComplaintEvent = typeof complaintEvents.$inferSelect;

/** Records one step of a complaint's life, in the command's transaction. */
export async function recordComplaintEvent(
  db: Tx,
  c: Pick<Complaint, 'id' | 'tenantId'>,
  kind: ComplaintEventKind,
  at: Date,
  e: { actorId?: number | null; fromId?: number | null; toId?: number | null; text?: string | null } = {},
): Promise<void> {
  await db
    .insert(complaintEvents)
    .values({ tenantId: c.tenantId, complaintId: c.id, kind, at, actorId: e.actorId ?? null, fromId: e.fromId ?? null, toId: e.toId ?? null, text: e.text ?? null })
    .run();
}

/**
 * Our side's first answer to a complaint, once: the first of its owner's progress
 * note, someone taking it for themselves (the "Take ownership" button), or its
 * resolution. A note by someone else who does not have it (a manager asking) is a
 * note, not an answer to the customer. Reopening keeps the first answer it had.
 */
export async function markFirstAnswer(db: Tx, complaintId: number, at: Date): Promise<void> {
  await db
    .update(complaints)
    .set({ firstAnswerAt: at })
    .where(and(eq(complaints.id, complaintId), isNull(complaints.firstAnswerAt)))
    .run();
}

/** One line of a complaint's history. */
export type LifeStep =
  | { kind: 'opened'; at: Date; actorId: number | null }
  | { kind: 'note' | 'resolve' | 'reopen'; at: Date; actorId: number | null; text: string | null }
  | { kind: 'pass'; at: Date; actorId: number | null; fromId: number | null; toId: number | null }
  | { kind: 'escalation'; at: Date; rung: number; toId: number | null; channel: string | null }
  | { kind: 'weekly'; at: Date; times: number; last: Date };

export interface ComplaintLife {
  steps: LifeStep[];
  /** Passes from one person to another (reassignments, handovers). */
  passes: number;
  /** Whoever had it, in order, its first owner included: someone it came back to is there again (zhang → zhao → zhang). */
  hands: number[];
  /** How many people had it (each once, however often it came back to them). */
  people: number;
  /** The teams it went through: its holders' managers (someone in no team counts in none). */
  teams: number;
  /** From the opening to its resolution, or to now while it is open. */
  openFor: number;
  firstAnswerAfter?: number;
}

/** The rung of an escalation nudge, from its key (escalation:<complaint>:<rung>[:r<n>], or :open:<week> weekly). */
const rungOf = (key: string): number | 'weekly' => {
  const part = key.split(':')[2];
  return part === 'open' ? 'weekly' : Number(part);
};

export async function complaintLife(db: Tx, c: Complaint, now: Date): Promise<ComplaintLife> {
  const events = await db.select().from(complaintEvents).where(eq(complaintEvents.complaintId, c.id)).orderBy(asc(complaintEvents.at), asc(complaintEvents.id)).all();
  const told = await db
    .select({ key: nudges.dedupeKey, at: nudges.notBefore, created: nudges.createdAt, to: nudges.recipientId, channel: nudges.channel })
    .from(nudges)
    .where(and(eq(nudges.tenantId, c.tenantId), eq(nudges.kind, 'escalation'), eq(nudges.subjectType, 'complaint'), eq(nudges.subjectId, c.id)))
    .orderBy(asc(nudges.id))
    .all();
  const steps: LifeStep[] = [{ kind: 'opened', at: c.openedAt, actorId: c.reporterId }];
  for (const e of events) {
    if (e.kind === 'pass') steps.push({ kind: 'pass', at: e.at, actorId: e.actorId, fromId: e.fromId, toId: e.toId });
    else steps.push({ kind: e.kind, at: e.at, actorId: e.actorId, text: e.text });
  }
  // The weekly reminders after the top rung are one line: how many, and the last.
  let weekly: Extract<LifeStep, { kind: 'weekly' }> | undefined;
  for (const n of told) {
    const at = n.at ?? n.created;
    const rung = rungOf(n.key);
    if (rung === 'weekly') {
      if (weekly) {
        weekly.times++;
        weekly.last = at;
      } else steps.push((weekly = { kind: 'weekly', at, times: 1, last: at }));
    } else if (Number.isInteger(rung)) {
      weekly = undefined;
      steps.push({ kind: 'escalation', at, rung, toId: n.to, channel: n.channel });
    }
  }
  steps.sort((a, b) => a.at.getTime() - b.at.getTime());

  // Whoever had it: the first owner is the one the first pass took it from (or its owner now, if never passed).
  const passes = events.filter((e) => e.kind === 'pass' && e.fromId !== e.toId);
  const first = passes.length ? passes[0]!.fromId : c.ownerId;
  const hands: number[] = [];
  for (const id of [first, ...passes.map((p) => p.toId)]) if (id != null && hands[hands.length - 1] !== id) hands.push(id);
  const distinct = [...new Set(hands)];
  const people = distinct.length ? await db.select({ id: members.id, managerId: members.managerId }).from(members).where(inArray(members.id, distinct)).all() : [];
  const teams = new Set(people.flatMap((m) => (m.managerId === null ? [] : [m.managerId]))).size;
  const end = c.status === 'resolved' && c.resolvedAt ? c.resolvedAt : now;
  return {
    steps,
    passes: passes.length,
    hands,
    people: distinct.length,
    teams,
    openFor: Math.max(0, end.getTime() - c.openedAt.getTime()),
    firstAnswerAfter: c.firstAnswerAt ? Math.max(0, c.firstAnswerAt.getTime() - c.openedAt.getTime()) : undefined,
  };
}

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface ComplaintTimes {
  /** Complaints resolved in the period. */
  resolved: number;
  /** Median time from opening to first answer, of those resolved in the period. */
  firstAnswer?: number;
  /** Median time from opening to resolution, of those resolved in the period. */
  resolution?: number;
  /** Complaints open now, and of them those nobody has answered yet. */
  open: number;
  unanswered: number;
  oldest?: { number: number; account: string; openedAt: Date; passes: number };
}

/**
 * The times of the complaints on `accountIds` (every account of the workspace when
 * undefined): those resolved in [from, to], and the oldest still open.
 */
/** The complaints opened by `at` and open at that time: one resolved since reads as open. */
export const openComplaintAt = (at: Date) =>
  and(lte(complaints.openedAt, at), or(eq(complaints.status, 'open'), and(isNotNull(complaints.resolvedAt), gt(complaints.resolvedAt, at))));

/** openComplaintAt with the time a placeholder (milliseconds), for a prepared query. */
export const openComplaintAsOf = (at: Placeholder) =>
  and(sql`${complaints.openedAt} <= ${at}`, or(eq(complaints.status, 'open'), and(isNotNull(complaints.resolvedAt), sql`${complaints.resolvedAt} > ${at}`)));

/** On the accounts in `ids` (a JSON array), when `scoped`. */
const onIds = (scoped: boolean) => (scoped ? sql`${complaints.accountId} in (select value from json_each(${sql.placeholder('ids')}))` : undefined);

/** complaintTimes' complaints resolved in [`from`, `to`] (ms) of `tenant`, prepared once per connection. */
const resolvedQuery = (db: Tx, scoped: boolean) =>
  prepared(db, `complaints.resolvedIn.${scoped ? 'ids' : 'all'}`, (d) =>
    d
      .select({ openedAt: complaints.openedAt, firstAnswerAt: complaints.firstAnswerAt, resolvedAt: complaints.resolvedAt })
      .from(complaints)
      .where(
        and(
          eq(complaints.tenantId, sql.placeholder('tenant')),
          eq(complaints.status, 'resolved'),
          onIds(scoped),
          sql`${complaints.resolvedAt} >= ${sql.placeholder('from')}`,
          sql`${complaints.resolvedAt} <= ${sql.placeholder('to')}`,
        ),
      )
      .prepare(),
  );

/** complaintTimes' open complaints of `tenant` (as of `at`, ms, when `asOf`), oldest first, prepared once per connection. */
const openQuery = (db: Tx, scoped: boolean, asOf: boolean) =>
  prepared(db, `complaints.openOf.${scoped ? 'ids' : 'all'}.${asOf ? 'at' : 'now'}`, (d) =>
    d
      .select({ c: complaints, account: accounts.name })
      .from(complaints)
      .innerJoin(accounts, eq(accounts.id, complaints.accountId))
      .where(and(eq(complaints.tenantId, sql.placeholder('tenant')), asOf ? openComplaintAsOf(sql.placeholder('at')) : eq(complaints.status, 'open'), onIds(scoped)))
      .orderBy(asc(complaints.openedAt), asc(complaints.id))
      .prepare(),
  );

export async function complaintTimes(db: Tx, tenantId: number, period: { from: Date; to: Date }, accountIds?: number[], asOf?: Date): Promise<ComplaintTimes> {
  if (accountIds && !accountIds.length) return { resolved: 0, open: 0, unanswered: 0 };
  // Prepared once per connection, per form (db/prepared.ts): the accounts as one JSON parameter (any
  // number of them, one statement text), the times as milliseconds.
  const scoped = accountIds !== undefined;
  const params = {
    tenant: tenantId,
    from: period.from.getTime(),
    to: period.to.getTime(),
    ...(scoped ? { ids: JSON.stringify(accountIds) } : {}),
    ...(asOf ? { at: asOf.getTime() } : {}),
  };
  const done = await resolvedQuery(db, scoped).all(params);
  const open = await openQuery(db, scoped, asOf !== undefined).all(params);
  const since = (r: { openedAt: Date }, at: Date | null) => (at ? at.getTime() - r.openedAt.getTime() : undefined);
  const oldest = open[0];
  const passes = oldest
    ? (await prepared(db, 'complaints.passes', (d) =>
        d
          .select({ n: sql<number>`count(*)` })
          .from(complaintEvents)
          .where(and(eq(complaintEvents.complaintId, sql.placeholder('id')), eq(complaintEvents.kind, 'pass')))
          .prepare(),
      ).get({ id: oldest.c.id }))!.n
    : 0;
  return {
    resolved: done.length,
    firstAnswer: median(done.map((r) => since(r, r.firstAnswerAt ?? r.resolvedAt)).filter((x): x is number => x !== undefined)),
    resolution: median(done.map((r) => since(r, r.resolvedAt)).filter((x): x is number => x !== undefined)),
    open: open.length,
    // As of a past time, an answer given since was not given yet.
    unanswered: open.filter((r) => !r.c.firstAnswerAt || (asOf !== undefined && r.c.firstAnswerAt > asOf)).length,
    oldest: oldest ? { number: oldest.c.number, account: oldest.account, openedAt: oldest.c.openedAt, passes } : undefined,
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** An average month, for spans that long: "6 months" is what a team says of half a year. */
const MONTH = 30.44 * DAY;

/** A span as people say it: minutes, hours, days, then (rounded) months from 60 days. */
export function fmtSpan(v: Pick<View, 'locale'>, ms: number): string {
  const minutes = Math.max(0, ms) / 60_000;
  const [value, unit] =
    ms >= 60 * DAY
      ? [Math.round(ms / MONTH), 'month']
      : ms >= 2 * DAY
        ? [Math.floor(ms / DAY), 'day']
        : ms >= HOUR
          ? [Math.floor(ms / HOUR), 'hour']
          : [Math.max(1, Math.floor(minutes)), 'minute'];
  return new Intl.NumberFormat(v.locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}
