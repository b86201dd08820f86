import { and, asc, desc, eq } from 'drizzle-orm';
import { literalLimit } from '../db/index.js';
import { accounts, members, promises, PROMISE_STATUSES } from '../db/schema.js';
import { daysUntil, fmtDay, ref } from '../src/domain/format.js';
import { countWhere, firstPage, LIST_LIMIT, nextNumber } from '../src/domain/numbers.js';
import { requireOwnerOrManager, requireTeam } from '../src/domain/permissions.js';
import type { Promise_ } from '../src/domain/types.js';
import { about, UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg, allFlag, mineFlag, optionalAccountArg, ownerOption } from './options.js';


function make(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  requireTeam(ctx, account, t.perm.what.promise(account.name));
  const due = input.date('due')!;
  if (daysUntil(ctx, due.day) < 0) throw new UserError(t.promise.pastDue(fmtDay(ctx, due.day)));
  const owner = input.member('owner') ?? ctx.actor;
  // Someone who has left owns nothing new.
  if (!owner.active) throw about('owner', () => new UserError(t.complaint.inactiveMember(owner.name), [], false));
  const p = ctx.db
    .insert(promises)
    .values({ tenantId: ctx.tenant.id, number: nextNumber(ctx.db, promises, ctx.tenant.id), accountId: account.id, ownerId: owner.id, text: input.text, dueOn: due.day, createdAt: ctx.now })
    .returning()
    .get();
  ctx.audit('promise.make', 'promise', p.id, { account: account.name, due: due.day });
  const out = reply('success', t.promise.recorded(ref('P', p.number), account.name, fmtDay(ctx, p.dueOn), owner.name), text(p.text));
  out.buttons = [{ label: t.buttons.kept, command: `/promise kept ${ref('P', p.number)}` }];
  return out;
}

function close(status: 'kept' | 'broken') {
  return (ctx: Ctx, input: Input): Reply => {
    const { t } = ctx;
    const n = input.num('promise')!;
    const p = ctx.db.select().from(promises).where(and(eq(promises.tenantId, ctx.tenant.id), eq(promises.number, n))).get();
    if (!p) throw new UserError(t.promise.unknown(ref('P', n)), [], false);
    if (p.status !== 'open') throw new UserError(t.promise.alreadyClosed(ref('P', n), t.enums.promiseStatus[p.status]), [], false);
    requireOwnerOrManager(ctx, p.ownerId, t.perm.what.closePromise(ref('P', n)));
    ctx.db.update(promises).set({ status, closedAt: ctx.now, closedById: ctx.actor.id }).where(eq(promises.id, p.id)).run();
    ctx.audit(`promise.${status}`, 'promise', p.id, input.text ? { note: input.text } : {});
    const late = daysUntil(ctx, p.dueOn) < 0;
    return reply(
      status === 'kept' ? 'success' : 'warning',
      status === 'kept' ? t.promise.kept(ref('P', n), late) : t.promise.broken(ref('P', n)),
      ...(status === 'broken' ? [text(t.promise.brokenAdvice)] : []),
    );
  };
}

function listPromises(ctx: Ctx, input: Input): Reply {
  const { t, db } = ctx;
  const account = input.optionalAccount();
  const status = input.flag('all') ? undefined : ((input.str('status') as Promise_['status'] | undefined) ?? 'open');
  const where = and(
    eq(promises.tenantId, ctx.tenant.id),
    status ? eq(promises.status, status) : undefined,
    account ? eq(promises.accountId, account.id) : undefined,
    input.flag('mine') ? eq(promises.ownerId, ctx.actor.id) : undefined,
  );
  const rows = db
    .select({ p: promises, account: accounts.name, owner: members.name })
    .from(promises)
    .innerJoin(accounts, eq(accounts.id, promises.accountId))
    .leftJoin(members, eq(members.id, promises.ownerId))
    .where(where)
    .orderBy(status === 'open' ? asc(promises.dueOn) : desc(promises.dueOn))
    .limit(literalLimit(LIST_LIMIT + 1))
    .all();
  const { shown, total } = firstPage(rows, () => countWhere(ctx.db, promises, where));
  const items = shown.map(({ p, account: name, owner }) =>
    t.promise.listLine(
      ref('P', p.number),
      name,
      p.text,
      fmtDay(ctx, p.dueOn),
      owner ?? t.common.nobody,
      p.status === 'open' ? (daysUntil(ctx, p.dueOn) < 0 ? t.common.overdue : undefined) : t.enums.promiseStatus[p.status],
    ),
  );
  return reply('info', t.promise.listTitle(total), list(items, { empty: t.promise.noneOpen, more: total - items.length }));
}

const promiseRef = { name: 'promise', type: 'ref', prefix: 'P' } as const;

export const promise: CommandSpec = {
  name: 'promise',
  aliases: ['promises', '承诺'],
  summary: 'promise',
  forms: [
    { sub: 'kept', subAliases: ['done', '兑现', '已兑现'], usage: 'P-<n> [note]', args: [promiseRef], text: { name: 'note', required: false }, run: close('kept') },
    { sub: 'broken', subAliases: ['missed', '未兑现', '失信'], usage: 'P-<n> [note]', args: [promiseRef], text: { name: 'note', required: false }, run: close('broken') },
    {
      sub: 'list',
      subAliases: ['ls', '列表'],
      usage: '[account] [mine] [all] [status:open|kept|broken]',
      args: [optionalAccountArg],
      flags: [mineFlag, allFlag],
      options: [{ name: 'status', aliases: ['状态'], type: 'enum', values: PROMISE_STATUSES, valueAliases: { 待兑现: 'open', 未到期: 'open', 已兑现: 'kept', 兑现: 'kept', 未兑现: 'broken', 食言: 'broken' } }],
      run: listPromises,
    },
    {
      usage: '<account> due:<date> [owner:@someone] <text>',
      args: [accountArg],
      options: [{ name: 'due', aliases: ['by', '截止', '截至', '到期', '截止日期', '期限'], type: 'date', direction: 'future', required: true }, ownerOption],
      text: { name: 'text', required: true },
      run: make,
    },
  ],
  examples: {
    en: ['/promise Acme due:friday Send the cold-chain quote', '/promise kept P-3', '/promise list mine'],
    'zh-CN': ['/承诺 华东 截止:下周五 发送冷链报价', '/承诺 兑现 P-3', '/承诺 列表 我的'],
  },
};
