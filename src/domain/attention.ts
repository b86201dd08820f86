// Changes that lower the attention an account gets (a lower tier, a longer
// cadence, an ended pairing, a long snooze) are a manager's business: made by a
// rep, they are told to the owner's manager at once, through the outbox.
import { list, reply, text } from '../engine/reply.js';
import type { Ctx } from '../engine/spec.js';
import { memberById } from './permissions.js';
import type { Account } from './types.js';
import { viewFor, type View } from './view.js';

/** A snooze longer than this is a change of the account's attention, not a pause. */
export const LONG_SNOOZE_DAYS = 7;

/** Tiers from the most attention to the least. */
export const TIER_ORDER = ['strategic', 'key', 'standard'] as const;

/**
 * Tells the manager of `account`'s owner that the actor, a rep, lowered its attention, with each
 * change worded in the manager's language. Nothing when the actor is not a rep, the owner has no
 * manager (or has left), or the manager is the actor.
 */
export function tellOwnersManager(ctx: Ctx, account: Account, changes: ((v: View) => string)[], note?: string): void {
  if (ctx.actor.role !== 'rep' || changes.length === 0) return;
  const owner = memberById(ctx, account.ownerId);
  const manager = memberById(ctx, owner?.managerId);
  if (!manager?.active || manager.id === ctx.actor.id) return;
  const view = viewFor(ctx.tenant, manager, ctx.now);
  const { t } = view;
  const out = reply('warning', t.attention.lowered(ctx.actor.name, account.name), list(changes.map((c) => c(view))));
  if (note) out.sections.push(text(t.attention.why(note)));
  out.sections.push(text(t.attention.hint));
  ctx.notices.push({ to: { member: manager }, reply: out });
}
