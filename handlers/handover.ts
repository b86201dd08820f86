// Handover (交接): moving a rep's accounts, with everything still open on them,
// to someone else, and the new owner's checklist; and recording that a rep has
// left, so their accounts are flagged "owner gone" until someone takes them over.
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { accounts, members } from '../db/schema.js';
import { fmtDay, named as nameOf, personName } from '../src/domain/format.js';
import { handOver, HANDOVER_MEET_DAYS } from '../src/domain/handovers.js';
import { countWhere } from '../src/domain/numbers.js';
import { memberById, requireAbove } from '../src/domain/permissions.js';
import type { Member } from '../src/domain/types.js';
import { viewFor, type View } from '../src/domain/view.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply, type Section } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';

/**
 * Account names typed after the mentions: several, separated by commas (, ， 、)
 * or each in quotes ("…", “…”, 「…」, 『…』). An unquoted run is one name, spaces included.
 */
export function splitNames(typed: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』|([^,，、"“”「」『』]+)/gu;
  for (const m of typed.matchAll(re)) {
    const name = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').trim();
    if (name) out.push(name);
  }
  return out;
}

interface Moved {
  accounts: number;
  complaints: number;
  promises: number;
  pairings: number;
  reviews: number;
  tasks: number;
}

interface Meeting {
  contact: string;
  account: string;
}

function countLines(t: View['t'], moved: Moved): string[] {
  const h = t.handover.counts;
  return [
    h.accounts(moved.accounts),
    h.complaints(moved.complaints),
    h.promises(moved.promises),
    h.pairings(moved.pairings),
    h.reviews(moved.reviews),
    h.tasks(moved.tasks),
  ];
}

function checklist(view: View, meetings: Meeting[], due: string): Section {
  const { t } = view;
  return list(
    meetings.map((m) => t.handover.meet(m.contact, m.account, fmtDay(view, due))),
    { heading: t.handover.checklistHeading(HANDOVER_MEET_DAYS), empty: t.handover.noChecklist },
  );
}

function handover(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const from = input.member('from')!;
  const to = input.member('to')!;
  const names = input.text ? splitNames(input.text) : undefined;
  if (names?.length === 0) throw new UserError(t.handover.noNames, [], false);
  const done = handOver(ctx, from, to, names, t.handover.whatHandover(nameOf(ctx, from)));
  const { moved, meetings, due, pairingsKept } = done;
  const moving = done.accounts;

  const who = (view: View, m: Member) => personName(view.t, ctx.tenant.platform, m);
  const compose = (view: View, title: string): Reply => {
    const out = reply('success', title, list(countLines(view.t, moved), { heading: view.t.handover.movedHeading }));
    if (moving.length) out.sections.push(list(moving.map((a) => a.name), { heading: view.t.handover.accountsHeading }));
    if (pairingsKept) out.sections.push(text(view.t.handover.pairingsKept(pairingsKept, who(view, from), who(view, to))));
    out.sections.push(checklist(view, meetings, due));
    return out;
  };
  if (to.id !== ctx.actor.id) {
    const view = viewFor(ctx.tenant, to, ctx.now);
    ctx.notices.push({ to: { member: to }, reply: compose(view, view.t.handover.received(who(view, from), who(view, ctx.actor), moving.length)) });
  }
  return compose(ctx, t.handover.done(nameOf(ctx, from), nameOf(ctx, to), moving.length));
}

function leave(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const rep = input.member('member')!;
  requireAbove(ctx, rep, t.handover.whatLeave(nameOf(ctx, rep)));
  if (rep.id === ctx.actor.id) throw new UserError(t.handover.selfLeave, [], false);
  if (!rep.active) throw new UserError(t.handover.alreadyLeft(nameOf(ctx, rep)), [], false);
  // As /steward role: the workspace must keep someone who can administer it.
  if (rep.role === 'admin') {
    const admins = countWhere(ctx.db, members, and(eq(members.tenantId, ctx.tenant.id), eq(members.role, 'admin'), eq(members.active, true), ne(members.id, rep.id)));
    if (admins === 0) throw new UserError(t.steward.lastAdmin(nameOf(ctx, rep)), [], false);
  }
  const manager = memberById(ctx, rep.managerId);
  return recordLeave(ctx, rep, manager, nameOf(ctx, ctx.actor));
}

/**
 * A member has left: deactivate them, flag their accounts "owner gone", and ask
 * their manager (or, without one, an admin) to hand the accounts over. `by` names
 * who reported it: a person, or the platform that reported the user deactivated.
 */
export function recordLeave(ctx: Ctx, rep: Member, manager: Member | undefined, by: string): Reply {
  const { t, db } = ctx;
  db.update(members).set({ active: false, leftAt: ctx.now }).where(eq(members.id, rep.id)).run();
  const book = db
    .select()
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, rep.id), eq(accounts.status, 'active')))
    .orderBy(asc(accounts.nameKey))
    .all();
  if (book.length) db.update(accounts).set({ ownerGoneAt: ctx.now }).where(inArray(accounts.id, book.map((a) => a.id))).run();
  ctx.audit('member.left', 'member', rep.id, { accounts: book.map((a) => a.id) });

  const command = `/handover @${rep.platformUserId} @someone`;
  const ask = (view: View): Section[] => [
    list(book.map((a) => a.name), { heading: view.t.handover.accountsHeading, empty: view.t.common.none }),
    text(view.t.handover.runCommand(command)),
  ];
  const admin = () => db.select().from(members).where(and(eq(members.tenantId, ctx.tenant.id), eq(members.role, 'admin'), eq(members.active, true))).get();
  const lead = manager?.active ? manager : ctx.actor.id === rep.id ? admin() : undefined;
  const askManager = lead && lead.id !== ctx.actor.id ? lead : undefined;
  if (askManager) {
    const view = viewFor(ctx.tenant, askManager, ctx.now);
    ctx.notices.push({ to: { member: askManager }, reply: reply('warning', view.t.handover.leftAsk(personName(view.t, ctx.tenant.platform, rep), book.length, by), ...ask(view)) });
  }
  const out = reply('success', t.handover.left(nameOf(ctx, rep), book.length), ...ask(ctx));
  out.sections.push(text(askManager ? t.handover.askedManager(nameOf(ctx, askManager)) : t.handover.handThemYourself));
  return out;
}

export const handoverCommand: CommandSpec = {
  name: 'handover',
  aliases: ['交接', '移交'],
  summary: 'handover',
  forms: [
    {
      usage: '@from @to [account, ...]',
      args: [
        { name: 'from', type: 'mention' },
        { name: 'to', type: 'mention' },
      ],
      text: { name: 'account', required: false },
      run: handover,
    },
  ],
  examples: {
    en: ['/handover @zhang @wang', '/handover @zhang @wang Acme, "Beta Trading"'],
    'zh-CN': ['/交接 @张伟 @王芳', '/交接 @张伟 @王芳 华东物流，“北方贸易”'],
  },
};

export const leaveCommand: CommandSpec = {
  name: 'leave',
  aliases: ['离职'],
  summary: 'leave',
  forms: [{ usage: '@someone', args: [{ name: 'member', type: 'mention' }], run: leave }],
  examples: { en: ['/leave @zhang'], 'zh-CN': ['/离职 @张伟'] },
};
