// Who may do what. Anyone logs touchpoints, complaints and signals (every
// function is in sales); changing someone's work needs them, their manager or an admin.
import { and, eq } from 'drizzle-orm';
import { members, pairings } from '../../db/schema.js';
import { UserError } from '../engine/errors.js';
import type { Rich } from '../engine/reply.js';
import type { Ctx } from '../engine/spec.js';
import type { Member } from './types.js';

export function memberById(ctx: Ctx, id: number | null | undefined): Member | undefined {
  return id == null ? undefined : ctx.db.select().from(members).where(eq(members.id, id)).get();
}

/** The owner, the owner's manager, or an admin; otherwise a refusal that names who may. */
export function requireOwnerOrManager(ctx: Ctx, ownerId: number | null, what: string, also: readonly number[] = []): void {
  const { actor, t } = ctx;
  if (actor.role === 'admin' || ownerId === null || ownerId === actor.id || also.includes(actor.id)) return;
  const owner = memberById(ctx, ownerId);
  if (owner?.managerId === actor.id) return;
  const manager = memberById(ctx, owner?.managerId);
  const who: Rich[] = [owner ? t.perm.owner(owner.name) : t.perm.theOwner];
  if (manager) who.push(t.perm.manager(manager.name));
  throw new UserError(t.perm.refused(what, who.map(String)), [], false);
}

export function requireAdmin(ctx: Ctx, what: string): void {
  if (ctx.actor.role !== 'admin') throw new UserError(ctx.t.perm.adminOnly(what), [], false);
}

/** The executives paired with an account: the escalation ladder calls on them, so they may act on its complaints. */
export function pairedExecIds(ctx: Ctx, accountId: number): number[] {
  return ctx.db
    .select({ id: pairings.execId })
    .from(pairings)
    .where(and(eq(pairings.accountId, accountId), eq(pairings.active, true)))
    .all()
    .map((r) => r.id);
}
