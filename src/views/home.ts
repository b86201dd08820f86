// The viewer's book at a glance, for a platform's home screen (Slack's App Home); the data is
// src/domain/home.ts's.
import type { Platform } from '../../db/schema.js';
import type { DomainCtx } from '../domain/context.js';
import { daysUntil, fmtDay, fmtRelative, named, ref } from '../domain/format.js';
import { homeBook } from '../domain/home.js';
import { readsOrganisation } from '../domain/teams.js';
import { list, reply, text, type Reply } from '../engine/reply.js';

const HOME_LIMIT = 40;

export async function homeReply(ctx: DomainCtx & { platform: Platform }): Promise<Reply> {
  const { t } = ctx;
  const { accounts: book, complaints: open, promises: mine } = await homeBook(ctx);
  const shown = book.slice(0, HOME_LIMIT);
  const out = reply(
    'info',
    t.home.title(named(ctx, ctx.actor)),
    text(t.home.summary(book.length, open.length, mine.length)),
    list(
      shown.map(({ a, last, due }) =>
        t.home.accountLine(a.name, t.enums.tier[a.tier], last ? fmtRelative(ctx, new Date(last)) : t.account.neverTouched, fmtDay(ctx, new Date(due)), due < ctx.now.getTime()),
      ),
      { heading: t.home.accountsHeading, empty: t.account.noneYet, more: book.length - shown.length },
    ),
    list(
      open.map(({ c, account }) => t.account.complaintLine(ref('C', c.number), t.enums.severity[c.severity], `${account}: ${c.summary}`, c.deadlineAt < ctx.now)),
      { heading: t.account.complaintsHeading(open.length), empty: t.common.none },
    ),
    list(
      mine.map(({ p, account }) => t.account.promiseLine(ref('P', p.number), `${account}: ${p.text}`, fmtDay(ctx, p.dueOn), daysUntil(ctx, p.dueOn) < 0)),
      { heading: t.account.promisesHeading(mine.length), empty: t.common.none },
    ),
  );
  out.buttons = [
    { label: t.buttons.logTouch, command: '/touch', style: 'primary' },
    { label: t.buttons.logComplaint, command: '/complaint' },
    { label: readsOrganisation(ctx.actor) ? t.buttons.orgDigest : t.buttons.digest, command: '/digest' },
  ];
  return out;
}
