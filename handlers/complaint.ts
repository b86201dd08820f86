import { and, asc, desc, eq } from 'drizzle-orm';
import { alertOwnerAndExecs } from '../src/views/alerts.js';
import { signalSuggestions } from '../src/views/cues.js';
import { accounts, complaints, COMPLAINT_STATUSES, members } from '../db/schema.js';
import { fmtDateTime, fmtRelative, named, personColumns, personName, ref } from '../src/domain/format.js';
import { countWhere, firstPage, LIST_LIMIT } from '../src/domain/numbers.js';
import { memberById, pairedExecIds, requireOwnerOrManager, requireTeam } from '../src/domain/permissions.js';
import { openComplaint } from '../src/domain/complaints.js';
import { complaintLife, fmtSpan, markFirstAnswer, recordComplaintEvent, type LifeStep } from '../src/domain/complaint-life.js';
import { effectiveSettings } from '../src/domain/settings.js';
import type { Account, Complaint } from '../src/domain/types.js';
import { complaintSpanEnd } from '../src/domain/ladder.js';
import { viewFor } from '../src/domain/view.js';
import { UserError } from '../src/engine/errors.js';
import { fields, list, reply, text, type Reply, type Rich } from '../src/engine/reply.js';
import { channelCard, complaintButtons, complaintCard } from '../src/views/complaint.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg, allFlag, categoryOption, mineFlag, optionalAccountArg, severityOption } from './options.js';

export async function complaintByNumber(ctx: Ctx, n: number): Promise<Complaint> {
  const c = await ctx.db
    .select()
    .from(complaints)
    .where(and(eq(complaints.tenantId, ctx.tenant.id), eq(complaints.number, n)))
    .get();
  if (!c) throw UserError.refusal(ctx.t.complaint.unknown(ref('C', n)));
  return c;
}

async function accountOf(ctx: Ctx, c: Complaint): Promise<Account> {
  return (await ctx.db.select().from(accounts).where(eq(accounts.id, c.accountId)).get())!;
}

async function open(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const { complaint: c, alert } = await openComplaint(ctx, {
    account,
    severity: input.str('severity') as Complaint['severity'] | undefined,
    category: input.str('category') as Complaint['category'] | undefined,
    summary: input.text,
  });
  const { severity } = c;
  const card = await complaintCard(ctx, c, account);
  if (alert) {
    await alertOwnerAndExecs(ctx, account, async (v) => ({
      ...(await complaintCard(ctx, c, account, v)),
      tone: 'error',
      title: alert.kind === 'critical' ? v.t.nudge.alertCritical(ref('C', c.number), account.name) : v.t.nudge.alertRepeat(account.name, alert.recent),
    }));
  }
  const channel = effectiveSettings(ctx.tenant.settings).escalationChannel;
  // Complaints are handled in the open: the channel's message becomes the complaint's thread. It is
  // the workspace's channel: in its language and time zone, as the escalations that follow in the thread.
  if (channel) ctx.notices.push({ to: { channel }, reply: await channelCard(ctx, c, account), complaintId: c.id });
  // A warning sign the summary names (a competitor's offer, a price cut): one tap records it, nothing before.
  const suggested = await signalSuggestions(ctx, account, input.text);
  return {
    ...card,
    tone: 'success',
    title: t.complaint.opened(ref('C', c.number), account.name, t.enums.severity[severity], fmtDateTime(ctx, c.deadlineAt)),
    sections: [...card.sections, ...suggested.sections],
    buttons: [...card.buttons, ...suggested.buttons],
  };
}

