// An urgent alert, worded for each of those who hear it (src/domain/alerts.ts says who).
import type { DomainCtx } from '../domain/context.js';
import { alertRecipients } from '../domain/alerts.js';
import type { Account } from '../domain/types.js';
import { viewFor, type View } from '../domain/view.js';
import type { Reply } from '../engine/reply.js';
import type { Tells } from './notices.js';

/** Tells `account`'s owner and paired executives at once, each in their own language (`compose`). */
export async function alertOwnerAndExecs(ctx: DomainCtx & Tells, account: Account, compose: (view: View) => Reply | Promise<Reply>): Promise<void> {
  for (const m of await alertRecipients(ctx, account)) ctx.notices.push({ to: { member: m }, reply: await compose(viewFor(ctx.tenant, m, ctx.now)) });
}
