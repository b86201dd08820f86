// Handover (交接): moving a rep's accounts, with everything still open on them,
// to someone else, and the new owner's checklist; and recording that a rep has
// left, so their accounts are flagged "owner gone" until someone takes them over.
import { and, eq, ne } from 'drizzle-orm';
import { members } from '../db/schema.js';
import { fmtDay, named as nameOf, personName } from '../src/domain/format.js';
import { handOver, HANDOVER_MEET_DAYS } from '../src/domain/handovers.js';
import { countWhere } from '../src/domain/numbers.js';
import { memberById, requireAbove } from '../src/domain/permissions.js';
import type { Member } from '../src/domain/types.js';
import { viewFor, type View } from '../src/domain/view.js';
import { recordLeave } from '../src/domain/leavers.js';
import { askHandover, leftReply } from '../src/views/leavers.js';
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
  return [h.accounts(moved.accounts), h.complaints(moved.complaints), h.promises(moved.promises), h.pairings(moved.pairings), h.reviews(moved.reviews), h.tasks(moved.tasks)];
}

function checklist(view: View, meetings: Meeting[], due: string): Section {
  const { t } = view;
  const by = fmtDay(view, due);
  return list(
    meetings.map((m) => t.handover.meet(m.contact, m.account, by)),
    { heading: t.handover.checklistHeading(HANDOVER_MEET_DAYS), empty: t.handover.noChecklist },
  );
}

async function handover(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const from = input.member('from')!;
  const to = input.member('to')!;
  const names = input.text ? splitNames(input.text) : undefined;
  if (names?.length === 0) throw UserError.refusal(t.handover.noNames);
  const done = await handOver(ctx, from, to, names, t.handover.whatHandover(nameOf(ctx, from)), { batch: ctx.handoverBatch });
  const { moved, meetings, due, pairingsKept } = done;
  const moving = done.accounts;

  const who = (view: View, m: Member) => personName(view.t, ctx.tenant.platform, m);
  const compose = (view: View, title: string): Reply => {
    const out = reply('success', title, list(countLines(view.t, moved), { heading: view.t.handover.movedHeading }));
    if (moving.length)
      out.sections.push(
        list(
          moving.map((a) => a.name),
          { heading: view.t.handover.accountsHeading },
        ),
      );
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

async function leave(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const rep = input.member('member')!;
  await requireAbove(ctx, rep, t.handover.whatLeave(nameOf(ctx, rep)));
  if (rep.id === ctx.actor.id) throw UserError.refusal(t.handover.selfLeave);
  if (!rep.active) throw UserError.refusal(t.handover.alreadyLeft(nameOf(ctx, rep)));
  // As /steward role: the workspace must keep someone who can administer it.
  if (rep.role === 'admin') {
    const admins = await countWhere(ctx.db, members, and(eq(members.tenantId, ctx.tenant.id), eq(members.role, 'admin'), eq(members.active, true), ne(members.id, rep.id)));
    if (admins === 0) throw UserError.refusal(t.steward.lastAdmin(nameOf(ctx, rep)));
  }
  const left = await recordLeave(ctx, rep, await memberById(ctx, rep.managerId));
  askHandover(ctx, left, nameOf(ctx, ctx.actor));
  return leftReply(ctx, left);
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
