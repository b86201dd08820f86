// The viewer's book at a glance, for a platform's home screen (Slack's App Home).
import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { accounts, complaints, promises } from '../db/schema.js';
import { daysUntil, fmtDay, fmtRelative, named, ref } from '../src/domain/format.js';
import { readsOrganisation } from '../src/domain/teams.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { Ctx } from '../src/engine/spec.js';
import { lastVisitSql, lastTouchSql, revisitDue, snoozeEnds } from '../src/domain/cadence.js';

const HOME_LIMIT = 40;

export function homeReply(ctx: Ctx): Reply {
  const { t, db } = ctx;
  const rows = db
    .select({ a: accounts, last: lastTouchSql, lastVisit: lastVisitSql })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, ctx.actor.id), eq(accounts.status, 'active')))
    .all();
  const ids = rows.map((r) => r.a.id);
  // A snoozed revisit is due when its snooze ends, as the sweep nudges it.
  const snoozed = ids.length ? snoozeEnds(db, ctx.tenant.id, 'revisit', ids) : new Map<number, number>();
  const book = rows.map((r) => ({ ...r, due: Math.max(revisitDue(ctx.tenant, r.a, r.lastVisit), snoozed.get(r.a.id) ?? 0) })).sort((x, y) => x.due - y.due);
  // Open complaints on the viewer's accounts, and those the viewer owns on anyone's.
  const open = db
    .select({ c: complaints, account: accounts.name })
    .from(complaints)
    .innerJoin(accounts, eq(accounts.id, complaints.accountId))
    .where(and(eq(complaints.tenantId, ctx.tenant.id), eq(complaints.status, 'open'), or(eq(complaints.ownerId, ctx.actor.id), ids.length ? inArray(complaints.accountId, ids) : undefined)))
    .orderBy(asc(complaints.deadlineAt))
    .all();
  const mine = db
    .select({ p: promises, account: accounts.name })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .where(and(eq(promises.tenantId, ctx.tenant.id), eq(promises.ownerId, ctx.actor.id), eq(promises.status, 'open')))
    .orderBy(asc(promises.dueOn))
    .all();
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
