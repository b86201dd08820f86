// A member has left (someone ran /leave, or the platform reported them deactivated): they are
// deactivated, their accounts flagged "owner gone" until someone takes them over, and someone is
// chosen to hand them over (src/views/leavers.ts words the ask and the answer).
import { and, asc, eq } from 'drizzle-orm';
import { accounts, members } from '../../db/schema.js';
import type { DomainCtx } from './context.js';
import type { Account, Member } from './types.js';

export interface Leave {
  rep: Member;
  /** Their active accounts, by name, now flagged "owner gone". */
  book: Account[];
  /** Who is asked to hand them over: their manager, or, when they reported their own leaving without one, an admin; never the actor. */
  ask?: Member;
}

/** Records that `rep` has left; `manager` is theirs (undefined without one). */
export async function recordLeave(ctx: DomainCtx, rep: Member, manager: Member | undefined): Promise<Leave> {
  const { db } = ctx;
  await db.update(members).set({ active: false, leftAt: ctx.now }).where(eq(members.id, rep.id)).run();
  const theirs = and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, rep.id), eq(accounts.status, 'active'));
  const book = await db.select().from(accounts).where(theirs).orderBy(asc(accounts.nameKey)).all();
  // One statement by owner, not by a list of ids: a book of any size, no limit on bound values.
  if (book.length) await db.update(accounts).set({ ownerGoneAt: ctx.now }).where(theirs).run();
  await ctx.audit('member.left', 'member', rep.id, { accounts: book.map((a) => a.id) });
  const admin = () =>
    db
      .select()
      .from(members)
      .where(and(eq(members.tenantId, ctx.tenant.id), eq(members.role, 'admin'), eq(members.active, true)))
      .get();
  const lead = manager?.active ? manager : ctx.actor.id === rep.id ? await admin() : undefined;
  const ask = lead && lead.id !== ctx.actor.id ? lead : undefined;
  return ask ? { rep, book, ask } : { rep, book };
}
