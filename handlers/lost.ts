// Lost accounts: why, to whom, the lesson, and the last conversation's
// checklist; churn by count and by revenue against what good teams reach.
import { and, desc, eq, isNull } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { accountLosses, accounts, LOST_REASONS, members, tasks, type LostReason } from '../db/schema.js';
import { fmtDay, fmtMoney, fmtPercent, named } from '../src/domain/format.js';
import { requireOwnerOrManager } from '../src/domain/permissions.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply, type Section } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg } from './options.js';
import { LAST_CONVERSATION } from '../src/domain/tasks.js';
import { complaintTimes } from '../src/domain/complaint-life.js';
import { complaintTimesSection } from '../src/views/digest.js';
import { churnBook, churnFigures, churnStart, type ChurnBook, type ChurnSpan } from '../src/domain/churn.js';
import { organisation, readsOrganisation, teamOf, type OrgTeam } from '../src/domain/teams.js';

const CHECKLIST_DAYS = 14;
/** The reason words /lost accepts besides the categories themselves, in both languages. */
const REASON_WORDS: Record<string, LostReason> = {
  turnover: 'staff-turnover',
  price: 'price-market',
  details: 'neglected-details',
  promise: 'broken-promise',
  人员流动: 'staff-turnover',
  竞争对手: 'competitor',
  价格: 'price-market',
  市场波动: 'price-market',
  '市场波动/价格': 'price-market',
  细节疏忽: 'neglected-details',
  诚信问题: 'broken-promise',
  店大欺客: 'arrogance',
  忽视中小客户: 'neglect-small-customers',
  自然流失: 'natural-attrition',
};

async function lost(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  if (account.status === 'lost') throw UserError.refusal(t.lost.already(account.name));
  await requireOwnerOrManager(ctx, account.ownerId, t.perm.what.lose(account.name));
  const reason = input.str('reason') as LostReason;
  await ctx.db.update(accounts).set({ status: 'lost', updatedAt: ctx.now }).where(eq(accounts.id, account.id)).run();
  const loss = await ctx.db
    .insert(accountLosses)
    .values({
      tenantId: ctx.tenant.id,
      accountId: account.id,
      reason,
      competitor: input.str('competitor'),
      lesson: input.text,
      revenue: account.annualRevenue,
      lostAt: ctx.now,
      recordedById: ctx.actor.id,
    })
    .returning()
    .get();
  const due = DateTime.fromJSDate(ctx.now, { zone: ctx.zone }).plus({ days: CHECKLIST_DAYS }).toISODate()!;
  // The owner holds the last conversation; if they have left (or there is none), whoever records the loss does.
  const owner = account.ownerId === null ? undefined : await ctx.db.select({ id: members.id, active: members.active }).from(members).where(eq(members.id, account.ownerId)).get();
  const holder = owner?.active ? owner.id : ctx.actor.id;
  for (const itemKey of LAST_CONVERSATION) {
    await ctx.db
      .insert(tasks)
      .values({ tenantId: ctx.tenant.id, kind: 'last-conversation', accountId: account.id, ownerId: holder, itemKey, dueOn: due, createdAt: ctx.now })
      .run();
  }
  await ctx.audit('account.lost', 'account', account.id, { loss: loss.id, reason });
  return reply(
    'warning',
    t.lost.recorded(account.name, t.lost.reasons[reason], input.str('competitor')),
    text(t.lost.lesson(input.text)),
    list(
      LAST_CONVERSATION.map((k) => `☐ ${t.lost.checklist[k]}`),
      { heading: t.lost.checklistHeading(CHECKLIST_DAYS) },
    ),
  );
}

