import { and, asc, desc, eq } from 'drizzle-orm';
import { accounts, members, promises, PROMISE_STATUSES } from '../db/schema.js';
import { daysUntil, fmtDateTime, fmtDay, named, personColumns, ref } from '../src/domain/format.js';
import { moveCounts, movesOf } from '../src/domain/promises.js';
import { countWhere, firstPage, LIST_LIMIT } from '../src/domain/numbers.js';
import { memberById } from '../src/domain/permissions.js';
import type { Promise_ } from '../src/domain/types.js';
import { fields, list, reply, text, type Reply, type Rich } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg, allFlag, mineFlag, optionalAccountArg, ownerOption, withBadValues } from './options.js';
import { closePromise, makePromise, movePromise, promiseByNumber } from '../src/domain/promise-changes.js';

/** Refusals of a date typed (passed, or the one it already has): told with the usage. */
const BAD_VALUES = ['promise.pastDue', 'promise.moveSame'] as const;

async function make(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const what = t.perm.what.promise(account.name);
  const p = await withBadValues(t, BAD_VALUES, () => makePromise(ctx, account, { text: input.text, due: input.date('due')!.day, owner: input.member('owner') }, what));
  const out = reply('success', t.promise.recorded(ref('P', p.number), account.name, fmtDay(ctx, p.dueOn), named(ctx, await memberById(ctx, p.ownerId))!), text(p.text));
  out.buttons = [{ label: t.buttons.kept, command: `/promise kept ${ref('P', p.number)}` }];
  return out;
}

function close(status: 'kept' | 'broken') {
  return async (ctx: Ctx, input: Input): Promise<Reply> => {
    const { t } = ctx;
    const n = input.num('promise')!;
    const { late, moved } = await closePromise(ctx, n, status, input.text, t.perm.what.closePromise(ref('P', n)));
    return reply(
      status === 'kept' ? 'success' : 'warning',
      status === 'kept' ? t.promise.kept(ref('P', n), late, moved) : t.promise.broken(ref('P', n)),
      ...(status === 'broken' ? [text(t.promise.brokenAdvice)] : []),
    );
  };
}

/** Renegotiated openly: a new due date, agreed with the customer, with the reason, kept in the promise's history. */
async function move(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const n = input.num('promise')!;
  const due = input.date('due')!;
  const { promise: p, times } = await withBadValues(t, BAD_VALUES, () => movePromise(ctx, n, due.day, input.text, t.perm.what.movePromise(ref('P', n))));
  const out = reply('success', t.promise.moved(ref('P', n), fmtDay(ctx, p.dueOn), fmtDay(ctx, due.day), times), text(input.text));
  out.buttons = [
    { label: t.buttons.kept, command: `/promise kept ${ref('P', n)}` },
    { label: t.buttons.promiseHistory, command: `/promise show ${ref('P', n)}` },
  ];
  return out;
}

/** One promise: what, for whom, by when (and the date first agreed), and every move with its reason. */
async function show(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const n = input.num('promise')!;
  const p = await promiseByNumber(ctx, n);
  const account = (await ctx.db.select().from(accounts).where(eq(accounts.id, p.accountId)).get())!;
  const owner = await memberById(ctx, p.ownerId);
  const moves = await movesOf(ctx.db, p.id);
  const overdue = p.status === 'open' && daysUntil(ctx, p.dueOn) < 0;
  const rows: { label: string; value: Rich }[] = [
    { label: t.promise.fields.owner, value: named(ctx, owner) ?? t.common.nobody },
    {
      label: t.promise.fields.status,
      value: `${t.enums.promiseStatus[p.status]}${overdue ? ` — ${t.common.overdue}` : ''}${moves.length ? ` · ${t.promise.movedTimes(moves.length)}` : ''}`,
    },
    { label: t.promise.fields.due, value: fmtDay(ctx, p.dueOn) },
  ];
  if (moves.length) rows.push({ label: t.promise.fields.firstDue, value: fmtDay(ctx, moves[0]!.m.fromOn) });
  rows.push({ label: t.promise.fields.made, value: fmtDay(ctx, p.createdAt) });
  if (p.closedAt) rows.push({ label: t.promise.fields.closed, value: fmtDay(ctx, p.closedAt) });
  const out = reply(
    overdue ? 'warning' : 'info',
    t.promise.title(ref('P', n), account.name),
    text(p.text),
    fields(rows),
    list(
      moves.map(({ m, by }) => t.promise.moveLine(fmtDay(ctx, m.fromOn), fmtDay(ctx, m.toOn), by ?? t.common.nobody, fmtDateTime(ctx, m.movedAt), m.reason)),
      { heading: t.promise.historyHeading(moves.length), empty: t.promise.noMoves },
    ),
  );
  if (p.status === 'open') out.buttons = [{ label: t.buttons.kept, command: `/promise kept ${ref('P', n)}`, style: 'primary' }];
  return out;
}

