// Handing a rep's book to someone else: the accounts, with everything still open
// on them (complaints, promises, review items, tasks, leadership pairings), and
// the new owner's checklist of people to meet. The rules and the writes live
// here; /handover binds who and which accounts, and words the outcome.
import { and, asc, count, eq, inArray, isNull, ne, notExists, sql, type Column, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { accounts, complaintEvents, complaints, contacts, handoverJobs, pairings, promises, reviewItems, tasks } from '../../db/schema.js';
import type { DomainCtx } from './context.js';
import { personName } from './format.js';
import { matchAccount } from './match.js';
import { managersAbove, managersWho, memberById } from './permissions.js';
import { Refusal } from './refusal.js';
import type { Account, Member } from './types.js';

/** The new owner meets every contact of each strategic account within this many days. */
export const HANDOVER_MEET_DAYS = 30;

/** Ids per statement: well under SQLite's limit on bound values, and a short statement each. */
const CHUNK = 500;

/**
 * Accounts a large handover moves per write transaction, with what is open on them: 25-30 ms of
 * SQLite's write lock each on the bench's book on a loaded 2-core machine (bench/handover.ts),
 * well under the 100 ms a write may hold it. A handover this small (with few open items) is one
 * transaction.
 */
export const HANDOVER_BATCH = 500;

/** Who leads a team: a manager, or an executive above managers. */
const leads = (m: Member) => m.role === 'manager' || m.role === 'exec';

const nameOf = (ctx: DomainCtx, m: Member | undefined) => (m ? personName(ctx.t, ctx.tenant.platform, m) : undefined);

/**
 * An admin, or a manager or executive whose line @from is in (a manager's own book included), as for
 * /leave: a manager or executive of another line may not give it away. Otherwise a refusal naming who may.
 */
export async function requireHandover(ctx: DomainCtx, from: Member, what: string): Promise<void> {
  const { actor } = ctx;
  if (actor.role === 'admin') return;
  const above = await managersAbove(ctx, from);
  if ((actor.role === 'manager' && from.id === actor.id) || (leads(actor) && above.some((m) => m.id === actor.id))) return;
  throw new Refusal('perm.refused', what, managersWho(ctx, above, leads));
}

/** The accounts `names` (one or more) mean, each owned by `from`; a refusal for a name that means none, several, or someone else's. */
export async function accountsToHand(ctx: DomainCtx, names: string[], from: Member): Promise<Account[]> {
  const found = new Map<number, Account>();
  for (const name of names) {
    const m = await matchAccount(ctx.db, ctx.tenant.id, name);
    if (m.kind === 'ambiguous') throw new Refusal('errors.ambiguousAccount', name).listing(m.candidates.map((a) => a.name));
    if (m.kind === 'none') throw new Refusal('errors.unknownAccount', name, m.suggestions);
    const account = m.item;
    if (account.ownerId !== from.id) throw new Refusal('handover.notTheirs', account.name, nameOf(ctx, from)!, nameOf(ctx, await memberById(ctx, account.ownerId)));
    found.set(account.id, account);
  }
  return [...found.values()];
}

/** What a handover needs of an account it moves. */
type Moving = Pick<Account, 'id' | 'name' | 'tier'>;

export interface Handover {
  /** The accounts that changed owner, by name. */
  accounts: Moving[];
  moved: { accounts: number; complaints: number; promises: number; pairings: number; reviews: number; tasks: number };
  /** Active pairings of @from that stayed (a pairing needs an executive: it follows only to an exec or an admin). */
  pairingsKept: number;
  /** The checklist: each contact of a strategic account moved, to meet by `due`. */
  meetings: { contact: string; account: string }[];
  due: string;
  /** The job that moves the book in batches after the command's commit (a large handover), if any. */
  job?: number;
}

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A handover's scope and progress: a row of handover_jobs, or the same held in memory for one done in one transaction. */
type Job = Omit<typeof handoverJobs.$inferSelect, 'id' | 'doneAt'>;

type OpenTable = typeof complaints | typeof promises | typeof reviewItems | typeof tasks;

/** What is still open of each kind a handover moves with its owner. */
const OPEN: [OpenTable, () => SQL][] = [
  [complaints, () => eq(complaints.status, 'open')],
  [promises, () => eq(promises.status, 'open')],
  [reviewItems, () => ne(reviewItems.status, 'held')],
  [tasks, () => isNull(tasks.doneAt)],
];

/**
 * The active contacts of the strategic accounts `which` selects not yet on anyone's open checklist
 * (a meeting moved with an earlier handover), by account then name: one query, however many accounts.
 */
function meetSelect(db: Tx, which: SQL) {
  const listed = db
    .select({ one: sql`1` })
    .from(tasks)
    .where(and(eq(tasks.accountId, contacts.accountId), eq(tasks.contactId, contacts.id), eq(tasks.kind, 'handover'), eq(tasks.itemKey, 'meet-contact'), isNull(tasks.doneAt)));
  return db
    .select({ id: contacts.id, accountId: contacts.accountId, name: contacts.name })
    .from(contacts)
    .innerJoin(accounts, eq(accounts.id, contacts.accountId))
    .where(and(which, eq(accounts.tier, 'strategic'), eq(contacts.active, true), notExists(listed)))
    .orderBy(asc(contacts.accountId), asc(contacts.nameKey));
}

/** The ids in the JSON array parameter `ids`: one parameter for any number of them. */
const inIds = (column: Column) => sql`${column} in (select value from json_each(${sql.placeholder('ids')}))`;

/** The accounts `tenantId`, `fromId` (named: those in `ids`) a handover takes, for its checklist. */
const scoped = (named: boolean) =>
  named ? inIds(accounts.id) : and(eq(accounts.tenantId, sql.placeholder('tenantId')), eq(accounts.ownerId, sql.placeholder('fromId')), eq(accounts.status, 'active'))!;

/** meetSelect of the accounts a handover takes (`tenantId`, `fromId`; named: `ids`), prepared once per database. */
const meetQuery = (db: Tx, named: boolean) => prepared(db, `handovers.meet.${named ? 'ids' : 'book'}`, (q) => meetSelect(q, scoped(named)).prepare());

/** meetSelect of the strategic accounts in `ids` (a batch's), prepared once per database. */
const meetIdsQuery = (db: Tx) => prepared(db, 'handovers.meet.batch', (q) => meetSelect(q, inIds(accounts.id)).prepare());

/** @from's active accounts by name (`tenantId`, `fromId`): the book a handover with no account named takes. */
const bookQuery = (db: Tx) =>
  prepared(db, 'handovers.book', (q) =>
    q
      .select({ id: accounts.id, name: accounts.name, tier: accounts.tier })
      .from(accounts)
      .where(and(eq(accounts.tenantId, sql.placeholder('tenantId')), eq(accounts.ownerId, sql.placeholder('fromId')), eq(accounts.status, 'active')))
      .orderBy(asc(accounts.nameKey))
      .prepare(),
  );

/**
 * How much is open in @from's name (`tenantId`, `fromId`) of each kind a handover moves, on the
 * accounts in `ids` (named) or anywhere: one statement of five counts, prepared once per database.
 */
const openQuery = (db: Tx, named: boolean) =>
  prepared(db, `handovers.open.${named ? 'ids' : 'all'}`, (q) => {
    const n = (table: OpenTable, still: () => SQL) =>
      sql<number>`(${q
        .select({ n: count() })
        .from(table as typeof complaints)
        .where(and(eq(table.tenantId, sql.placeholder('tenantId')), eq(table.ownerId, sql.placeholder('fromId')), still(), named ? inIds(table.accountId) : undefined))})`;
    const [c, p, r, t] = OPEN.map(([table, still]) => n(table, still)) as [SQL<number>, SQL<number>, SQL<number>, SQL<number>];
    const pairs = sql<number>`(${q
      .select({ n: count() })
      .from(pairings)
      .where(
        and(
          eq(pairings.tenantId, sql.placeholder('tenantId')),
          eq(pairings.execId, sql.placeholder('fromId')),
          eq(pairings.active, true),
          named ? inIds(pairings.accountId) : undefined,
        ),
      )})`;
    return q
      .select({
        openComplaints: c.mapWith(Number),
        openPromises: p.mapWith(Number),
        openReviews: r.mapWith(Number),
        openTasks: t.mapWith(Number),
        activePairings: pairs.mapWith(Number),
      })
      .from(sql`(select 1) as one`)
      .prepare();
  });

/**
 * Moves what is open of @from's, on the accounts `where` selects (every account: undefined), to @to:
 * at most `limit` of each kind when given. A complaint that changes hands with the book is a pass in
 * its history, as a reassignment is; a pairing follows as the job says. Returns how many rows moved.
 */
async function moveOpen(db: Tx, job: Job, where: (accountId: Column) => SQL | undefined, limit?: number): Promise<number> {
  let moved = 0;
  for (const [table, still] of OPEN) {
    const query = db
      .select({ id: table.id })
      .from(table as typeof complaints)
      .where(and(eq(table.tenantId, job.tenantId), eq(table.ownerId, job.fromId), still(), where(table.accountId)));
    const ids = (limit === undefined ? await query.all() : await query.limit(limit).all()).map((r) => r.id);
    for (const part of chunks(ids)) {
      await db
        .update(table)
        .set({ ownerId: job.toId } as never)
        .where(inArray(table.id, part))
        .run();
      if (table === complaints)
        await db
          .insert(complaintEvents)
          .values(part.map((complaintId) => ({ tenantId: job.tenantId, complaintId, kind: 'pass' as const, at: job.at, actorId: job.actorId, fromId: job.fromId, toId: job.toId })))
          .run();
    }
    moved += ids.length;
  }
  if (job.pairs) {
    const query = db
      .select({ id: pairings.id, accountId: pairings.accountId })
      .from(pairings)
      .where(and(eq(pairings.tenantId, job.tenantId), eq(pairings.execId, job.fromId), eq(pairings.active, true), where(pairings.accountId)))
      .orderBy(asc(pairings.id));
    const active = limit === undefined ? await query.all() : await query.limit(limit).all();
    for (const part of chunks(active)) {
      const already = new Set(
        (
          await db
            .select({ accountId: pairings.accountId })
            .from(pairings)
            .where(
              and(
                inArray(
                  pairings.accountId,
                  part.map((p) => p.accountId),
                ),
                eq(pairings.execId, job.toId),
                eq(pairings.active, true),
              ),
            )
            .all()
        ).map((r) => r.accountId),
      );
      // @to already paired with the account: @from's pairing ends; otherwise it becomes @to's (one of
      // them, should @from have two there: whichever batch takes the next finds @to paired already).
      const [end, pass]: [number[], number[]] = [[], []];
      for (const p of part) {
        (already.has(p.accountId) ? end : pass).push(p.id);
        already.add(p.accountId);
      }
      if (end.length) await db.update(pairings).set({ active: false, endedAt: job.at }).where(inArray(pairings.id, end)).run();
      if (pass.length) await db.update(pairings).set({ execId: job.toId }).where(inArray(pairings.id, pass)).run();
    }
    moved += active.length;
  }
  return moved;
}

/**
 * Moves the accounts `ids` that are still @from's to @to, with what is open of @from's on them (on
 * all of `ids`: an account given to someone else meanwhile still hands over @from's open work), and
 * lists a meeting with every active contact of each strategic account moved not already listed.
 */
async function moveAccounts(db: Tx, job: Job, ids: number[]): Promise<void> {
  for (const part of chunks(ids)) {
    const moving = await db
      .select({ id: accounts.id, tier: accounts.tier })
      .from(accounts)
      .where(and(inArray(accounts.id, part), eq(accounts.ownerId, job.fromId)))
      .all();
    if (moving.length)
      await db
        .update(accounts)
        .set({ ownerId: job.toId, ownerGoneAt: null, updatedAt: job.at })
        .where(
          inArray(
            accounts.id,
            moving.map((a) => a.id),
          ),
        )
        .run();
    await moveOpen(db, job, (column) => inArray(column, part));
    const strategic = moving.filter((a) => a.tier === 'strategic').map((a) => a.id);
    const fresh = strategic.length ? await meetIdsQuery(db).all({ ids: JSON.stringify(strategic) }) : [];
    for (const rows of chunks(fresh))
      await db
        .insert(tasks)
        .values(
          rows.map((c) => ({
            tenantId: job.tenantId,
            kind: 'handover' as const,
            accountId: c.accountId,
            contactId: c.id,
            ownerId: job.toId,
            itemKey: 'meet-contact',
            dueOn: job.dueOn,
            createdAt: job.at,
          })),
        )
        .run();
  }
}

/**
 * One step of `job`: the next `size` accounts of its scope (those still @from's move), or, once every
 * account is taken, up to `size` of each kind of open item still @from's in its scope (on the named
 * accounts; none named: wherever it is). False when there was nothing left to do. Safe to redo: it
 * moves only what is still @from's, so when the job is done nothing open in its scope is.
 */
async function step(db: Tx, job: Job, size: number): Promise<boolean> {
  if (job.cursor < job.accountIds.length) {
    const part = job.accountIds.slice(job.cursor, job.cursor + size);
    await moveAccounts(db, job, part);
    job.cursor += part.length;
    return true;
  }
  // What a command opened in @from's name meanwhile on an account already moved (or, no account named, anywhere).
  return (await moveOpen(db, job, job.named ? (column) => inArray(column, job.accountIds) : () => undefined, size)) > 0;
}

export interface HandoverOptions {
  /** Accounts per transaction (HANDOVER_BATCH): a handover of more, or with more open items than twice this, is a job. */
  batch?: number;
}

/**
 * Moves @from's accounts (those `names` mean, or all their active ones) to @to, with what is
 * open on them (named accounts: what is open on those; otherwise everything open
 * in @from's name, wherever it is). Validates, counts what will move and lists the
 * checklist in the command's transaction. A small handover moves everything there; a
 * large one is only recorded there, as a job: the caller moves it
 * after the commit, a batch per transaction (finishHandovers), `ctx.unfinished` set.
 */
export async function handOver(ctx: DomainCtx, from: Member, to: Member, names: string[] | undefined, what: string, opts: HandoverOptions = {}): Promise<Handover> {
  const { db } = ctx;
  await requireHandover(ctx, from, what);
  if (from.id === to.id) throw new Refusal('handover.same', nameOf(ctx, from)!);
  if (!to.active) throw new Refusal('handover.inactiveTo', nameOf(ctx, to)!);
  const named = names && (await accountsToHand(ctx, names, from));
  const moving: Moving[] = named ?? (await bookQuery(db).all({ tenantId: ctx.tenant.id, fromId: from.id }));
  const ids = moving.map((a) => a.id);
  // What is open in @from's name (on the named accounts, or anywhere): one statement, prepared once.
  const scope = { tenantId: ctx.tenant.id, fromId: from.id, ...(named ? { ids: JSON.stringify(ids) } : {}) };
  const { openComplaints, openPromises, openReviews, openTasks, activePairings } = (await openQuery(db, Boolean(named)).get(scope))!;
  const total = moving.length + openComplaints + openPromises + openReviews + openTasks + activePairings;
  if (total === 0) throw new Refusal('handover.nothing', nameOf(ctx, from)!);
  const canPair = to.role === 'exec' || to.role === 'admin';
  const pairingsMoved = canPair ? activePairings : 0;

  // The checklist: meet every active contact of each strategic account moved, unless that meeting is
  // already on the list (moved with an earlier handover); listed in the order the accounts move (by
  // name), each account's people by name. The batches list the same meetings as they move the accounts.
  const due = DateTime.fromJSDate(ctx.now, { zone: ctx.zone }).plus({ days: HANDOVER_MEET_DAYS }).toISODate()!;
  const meetings: Handover['meetings'] = [];
  const freshOf = new Map<number, string[]>();
  for (const p of await meetQuery(db, Boolean(named)).all(scope)) {
    const people = freshOf.get(p.accountId);
    if (people) people.push(p.name);
    else freshOf.set(p.accountId, [p.name]);
  }
  for (const a of moving) for (const contact of freshOf.get(a.id) ?? []) meetings.push({ contact, account: a.name });

  const job: Job = {
    tenantId: ctx.tenant.id,
    fromId: from.id,
    toId: to.id,
    actorId: ctx.actor.id,
    accountIds: [...ids].sort((a, b) => a - b),
    named: Boolean(named),
    pairs: canPair,
    cursor: 0,
    dueOn: due,
    at: ctx.now,
  };
  const size = opts.batch ?? HANDOVER_BATCH;
  let jobId: number | undefined;
  if (ids.length <= size && total - moving.length + meetings.length <= 2 * size) {
    while (await step(db, job, Number.MAX_SAFE_INTEGER));
  } else {
    // Only recorded here: the batches move everything, each in its own transaction, so the
    // command's holds the lock for what its reply needs (the book, the counts, the checklist).
    jobId = (await db.insert(handoverJobs).values(job).returning({ id: handoverJobs.id }).get()).id;
    ctx.unfinished = true;
  }

  const moved = {
    accounts: moving.length,
    complaints: openComplaints,
    promises: openPromises,
    pairings: pairingsMoved,
    reviews: openReviews,
    tasks: openTasks,
  };
  const pairingsKept = activePairings - pairingsMoved;
  await ctx.audit('handover', 'member', from.id, { to: to.id, accountIds: ids, ...moved, pairingsKept, meetings: meetings.length, ...(jobId ? { job: jobId } : {}) });
  return { accounts: moving, moved, pairingsKept, meetings, due, ...(jobId ? { job: jobId } : {}) };
}

/** Whether a handover job is left to finish (one a crash or a restart interrupted, or one just recorded). */
export async function unfinishedHandover(db: Tx): Promise<boolean> {
  return (await db.select({ id: handoverJobs.id }).from(handoverJobs).where(isNull(handoverJobs.doneAt)).limit(1).get()) !== undefined;
}

/**
 * One batch of the oldest unfinished handover job, in the caller's transaction (one of its own):
 * the next accounts of its scope still @from's, with what is open on them, then what is left of
 * @from's elsewhere; the job is marked done at `now` once nothing is left. Redone after a crash, a
 * batch moves only what is still @from's: nothing twice, no second pass event, no meeting listed
 * twice. False when no job was left.
 */
export async function handoverBatch(db: Tx, now: Date, size = HANDOVER_BATCH): Promise<boolean> {
  const row = await db.select().from(handoverJobs).where(isNull(handoverJobs.doneAt)).orderBy(asc(handoverJobs.id)).limit(1).get();
  if (!row) return false;
  const { id, doneAt: _, ...job } = row;
  const more = await step(db, job, size);
  await db
    .update(handoverJobs)
    .set(more ? { cursor: job.cursor } : { doneAt: now })
    .where(eq(handoverJobs.id, id))
    .run();
  return true;
}
