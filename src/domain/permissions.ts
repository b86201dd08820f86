// Who may do what. Anyone logs touchpoints, complaints and signals (every
// function is in sales); changing someone's work needs them, someone above them or an admin.
import { and, eq, sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.js';
import { members, pairings } from '../../db/schema.js';
import type { DomainCtx as Ctx } from './context.js';
import { Refusal } from './refusal.js';
import type { Member } from './types.js';

export async function memberById(ctx: Pick<Ctx, 'db'>, id: number | null | undefined): Promise<Member | undefined> {
  return id == null ? undefined : await byId(ctx.db).get({ id });
}

// Most commands look people up by id, often more than once: prepared once per database (see db/prepared.ts).
const byId = (db: Ctx['db']) =>
  prepared(db, 'permissions.memberById', (q) =>
    q
      .select()
      .from(members)
      .where(eq(members.id, sql.placeholder('id')))
      .prepare(),
  );

/** Someone who reports to the member `id` (whether the member leads a team). */
const anyReport = (db: Ctx['db']) =>
  prepared(db, 'permissions.anyReport', (q) =>
    q
      .select({ id: members.id })
      .from(members)
      .where(eq(members.managerId, sql.placeholder('id')))
      .prepare(),
  );

/** Hops followed up the reporting chain: /steward team refuses loops, this guards against rows written around it. */
const MAX_HOPS = 50;

/**
 * Everyone `member` reports to, directly or not, nearest first: the leads whose
 * team they are in (teamOf). People who have left stay in the chain, as in teamOf.
 */
export async function managersAbove(ctx: Ctx, member: Member | undefined): Promise<Member[]> {
  const chain: Member[] = [];
  const seen = new Set(member ? [member.id] : []);
  for (let m = await memberById(ctx, member?.managerId); m && !seen.has(m.id) && chain.length < MAX_HOPS; m = await memberById(ctx, m.managerId)) {
    seen.add(m.id);
    chain.push(m);
  }
  return chain;
}

/** Those of `chain` who may act, named for a refusal; someone who has left can't. */
export function managersWho(ctx: Ctx, chain: Member[], may: (m: Member) => boolean = () => true): string[] {
  const who = chain.filter((m) => m.active && may(m));
  const [first] = who;
  if (!first) return [];
  return [who.length === 1 && first === chain[0] ? ctx.t.perm.manager(first.name) : ctx.t.perm.managersAbove(who.map((m) => m.name))];
}

/** The owner, anyone above the owner, or an admin; otherwise a refusal that names who may. */
export async function requireOwnerOrManager(ctx: Ctx, ownerId: number | null, what: string, also: readonly number[] = []): Promise<void> {
  const { actor, t } = ctx;
  if (actor.role === 'admin' || ownerId === null || ownerId === actor.id || also.includes(actor.id)) return;
  const owner = await memberById(ctx, ownerId);
  const above = await managersAbove(ctx, owner);
  if (above.some((m) => m.id === actor.id)) return;
  const who = [owner ? t.perm.owner(owner.name) : t.perm.theOwner, ...managersWho(ctx, above)];
  throw new Refusal('perm.refused', what, who);
}

/**
 * The owner of an account (by `ownerId`) when it is another team's than the actor's: the actor's
 * team is everyone under the actor's manager (or under the actor, for a lead without one), with the
 * managers above the actor. An admin, and someone in no team yet (no manager, nobody reporting to
 * them), have no other team.
 */
export async function otherTeamsOwner(ctx: Ctx, ownerId: number | null): Promise<Member | undefined> {
  const { actor } = ctx;
  if (actor.role === 'admin' || ownerId === null || ownerId === actor.id) return undefined;
  const owner = await memberById(ctx, ownerId);
  if (!owner) return undefined;
  const lead = actor.managerId ?? actor.id;
  if ([owner, ...(await managersAbove(ctx, owner))].some((m) => m.id === lead || m.id === actor.id)) return undefined;
  if ((await managersAbove(ctx, actor)).some((m) => m.id === owner.id)) return undefined;
  if (actor.managerId === null && !(await anyReport(ctx.db).get({ id: actor.id }))) return undefined;
  return owner;
}

/**
 * Writing on an account follows the team, as reading does: its owner's team, the managers above it,
 * an executive (its paired ones, or any, whose view spans teams) or an admin.
 */
export async function requireTeam(ctx: Ctx, account: { id: number; ownerId: number | null }, what: string): Promise<void> {
  const owner = await otherTeamsOwner(ctx, account.ownerId);
  if (!owner || ctx.actor.role === 'exec' || (await pairedExecIds(ctx, account.id)).includes(ctx.actor.id)) return;
  throw new Refusal('perm.otherTeam', what, owner.name);
}

/** Anyone above `member`, or an admin: what moving their work to someone else needs. */
export async function requireAbove(ctx: Ctx, member: Member, what: string): Promise<void> {
  if (ctx.actor.role === 'admin') return;
  const above = await managersAbove(ctx, member);
  if (!above.some((m) => m.id === ctx.actor.id)) throw new Refusal('perm.refused', what, managersWho(ctx, above));
}

export function requireAdmin(ctx: Ctx, what: string): void {
  if (ctx.actor.role !== 'admin') throw new Refusal('perm.adminOnly', what);
}

/** The executives paired with an account: the escalation ladder calls on them, so they may act on its complaints. */
export async function pairedExecIds(ctx: Ctx, accountId: number): Promise<number[]> {
  return (await pairedExecs(ctx.db).all({ accountId })).map((r) => r.id);
}

const pairedExecs = (db: Ctx['db']) =>
  prepared(db, 'permissions.pairedExecs', (q) =>
    q
      .select({ id: pairings.execId })
      .from(pairings)
      .where(and(eq(pairings.accountId, sql.placeholder('accountId')), eq(pairings.active, true)))
      .prepare(),
  );