/** The complaint's card, then its life in one view: how long to a first answer and to a fix, whose hands, every step. */
async function show(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const c = await complaintByNumber(ctx, input.num('complaint')!);
  const out = await complaintCard(ctx, c, await accountOf(ctx, c));
  const life = await complaintLife(ctx.db, c, ctx.now);
  const names = new Map<number, string>();
  const name = async (id: number | null | undefined) => {
    if (id == null) return t.common.nobody;
    if (!names.has(id)) names.set(id, named(ctx, await memberById(ctx, id)) ?? t.common.nobody);
    return names.get(id)!;
  };
  const resolved = c.status === 'resolved';
  const span = fmtSpan(ctx, life.openFor);
  const summary = [
    life.passes > 0 ? t.complaint.life.passed(life.passes, life.people, life.teams, span, resolved) : t.complaint.life.neverPassed(span, resolved),
    c.reopenCount > 0 ? t.complaint.life.reopenedTimes(c.reopenCount) : '',
  ]
    .filter(Boolean)
    .join(' ');
  // In turn: one connection's queries run one at a time (PostgreSQL's client refuses overlapping ones).
  const hands: string[] = [];
  for (const id of life.hands) hands.push(await name(id));
  const rows: { label: string; value: Rich }[] = [
    {
      label: t.complaint.life.firstAnswer,
      value: life.firstAnswerAfter !== undefined ? t.complaint.life.after(fmtSpan(ctx, life.firstAnswerAfter)) : t.complaint.life.noAnswer(span),
    },
    { label: resolved ? t.complaint.life.resolvedAfter : t.complaint.life.openFor, value: span },
    { label: t.complaint.life.hands, value: hands.join(' → ') || t.common.nobody },
  ];
  const h = t.complaint.history;
  const line = async (s: LifeStep): Promise<string> => {
    switch (s.kind) {
      case 'opened':
        return h.opened(await name(s.actorId), t.enums.severity[c.severity]);
      case 'note':
        return h.note(await name(s.actorId), s.text ?? '');
      case 'resolve':
        return h.resolved(await name(s.actorId), s.text ?? '');
      case 'reopen':
        return h.reopened(await name(s.actorId), s.text ?? undefined);
      case 'pass':
        // Someone who took it for themselves took it (from its owner, if it had one); its owner handing it on passed it.
        if (s.actorId != null && s.toId === s.actorId && s.fromId !== s.actorId)
          return s.fromId === null ? h.took(await name(s.toId)) : h.tookFrom(await name(s.toId), await name(s.fromId));
        return s.actorId === s.fromId ? h.passed(await name(s.fromId), await name(s.toId)) : h.passedBy(await name(s.fromId), await name(s.toId), await name(s.actorId));
      case 'escalation':
        return h.escalated(s.rung, s.toId != null ? await name(s.toId) : s.channel ? `#${s.channel}` : t.common.nobody);
      case 'weekly':
        return h.weekly(s.times, fmtDateTime(ctx, s.last));
    }
  };
  const steps = life.steps.slice(-HISTORY_LIMIT);
  out.sections.push(
    text(summary),
    fields(rows),
    list(await inTurn(steps, async (s) => `${fmtDateTime(ctx, s.at)} · ${await line(s)}`), { heading: h.heading, more: life.steps.length - steps.length }),
  );
  return out;
}

/** The history's last steps shown; the summary and the fields above it count them all. */
const HISTORY_LIMIT = 40;

/** Who may write on the account may add a progress note; its owner's first one is the complaint's first answer. */
async function note(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const c = await complaintByNumber(ctx, input.num('complaint')!);
  const account = await accountOf(ctx, c);
  const id = ref('C', c.number);
  await requireTeam(ctx, account, t.perm.what.note(id));
  await recordComplaintEvent(ctx.db, c, 'note', ctx.now, { actorId: ctx.actor.id, text: input.text });
  const answers = c.status === 'open' && c.ownerId === ctx.actor.id && !c.firstAnswerAt;
  if (answers) await markFirstAnswer(ctx.db, c.id, ctx.now);
  await ctx.audit('complaint.note', 'complaint', c.id, {});
  const out = reply('success', t.complaint.noteAdded(id), text(input.text));
  if (answers) out.sections.push(text(t.complaint.firstAnswer(fmtSpan(ctx, ctx.now.getTime() - c.openedAt.getTime()))));
  // Its owner hears what others write on it; the thread, where it has one, keeps the story in the open.
  const owner = await memberById(ctx, c.ownerId);
  if (owner?.active && owner.id !== ctx.actor.id) {
    const view = viewFor(ctx.tenant, owner, ctx.now);
    ctx.notices.push({
      to: { member: owner },
      complaintId: c.id,
      reply: reply('info', view.t.complaint.noteToOwner(id, personName(view.t, ctx.tenant.platform, ctx.actor)), text(input.text)),
    });
  }
  if (c.threadChannel) {
    const { t: w } = viewFor(ctx.tenant, undefined, ctx.now);
    ctx.notices.push({
      to: { channel: c.threadChannel },
      complaintId: c.id,
      reply: { ...reply('info', w.complaint.threadNote(id, personName(w, ctx.tenant.platform, ctx.actor)), text(input.text)), visibility: 'public' },
    });
  }
  out.buttons = complaintButtons(ctx, c);
  return out;
}

/**
 * A resolved complaint opened again (the fix did not hold, the customer came back):
 * a new deadline from now, the ladder from its first rung; its history and first answer stay.
 */
