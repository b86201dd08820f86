// Handing a rep's book to someone else: the accounts, with everything still open
// on them (complaints, promises, review items, tasks, leadership pairings), and
// the new owner's checklist of people to meet. The rules and the writes live
// here; /handover binds who and which accounts, and words the outcome.
import { and, asc, eq, inArray, isNull, ne, type Column, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { accounts, complaintEvents, complaints, contacts, pairings, promises, reviewItems, tasks } from '../../db/schema.js';
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

/** Who leads a team: a manager, or an executive above managers. */
const leads = (m: Member) => m.role === 'manager' || m.role === 'exec';

const nameOf = (ctx: DomainCtx, m: Member | undefined) => (m ? personName(ctx.t, ctx.tenant.platform, m) : undefined);

/**
 * An admin, or a manager or executive whose line @from is in (a manager's own book included), as for
 * /leave: a manager or executive of another line may not give it away. Otherwise a refusal naming who may.
 */
export function requireHandover(ctx: DomainCtx, from: Member, what: string): void {
  const { actor } = ctx;
  if (actor.role === 'admin') return;
  const above = managersAbove(ctx, from);
  if ((actor.role === 'manager' && from.id === actor.id) || (leads(actor) && above.some((m) => m.id === actor.id))) return;
  throw new Refusal('perm.refused', what, managersWho(ctx, above, leads));
}

/** The accounts `names` (one or more) mean, each owned by `from`; a refusal for a name that means none, several, or someone else's. */
export function accountsToHand(ctx: DomainCtx, names: string[], from: Member): Account[] {
  const found = new Map<number, Account>();
  for (const name of names) {
    const m = matchAccount(ctx.db, ctx.tenant.id, name);
    if (m.kind === 'ambiguous') throw new Refusal('errors.ambiguousAccount', name).listing(m.candidates.map((a) => a.name));
    if (m.kind === 'none') throw new Refusal('errors.unknownAccount', name, m.suggestions);
    const account = m.item;
    if (account.ownerId !== from.id) throw new Refusal('handover.notTheirs', account.name, nameOf(ctx, from)!, nameOf(ctx, memberById(ctx, account.ownerId)));
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
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Moves @from's accounts (those `names` mean, or all their active ones) to @to, with what is
 * open on them (named accounts: what is open on those; otherwise everything open
 * in @from's name, wherever it is), in the command's transaction. Set-based: a
 * statement per 500 rows, so a book of thousands moves in milliseconds.
 */
export function handOver(ctx: DomainCtx, from: Member, to: Member, names: string[] | undefined, what: string): Handover {
  const { db } = ctx;
  requireHandover(ctx, from, what);
  if (from.id === to.id) throw new Refusal('handover.same', nameOf(ctx, from)!);
  if (!to.active) throw new Refusal('handover.inactiveTo', nameOf(ctx, to)!);
  const named = names && accountsToHand(ctx, names, from);
  const moving: Moving[] =
    named ??
    db
      .select({ id: accounts.id, name: accounts.name, tier: accounts.tier })
      .from(accounts)
      .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, from.id), eq(accounts.status, 'active')))
      .orderBy(asc(accounts.nameKey))
      .all();
  const ids = moving.map((a) => a.id);
  const scope = (column: Column): SQL | undefined => (named ? inArray(column, ids.length ? ids : [-1]) : undefined);
  const open = <T extends typeof complaints | typeof promises | typeof reviewItems | typeof tasks>(table: T, still: SQL) =>
    db
      .select({ id: table.id })
      .from(table as typeof complaints)
      .where(and(eq(table.tenantId, ctx.tenant.id), eq(table.ownerId, from.id), still, scope(table.accountId)))
      .all()
      .map((r) => r.id);
  const openComplaints = open(complaints, eq(complaints.status, 'open'));
  const openPromises = open(promises, eq(promises.status, 'open'));
  const openReviews = open(reviewItems, ne(reviewItems.status, 'held'));
  const openTasks = open(tasks, isNull(tasks.doneAt));
  const activePairings = db
    .select()
    .from(pairings)
    .where(and(eq(pairings.tenantId, ctx.tenant.id), eq(pairings.execId, from.id), eq(pairings.active, true), scope(pairings.accountId)))
    .all();
  const total = moving.length + openComplaints.length + openPromises.length + openReviews.length + openTasks.length + activePairings.length;
  if (total === 0) throw new Refusal('handover.nothing', nameOf(ctx, from)!);

  for (const part of chunks(ids)) db.update(accounts).set({ ownerId: to.id, ownerGoneAt: null, updatedAt: ctx.now }).where(inArray(accounts.id, part)).run();
  const move = <T extends typeof complaints | typeof promises | typeof reviewItems | typeof tasks>(table: T, rows: number[]) => {
    for (const part of chunks(rows))
      db.update(table)
        .set({ ownerId: to.id } as never)
        .where(inArray(table.id, part))
        .run();
  };
  move(complaints, openComplaints);
  // A complaint that changes hands with the book is a pass in its history, as a reassignment is.
  for (const part of chunks(openComplaints)) {
    db.insert(complaintEvents)
      .values(part.map((complaintId) => ({ tenantId: ctx.tenant.id, complaintId, kind: 'pass' as const, at: ctx.now, actorId: ctx.actor.id, fromId: from.id, toId: to.id })))
      .run();
  }
  move(promises, openPromises);
  move(reviewItems, openReviews);
  move(tasks, openTasks);

  const canPair = to.role === 'exec' || to.role === 'admin';
  let pairingsMoved = 0;
  if (canPair && activePairings.length) {
    const already = new Set(
      chunks(activePairings.map((p) => p.accountId)).flatMap((part) =>
        db
          .select({ accountId: pairings.accountId })
          .from(pairings)
          .where(and(inArray(pairings.accountId, part), eq(pairings.execId, to.id), eq(pairings.active, true)))
          .all()
          .map((r) => r.accountId),
      ),
    );
    // @to already paired with the account: @from's pairing ends; otherwise it becomes @to's.
    const [end, pass] = [activePairings.filter((p) => already.has(p.accountId)), activePairings.filter((p) => !already.has(p.accountId))];
    for (const part of chunks(end.map((p) => p.id))) db.update(pairings).set({ active: false, endedAt: ctx.now }).where(inArray(pairings.id, part)).run();
    for (const part of chunks(pass.map((p) => p.id))) db.update(pairings).set({ execId: to.id }).where(inArray(pairings.id, part)).run();
    pairingsMoved = activePairings.length;
  }

  // The checklist: meet every active contact of each strategic account moved,
  // unless that meeting is already on the list (moved with an earlier handover).
  const due = DateTime.fromJSDate(ctx.now, { zone: ctx.zone }).plus({ days: HANDOVER_MEET_DAYS }).toISODate()!;
  const meetings: Handover['meetings'] = [];
  for (const part of chunks(moving.filter((x) => x.tier === 'strategic'))) {
    const byId = new Map(part.map((a) => [a.id, a]));
    const people = db
      .select({ id: contacts.id, accountId: contacts.accountId, name: contacts.name })
      .from(contacts)
      .where(and(inArray(contacts.accountId, [...byId.keys()]), eq(contacts.active, true)))
      .orderBy(asc(contacts.accountId), asc(contacts.nameKey))
      .all();
    const listed = new Set(
      db
        .select({ contactId: tasks.contactId })
        .from(tasks)
        .where(and(inArray(tasks.accountId, [...byId.keys()]), eq(tasks.kind, 'handover'), eq(tasks.itemKey, 'meet-contact'), isNull(tasks.doneAt)))
        .all()
        .map((x) => x.contactId),
    );
    const fresh = people.filter((p) => !listed.has(p.id));
    for (const rows of chunks(fresh)) {
      db.insert(tasks)
        .values(
          rows.map((c) => ({
            tenantId: ctx.tenant.id,
            kind: 'handover' as const,
            accountId: c.accountId,
            contactId: c.id,
            ownerId: to.id,
            itemKey: 'meet-contact',
            dueOn: due,
            createdAt: ctx.now,
          })),
        )
        .run();
    }
    // Listed in the order the accounts moved (by name), each account's people by name.
    const freshOf = new Map<number, typeof fresh>();
    for (const p of fresh) freshOf.set(p.accountId, [...(freshOf.get(p.accountId) ?? []), p]);
    for (const a of part) for (const c of freshOf.get(a.id) ?? []) meetings.push({ contact: c.name, account: a.name });
  }

  const moved = {
    accounts: moving.length,
    complaints: openComplaints.length,
    promises: openPromises.length,
    pairings: pairingsMoved,
    reviews: openReviews.length,
    tasks: openTasks.length,
  };
  const pairingsKept = activePairings.length - pairingsMoved;
  ctx.audit('handover', 'member', from.id, { to: to.id, accountIds: ids, ...moved, pairingsKept, meetings: meetings.length });
  return { accounts: moving, moved, pairingsKept, meetings, due };
}