async function listPromises(ctx: Ctx, input: Input): Promise<Reply> {
  const { t, db } = ctx;
  const account = input.optionalAccount();
  const status = input.flag('all') ? undefined : ((input.str('status') as Promise_['status'] | undefined) ?? 'open');
  const where = and(
    eq(promises.tenantId, ctx.tenant.id),
    status ? eq(promises.status, status) : undefined,
    account ? eq(promises.accountId, account.id) : undefined,
    input.flag('mine') ? eq(promises.ownerId, ctx.actor.id) : undefined,
  );
  const rows = await db
    .select({ p: promises, account: accounts.name, owner: personColumns })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .leftJoin(members, eq(members.id, promises.ownerId))
    .where(where)
    .orderBy(status === 'open' ? asc(promises.dueOn) : desc(promises.dueOn))
    .limit(LIST_LIMIT + 1)
    .all();
  const { shown, total } = await firstPage(rows, () => countWhere(ctx.db, promises, where));
  const moved = await moveCounts(
    ctx.db,
    shown.map((r) => r.p.id),
  );
  const items = shown.map(({ p, account: name, owner }) => {
    const state = p.status === 'open' ? (daysUntil(ctx, p.dueOn) < 0 ? t.common.overdue : undefined) : t.enums.promiseStatus[p.status];
    const times = moved.get(p.id) ?? 0;
    const moves = times > 0 ? t.promise.movedTimes(times) : undefined;
    return t.promise.listLine(
      ref('P', p.number),
      name,
      p.text,
      fmtDay(ctx, p.dueOn),
      named(ctx, owner) ?? t.common.nobody,
      [state, moves].filter(Boolean).join(' · ') || undefined,
    );
  });
  return reply('info', t.promise.listTitle(total), list(items, { empty: t.promise.noneOpen, more: total - items.length }));
}

const promiseRef = { name: 'promise', type: 'ref', prefix: 'P' } as const;
const dueOption = { name: 'due', aliases: ['by', '截止', '截至', '到期', '截止日期', '期限'], type: 'date', direction: 'future', required: true } as const;

export const promise: CommandSpec = {
  name: 'promise',
  aliases: ['promises', '承诺'],
  summary: 'promise',
  forms: [
    { sub: 'kept', subAliases: ['done', '兑现', '已兑现'], usage: 'P-<n> [note]', args: [promiseRef], text: { name: 'note', required: false }, run: close('kept') },
    { sub: 'broken', subAliases: ['missed', '未兑现', '失信'], usage: 'P-<n> [note]', args: [promiseRef], text: { name: 'note', required: false }, run: close('broken') },
    {
      sub: 'move',
      subAliases: ['reschedule', 'postpone', '改期', '延期', '顺延'],
      usage: 'P-<n> due:<date> <reason>',
      args: [promiseRef],
      options: [dueOption],
      text: { name: 'reason', required: true },
      run: move,
    },
    { sub: 'show', subAliases: ['view', 'history', '查看', '详情', '记录'], usage: 'P-<n>', args: [promiseRef], run: show },
    {
      sub: 'list',
      subAliases: ['ls', '列表'],
      usage: '[account] [mine] [all] [status:open|kept|broken]',
      args: [optionalAccountArg],
      flags: [mineFlag, allFlag],
      options: [
        {
          name: 'status',
          aliases: ['状态'],
          type: 'enum',
          values: PROMISE_STATUSES,
          valueAliases: { 待兑现: 'open', 未到期: 'open', 已兑现: 'kept', 兑现: 'kept', 未兑现: 'broken', 食言: 'broken' },
        },
      ],
      run: listPromises,
    },
    {
      usage: '<account> due:<date> [owner:@someone] <text>',
      args: [accountArg],
      options: [dueOption, ownerOption],
      text: { name: 'text', required: true },
      run: make,
    },
  ],
  examples: {
    en: [
      '/promise Acme due:friday Send the cold-chain quote',
      '/promise kept P-3',
      '/promise move P-3 due:+7d Customer asked for the audit first',
      '/promise show P-3',
      '/promise list mine',
    ],
    'zh-CN': ['/承诺 华东 截止:下周五 发送冷链报价', '/承诺 兑现 P-3', '/承诺 改期 P-3 截止:+7d 客户要求先完成审计', '/承诺 查看 P-3', '/承诺 列表 我的'],
  },
};
