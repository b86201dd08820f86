// A rep lowered an account's attention: the message to the owner's manager (src/domain/attention.ts says who).
import { managerToTell } from '../domain/attention.js';
import type { DomainCtx } from '../domain/context.js';
import type { Account } from '../domain/types.js';
import { viewFor, type View } from '../domain/view.js';
import { list, reply, text } from '../engine/reply.js';
import type { Tells } from './notices.js';

/**
 * Tells the manager of `account`'s owner that the actor, a rep, lowered its attention, with each
 * change worded in the manager's language. Nothing when there is nothing to tell or nobody to tell.
 */
export async function tellOwnersManager(ctx: DomainCtx & Tells, account: Account, changes: ((v: View) => string)[], note?: string): Promise<void> {
  if (changes.length === 0) return;
  const manager = await managerToTell(ctx, account);
  if (!manager) return;
  const view = viewFor(ctx.tenant, manager, ctx.now);
  const { t } = view;
  const out = reply('warning', t.attention.lowered(ctx.actor.name, account.name), list(changes.map((c) => c(view))));
  if (note) out.sections.push(text(t.attention.why(note)));
  out.sections.push(text(t.attention.hint));
  ctx.notices.push({ to: { member: manager }, reply: out });
}