async function reopen(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const c = await complaintByNumber(ctx, input.num('complaint')!);
  const id = ref('C', c.number);
  if (c.status !== 'resolved') throw UserError.refusal(t.complaint.notResolved(id));
  const account = await accountOf(ctx, c);
  await requireTeam(ctx, account, t.perm.what.reopen(id));
  // It goes back to whoever had it; if they have left, to the account's owner, else to whoever reopens it.
  const had = await memberById(ctx, c.ownerId);
  const accountOwner = await memberById(ctx, account.ownerId);
  const ownerId = had?.active ? had.id : accountOwner?.active ? accountOwner.id : ctx.actor.id;
  const reason = input.text || null;
  const deadlineAt = complaintSpanEnd(ctx.tenant, c.severity, ctx.now);
  const again = await ctx.db
    .update(complaints)
    .set({
      status: 'open',
      ownerId,
      deadlineAt,
      escalationLevel: 0,
      escalatedAt: null,
      resolution: null,
      resolvedAt: null,
      resolvedById: null,
      reopenCount: c.reopenCount + 1,
      reopenedAt: ctx.now,
    })
    .where(eq(complaints.id, c.id))
    .returning()
    .get();
  await recordComplaintEvent(ctx.db, c, 'reopen', ctx.now, { actorId: ctx.actor.id, text: reason });
  if (ownerId !== c.ownerId) await recordComplaintEvent(ctx.db, c, 'pass', ctx.now, { actorId: ctx.actor.id, fromId: c.ownerId, toId: ownerId });
  await ctx.audit('complaint.reopen', 'complaint', c.id, { reopens: again.reopenCount });
  const card = await complaintCard(ctx, again, account);
  const out: Reply = { ...card, tone: 'success', title: t.complaint.reopened(id, fmtDateTime(ctx, deadlineAt)) };
  if (reason) out.sections = [text(t.complaint.reopenReason(reason)), ...out.sections];
  const owner = await memberById(ctx, ownerId);
  if (owner && owner.id !== ctx.actor.id) {
    const view = viewFor(ctx.tenant, owner, ctx.now);
    const theirs = await complaintCard(ctx, again, account, view);
    ctx.notices.push({
      to: { member: owner },
      complaintId: c.id,
      reply: {
        ...theirs,
        title: view.t.complaint.reopenedToYou(id, personName(view.t, ctx.tenant.platform, ctx.actor)),
        sections: reason ? [text(view.t.complaint.reopenReason(reason)), ...theirs.sections] : theirs.sections,
      },
    });
  }
  if (c.threadChannel) {
    const { t: w } = viewFor(ctx.tenant, undefined, ctx.now);
    ctx.notices.push({
      to: { channel: c.threadChannel },
      complaintId: c.id,
      reply: {
        ...reply('warning', w.complaint.threadReopened(id, personName(w, ctx.tenant.platform, ctx.actor)), ...(reason ? [text(w.complaint.reopenReason(reason))] : [])),
        visibility: 'public',
      },
    });
  }
  return out;
}

async function assign(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const c = await complaintByNumber(ctx, input.num('complaint')!);
  const to = input.flag('me') ? ctx.actor : input.member('to');
  if (!to) throw UserError.usage(t.errors.missingArg(t.placeholders.someone));
  if (c.status !== 'open') throw UserError.refusal(t.complaint.alreadyResolved(ref('C', c.number)));
  // Taking ownership of an unowned complaint is always welcome.
  if (!(input.flag('me') && c.ownerId === null)) await requireOwnerOrManager(ctx, c.ownerId, t.perm.what.reassign(ref('C', c.number)), await pairedExecIds(ctx, c.accountId));
  if (!to.active) throw UserError.refusal(t.complaint.inactiveMember(named(ctx, to)));
  await ctx.db.update(complaints).set({ ownerId: to.id }).where(eq(complaints.id, c.id)).run();
  await ctx.audit('complaint.assign', 'complaint', c.id, { from: c.ownerId, to: to.id });
  await recordComplaintEvent(ctx.db, c, 'pass', ctx.now, { actorId: ctx.actor.id, fromId: c.ownerId, toId: to.id });
  // Taking it for oneself is an answer: someone of ours has it in hand.
  if (to.id === ctx.actor.id) await markFirstAnswer(ctx.db, c.id, ctx.now);
  if (to.id !== ctx.actor.id) {
    const view = viewFor(ctx.tenant, to, ctx.now);
    const card = await complaintCard(ctx, { ...c, ownerId: to.id }, await accountOf(ctx, c), view);
    ctx.notices.push({ to: { member: to }, reply: { ...card, title: view.t.complaint.assignedToYou(ref('C', c.number), personName(view.t, ctx.tenant.platform, ctx.actor)) } });
  }
  return reply('success', [t.complaint.assigned(ref('C', c.number)), { mention: ctx.mention(to) }]);
}

