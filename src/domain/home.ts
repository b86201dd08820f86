// Someone's book at a glance (what a platform's home screen shows, src/views/home.ts): their active
// accounts, soonest revisit first; the open complaints on them or owned by them; their open promises.
import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { accounts, complaints, promises } from '../../db/schema.js';
import { lastTouchSql, lastVisitSql, revisitDue, snoozeEnds } from './cadence.js';
import type { DomainCtx } from './context.js';
import type { Account, Complaint, Promise_ } from './types.js';

export interface HomeBook {
  /** The actor's active accounts, the soonest revisit first: `last` touch and revisit `due` as epoch ms. */
  accounts: { a: Account; last: number | null; due: number }[];
  /** Open complaints on the actor's accounts, and those the actor owns on anyone's, the nearest deadline first. */
  complaints: { c: Complaint; account: string }[];
  /** The actor's open promises, the soonest due first. */
  promises: { p: Promise_; account: string }[];
}

export async function homeBook(ctx: Pick<DomainCtx, 'db' | 'tenant' | 'actor'>): Promise<HomeBook> {
  const { db } = ctx;
  const rows = await db
    .select({ a: accounts, last: lastTouchSql, lastVisit: lastVisitSql })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, ctx.actor.id), eq(accounts.status, 'active')))
    .all();
  const ids = rows.map((r) => r.a.id);
  // A snoozed revisit is due when its snooze ends, as the sweep nudges it.
  const snoozed = ids.length ? await snoozeEnds(db, ctx.tenant.id, 'revisit', ids) : new Map<number, number>();
  const book = rows.map((r) => ({ a: r.a, last: r.last, due: Math.max(revisitDue(ctx.tenant, r.a, r.lastVisit), snoozed.get(r.a.id) ?? 0) })).sort((x, y) => x.due - y.due);
  const open = await db
    .select({ c: complaints, account: accounts.name })
    .from(complaints)
    .innerJoin(accounts, eq(accounts.id, complaints.accountId))
    .where(
      and(
        eq(complaints.tenantId, ctx.tenant.id),
        eq(complaints.status, 'open'),
        or(eq(complaints.ownerId, ctx.actor.id), ids.length ? inArray(complaints.accountId, ids) : undefined),
      ),
    )
    .orderBy(asc(complaints.deadlineAt))
    .all();
  const mine = await db
    .select({ p: promises, account: accounts.name })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .where(and(eq(promises.tenantId, ctx.tenant.id), eq(promises.ownerId, ctx.actor.id), eq(promises.status, 'open')))
    .orderBy(asc(promises.dueOn))
    .all();
  return { accounts: book, complaints: open, promises: mine };
}
