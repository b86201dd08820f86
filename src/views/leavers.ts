// A member has left (src/domain/leavers.ts records it): the ask to whoever hands their accounts over,
// and the answer to whoever reported it.
import type { Platform } from '../../db/schema.js';
import type { DomainCtx } from '../domain/context.js';
import { named, personName } from '../domain/format.js';
import type { Leave } from '../domain/leavers.js';
import { viewFor, type View } from '../domain/view.js';
import { list, reply, text, type Reply, type Section } from '../engine/reply.js';
import type { Tells } from './notices.js';

const askSections = (view: View, left: Leave): Section[] => [
  list(
    left.book.map((a) => a.name),
    { heading: view.t.handover.accountsHeading, empty: view.t.common.none },
  ),
  text(view.t.handover.runCommand(`/handover @${left.rep.platformUserId} @someone`)),
];

/** Asks the one chosen to hand `left`'s accounts over, in their language; `by` names who reported it (a person, or the platform). */
export function askHandover(ctx: DomainCtx & Tells, left: Leave, by: string): void {
  if (!left.ask) return;
  const view = viewFor(ctx.tenant, left.ask, ctx.now);
  ctx.notices.push({
    to: { member: left.ask },
    reply: reply('warning', view.t.handover.leftAsk(personName(view.t, ctx.tenant.platform, left.rep), left.book.length, by), ...askSections(view, left)),
  });
}

/** What the one who reported the leaving is told: done, the accounts, and who was asked to hand them over (or that they should). */
export function leftReply(ctx: View & { platform: Platform }, left: Leave): Reply {
  const { t } = ctx;
  const out = reply('success', t.handover.left(named(ctx, left.rep), left.book.length), ...askSections(ctx, left));
  out.sections.push(text(left.ask ? t.handover.askedManager(named(ctx, left.ask)) : t.handover.handThemYourself));
  return out;
}