async function listComplaints(ctx: Ctx, input: Input): Promise<Reply> {
  const { t, db } = ctx;
  const account = input.optionalAccount();
  const status = input.flag('all') ? undefined : ((input.str('status') as Complaint['status'] | undefined) ?? 'open');
  const where = and(
    eq(complaints.tenantId, ctx.tenant.id),
    status ? eq(complaints.status, status) : undefined,
    account ? eq(complaints.accountId, account.id) : undefined,
    input.flag('mine') ? eq(complaints.ownerId, ctx.actor.id) : undefined,
  );
  const rows = await db
    .select({ c: complaints, account: accounts.name, owner: personColumns })
    .from(complaints)
    .innerJoin(accounts, eq(accounts.id, complaints.accountId))
    .leftJoin(members, eq(members.id, complaints.ownerId))
    .where(where)
    .orderBy(status === 'open' ? asc(complaints.deadlineAt) : desc(complaints.openedAt))
    .limit(LIST_LIMIT + 1)
    .all();
  const { shown, total } = await firstPage(rows, () => countWhere(ctx.db, complaints, where));
  const items = shown.map(({ c, account: name, owner }) =>
    t.complaint.listLine(
      ref('C', c.number),
      name,
      t.enums.severity[c.severity],
      c.summary,
      named(ctx, owner) ?? t.common.nobody,
      c.status === 'resolved' ? t.enums.complaintStatus.resolved : c.deadlineAt < ctx.now ? t.common.overdue : t.complaint.dueIn(fmtRelative(ctx, c.deadlineAt)),
    ),
  );
  return reply(
    'info',
    t.complaint.listTitle(total, status ? t.enums.complaintStatus[status] : undefined),
    list(items, { empty: t.complaint.noneOpen, more: total - items.length }),
  );
}

const complaintRef = { name: 'complaint', type: 'ref', prefix: 'C' } as const;

export const complaint: CommandSpec = {
  name: 'complaint',
  aliases: ['complaints', '投诉'],
  summary: 'complaint',
  forms: [
    {
      sub: 'list',
      subAliases: ['ls', '列表'],
      usage: '[account] [mine] [all] [status:open|resolved]',
      args: [optionalAccountArg],
      flags: [mineFlag, allFlag],
      options: [{ name: 'status', aliases: ['状态'], type: 'enum', values: COMPLAINT_STATUSES, valueAliases: { 未解决: 'open', 已解决: 'resolved' } }],
      run: listComplaints,
    },
    {
      sub: 'assign',
      subAliases: ['reassign', 'take', '指派', '转交', '认领'],
      usage: 'C-<n> @someone|me',
      args: [complaintRef, { name: 'to', type: 'mention', optional: true }],
      flags: [{ name: 'me', aliases: ['我'] }],
      run: assign,
    },
    { sub: 'show', subAliases: ['history', '查看', '经过', '历史'], usage: 'C-<n>', args: [complaintRef], run: show },
    { sub: 'note', subAliases: ['progress', '备注', '进展'], usage: 'C-<n> <note>', args: [complaintRef], text: { name: 'note', required: true }, run: note },
    { sub: 'reopen', subAliases: ['重开', '重新打开'], usage: 'C-<n> [reason]', args: [complaintRef], text: { name: 'reason', required: false }, run: reopen },
    {
      usage: '<account> [severity:critical|high|medium|low] [category:damage|delay|billing|service|quality|other] <summary>',
      args: [accountArg],
      options: [severityOption, categoryOption],
      text: { name: 'summary', required: true },
      run: open,
    },
  ],
  examples: {
    en: [
      '/complaint Acme severity:high category:damage 3 pallets crushed on the Shanghai-Chengdu lane',
      '/complaint list mine',
      '/complaint assign C-12 @li',
      '/complaint note C-12 Called their logistics director; claim form sent',
      '/complaint show C-12',
      '/complaint reopen C-12 Same damage again on the next shipment',
    ],
    'zh-CN': [
      '/投诉 华东 严重度:高 类别:货损 沪蓉线三托货物压坏',
      '/投诉 列表 我的',
      '/投诉 指派 C-12 @李娜',
      '/投诉 备注 C-12 已致电对方物流总监，理赔单已发出',
      '/投诉 查看 C-12',
      '/投诉 重开 C-12 下一批货又出现同样的货损',
    ],
  },
};

/** `xs.map(f)` for an async `f`, one call after another (queries on one connection take turns). */
async function inTurn<T, U>(xs: readonly T[], f: (x: T) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (const x of xs) out.push(await f(x));
  return out;
}
