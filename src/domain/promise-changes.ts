// Promises to a customer: making one, closing it kept or broken, moving it to a
// new date agreed openly. /promise binds and words; the rules and writes are here.
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { promiseMoves, promises } from '../../db/schema.js';
import { checkOwner } from './accounts.js';
import type { DomainCtx } from './context.js';
import { daysUntil, fmtDay, ref } from './format.js';
import { nextNumber } from './numbers.js';
import { requireOwnerOrManager, requireTeam } from './permissions.js';
import { moveCounts } from './promises.js';
import { Refusal } from './refusal.js';
import type { Account, Member, Promise_ } from './types.js';

/** A promise is due today or later, in the reader's calendar. */
function checkDue(ctx: DomainCtx, day: string): void {
  if (daysUntil(ctx, day) < 0) throw Object.assign(new Refusal('promise.pastDue', fmtDay(ctx, day)), { field: 'due' });
}

// /promise runs these: prepared once per database (see db/prepared.ts).
const ph = sql.placeholder;
const byNumber = (db: Tx) =>
  prepared(db, 'promises.byNumber', (q) =>
    q
      .select()
      .from(promises)
      .where(and(eq(promises.tenantId, ph('tenantId')), eq(promises.number, ph('number'))))
      .prepare(),
  );
const insertPromise = (db: Tx) =>
  prepared(db, 'promises.insert', (q) =>
    q
      .insert(promises)
      .values({
        tenantId: ph('tenantId'),
        number: ph('number'),
        accountId: ph('accountId'),
        ownerId: ph('ownerId'),
        text: ph('text'),
        dueOn: ph('dueOn'),
        createdAt: ph('createdAt'),
      })
      .returning()
      .prepare(),
  );

export async function promiseByNumber(ctx: DomainCtx, n: number): Promise<Promise_> {
  const p = await byNumber(ctx.db).get({ tenantId: ctx.tenant.id, number: n });
  if (!p) throw new Refusal('promise.unknown', ref('P', n));
  return p;
}

/** Records a promise to the account, owned by `owner` (the actor by default), due on `due` (YYYY-MM-DD). */
export async function makePromise(ctx: DomainCtx, account: Account, input: { text: string; due: string; owner?: Member }, what: string): Promise<Promise_> {
  await requireTeam(ctx, account, what);
  checkDue(ctx, input.due);
  const owner = input.owner ?? ctx.actor;
  checkOwner(ctx, ctx.tenant.platform, owner);
  const p = (await insertPromise(ctx.db).get({
    tenantId: ctx.tenant.id,
    number: await nextNumber(ctx.db, promises, ctx.tenant.id),
    accountId: account.id,
    ownerId: owner.id,
    text: input.text,
    dueOn: input.due,
    createdAt: ctx.now,
  }))!;
  await ctx.audit('promise.make', 'promise', p.id, { account: account.name, due: input.due });
  return p;
}

/** Closes an open promise as kept or broken; its owner, someone above them or an admin may. How many times it had moved, and whether it was late. */
export async function closePromise(ctx: DomainCtx, n: number, status: 'kept' | 'broken', note: string, what: string): Promise<{ promise: Promise_; late: boolean; moved: number }> {
  const p = await promiseByNumber(ctx, n);
  if (p.status !== 'open') throw new Refusal('promise.alreadyClosed', ref('P', n), ctx.t.enums.promiseStatus[p.status]);
  await requireOwnerOrManager(ctx, p.ownerId, what);
  await ctx.db.update(promises).set({ status, closedAt: ctx.now, closedById: ctx.actor.id }).where(eq(promises.id, p.id)).run();
  await ctx.audit(`promise.${status}`, 'promise', p.id, note ? { note } : {});
  // Kept by the date it was moved to is kept; that it moved stays visible.
  return { promise: p, late: daysUntil(ctx, p.dueOn) < 0, moved: (await moveCounts(ctx.db, [p.id])).get(p.id) ?? 0 };
}

/** Renegotiated openly: a new due date, agreed with the customer, with the reason, kept in the promise's history. */
export async function movePromise(ctx: DomainCtx, n: number, due: string, reason: string, what: string): Promise<{ promise: Promise_; times: number }> {
  const p = await promiseByNumber(ctx, n);
  if (p.status !== 'open') throw new Refusal('promise.moveClosed', ref('P', n), ctx.t.enums.promiseStatus[p.status]);
  await requireOwnerOrManager(ctx, p.ownerId, what);
  checkDue(ctx, due);
  if (due === p.dueOn) throw Object.assign(new Refusal('promise.moveSame', ref('P', n), fmtDay(ctx, p.dueOn)), { field: 'due' });
  await ctx.db.insert(promiseMoves).values({ tenantId: ctx.tenant.id, promiseId: p.id, fromOn: p.dueOn, toOn: due, reason, byId: ctx.actor.id, movedAt: ctx.now }).run();
  await ctx.db.update(promises).set({ dueOn: due }).where(eq(promises.id, p.id)).run();
  await ctx.audit('promise.move', 'promise', p.id, { from: p.dueOn, to: due, reason });
  return { promise: p, times: (await moveCounts(ctx.db, [p.id])).get(p.id) ?? 1 };
}