async function wonBack(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  if (account.status !== 'lost') throw UserError.refusal(t.lost.notLost(account.name));
  await requireOwnerOrManager(ctx, account.ownerId, t.perm.what.lose(account.name));
  await ctx.db.update(accounts).set({ status: 'active', updatedAt: ctx.now }).where(eq(accounts.id, account.id)).run();
  await ctx.db
    .update(accountLosses)
    .set({ wonBackAt: ctx.now })
    .where(and(eq(accountLosses.accountId, account.id), isNull(accountLosses.wonBackAt)))
    .run();
  // The last conversation worked: its checklist is over.
  await ctx.db
    .update(tasks)
    .set({ doneAt: ctx.now })
    .where(and(eq(tasks.accountId, account.id), eq(tasks.kind, 'last-conversation'), isNull(tasks.doneAt)))
    .run();
  await ctx.audit('account.won-back', 'account', account.id, {});
  return reply('success', t.lost.wonBack(account.name));
}

/** The lessons of lost accounts, newest first, optionally of one reason: what the team learnt from each loss. */
async function lessons(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const reason = input.str('reason') as LostReason | undefined;
  const rows = await ctx.db
    .select({
      account: accounts.name,
      lostAt: accountLosses.lostAt,
      reason: accountLosses.reason,
      competitor: accountLosses.competitor,
      lesson: accountLosses.lesson,
      wonBackAt: accountLosses.wonBackAt,
    })
    .from(accountLosses)
    .innerJoin(accounts, eq(accounts.id, accountLosses.accountId))
    .where(and(eq(accountLosses.tenantId, ctx.tenant.id), reason ? eq(accountLosses.reason, reason) : undefined))
    .orderBy(desc(accountLosses.lostAt), desc(accountLosses.id))
    .all();
  const why = reason ? t.lost.reasons[reason] : undefined;
  return reply(
    'info',
    t.lost.lessonsTitle(why),
    list(
      rows.map((r) =>
        t.lost.lessonLine(
          r.account,
          fmtDay(ctx, r.lostAt),
          t.lost.reasons[r.reason as LostReason] ?? r.reason,
          r.competitor ?? undefined,
          r.lesson,
          r.wonBackAt ? fmtDay(ctx, r.wonBackAt) : undefined,
        ),
      ),
      { empty: t.lost.noLessons(why) },
    ),
  );
}

