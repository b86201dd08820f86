// Changes that lower the attention an account gets (a lower tier, a longer
// cadence, an ended pairing, a long snooze) are a manager's business: made by a
// rep, they are told to the owner's manager at once, through the outbox
// (src/views/attention.ts words it).
import type { DomainCtx } from './context.js';
import { memberById } from './permissions.js';
import type { Account, Member } from './types.js';

/** A snooze longer than this is a change of the account's attention, not a pause. */
export const LONG_SNOOZE_DAYS = 7;

/** Tiers from the most attention to the least. */
export const TIER_ORDER = ['strategic', 'key', 'standard'] as const;

/**
 * Who is told when the actor lowers `account`'s attention: the owner's manager when the actor is a rep.
 * Nobody when the actor is not a rep, the owner has no manager (or has left), or the manager is the actor.
 */
export async function managerToTell(ctx: DomainCtx, account: Account): Promise<Member | undefined> {
  if (ctx.actor.role !== 'rep') return undefined;
  const owner = await memberById(ctx, account.ownerId);
  const manager = await memberById(ctx, owner?.managerId);
  if (!manager?.active || manager.id === ctx.actor.id) return undefined;
  return manager;
}