async function churn(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const span = (input.str('period') ?? 'year') as ChurnSpan;
  const end = ctx.now;
  const start = churnStart(span, end);
  const book = await churnBook(ctx.db, ctx.tenant.id, start, end);
  const scope = await churnScope(ctx);
  const figures = churnFigures(book, scope?.keep);
  const reasons = LOST_REASONS.map((r) => ({ r, n: figures.reasons.filter((x) => x === r).length }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n);
  const period = span === 'year' ? t.lost.year : t.lost.quarter;
  return reply(
    'info',
    scope ? t.lost.churnTeamTitle(scope.name, period) : t.lost.churnTitle(period),
    text(t.lost.byCount(figures.lost, figures.book, fmtPercent(ctx, figures.byCount))),
    text(
      figures.bookRevenue > 0
        ? t.lost.byRevenue(fmtMoney(ctx, figures.lostRevenue), fmtMoney(ctx, figures.bookRevenue), fmtPercent(ctx, figures.byRevenue))
        : t.lost.byRevenueUnknown,
    ),
    ...(readsOrganisation(ctx.actor) ? await churnByTeam(ctx, book) : []),
    list(
      reasons.map(({ r, n }) => `${t.lost.reasons[r]}: ${n}`),
      { heading: t.lost.reasonsHeading, empty: t.common.none },
    ),
    text(t.lost.benchmark(span === 'year')),
    // Churn is a process: how fast complaints were answered and fixed over the same period.
    complaintTimesSection(
      ctx,
      await complaintTimes(ctx.db, ctx.tenant.id, { from: start, to: end }, scope && book.accounts.filter((a) => scope.keep(a.ownerId)).map((a) => a.id)),
      t.complaint.times.periodHeading,
    ),
  );
}

/**
 * Whose churn a reader sees: admins and executives the organisation's; a manager their team (everyone
 * under them); a rep the team they are in; someone in no team the organisation's (there is nothing narrower).
 */
async function churnScope(ctx: Ctx): Promise<{ name: string; keep: (ownerId: number | null) => boolean } | undefined> {
  if (readsOrganisation(ctx.actor)) return undefined;
  const leadsSomeone = await ctx.db.select({ id: members.id }).from(members).where(eq(members.managerId, ctx.actor.id)).get();
  const lead = ctx.actor.role === 'manager' || leadsSomeone ? ctx.actor : (await organisation(ctx.db, ctx.tenant.id)).teamOf(ctx.actor.id).lead;
  if (!lead) return undefined;
  const ids = new Set((await teamOf(ctx.db, ctx.tenant.id, lead)).map((m) => m.id));
  return { name: ctx.t.org.team(named(ctx, lead)), keep: (ownerId) => ownerId !== null && ids.has(ownerId) };
}

/** The organisation's churn team by team, beside its total, once there are teams to compare. */
async function churnByTeam(ctx: Ctx, book: ChurnBook): Promise<Section[]> {
  const { t } = ctx;
  const org = await organisation(ctx.db, ctx.tenant.id);
  const rows = org.teams.map((team) => ({ team, f: churnFigures(book, (ownerId) => org.teamOf(ownerId) === team) })).filter(({ f }) => f.book > 0 || f.lost > 0);
  if (!rows.some(({ team }) => team.lead)) return [];
  const name = (lead: OrgTeam['lead']) => (lead ? t.org.team(named(ctx, lead)) : t.org.noTeam);
  return [
    list(
      rows.map(({ team, f }) =>
        t.org.churnLine(
          name(team.lead),
          f.lost,
          f.book,
          fmtPercent(ctx, f.byCount),
          fmtMoney(ctx, f.lostRevenue),
          fmtMoney(ctx, f.bookRevenue),
          fmtPercent(ctx, f.byRevenue),
          f.bookRevenue > 0,
        ),
      ),
      { heading: t.org.churnByTeam },
    ),
  ];
}

export const lostCommand: CommandSpec = {
  name: 'lost',
  aliases: ['流失'],
  summary: 'lost',
  forms: [
    {
      sub: 'list',
      subAliases: ['ls', 'lessons', '列表', '教训'],
      usage: '[reason]',
      args: [{ name: 'reason', type: 'enum', values: LOST_REASONS, valueAliases: REASON_WORDS, optional: true }],
      run: lessons,
    },
    { sub: 'won-back', subAliases: ['winback', 'won', '赢回'], usage: '<account>', args: [accountArg], run: wonBack },
    {
      usage: '<account> reason:<category> [competitor:<name>] <lesson>',
      args: [accountArg],
      options: [
        {
          name: 'reason',
          aliases: ['原因', '流失原因'],
          type: 'enum',
          required: true,
          values: LOST_REASONS,
          valueAliases: REASON_WORDS,
        },
        { name: 'competitor', aliases: ['竞品', '对手'], type: 'text' },
      ],
      text: { name: 'lesson', required: true },
      run: lost,
    },
  ],
  examples: {
    en: ['/lost Acme reason:competitor competitor:"SF Express" Six months of unanswered damage claims', '/lost won-back Acme', '/lost list competitor'],
    'zh-CN': ['/流失 华东 原因:竞争对手 竞品:顺丰 货损索赔半年没人处理', '/流失 赢回 华东', '/流失 列表 竞争对手'],
  },
};

export const churnCommand: CommandSpec = {
  name: 'churn',
  aliases: ['流失率'],
  summary: 'churn',
  forms: [
    {
      usage: '[quarter|year]',
      args: [{ name: 'period', type: 'enum', values: ['quarter', 'year'], valueAliases: { 季度: 'quarter', 年: 'year', 年度: 'year' }, optional: true }],
      run: churn,
    },
  ],
  examples: { en: ['/churn', '/churn quarter'], 'zh-CN': ['/流失率', '/流失率 季度'] },
};
