import { DAY_MS } from '../src/domain/dates.js';
import { and, asc, eq } from 'drizzle-orm';
import { accounts, members, pairings } from '../db/schema.js';
import { fmtDay, named, personColumns } from '../src/domain/format.js';
import { DEFAULT_PAIRING_DAYS } from '../src/domain/settings.js';
import { memberById, requireOwnerOrManager } from '../src/domain/permissions.js';
import { tellOwnersManager } from '../src/views/attention.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { lastTouchBySql } from '../src/domain/cadence.js';
import { accountArg, optionalAccountArg } from './options.js';
import { quote } from '../prompts/quote.js';

const DAY = DAY_MS;

async function pair(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const exec = input.member('exec')!;
  const every = input.num('every') ?? DEFAULT_PAIRING_DAYS;
  // An executive may volunteer themselves for any account; pairing someone else is for the owner's side.
  if (exec.id !== ctx.actor.id) await requireOwnerOrManager(ctx, account.ownerId, t.perm.what.pair(account.name));
  if (!exec.active) throw UserError.refusal(t.complaint.inactiveMember(named(ctx, exec)));
  if (exec.role !== 'exec' && exec.role !== 'admin') throw UserError.refusal(t.pair.notExec(named(ctx, exec), t.enums.role[exec.role], exec.platformUserId));
  // Leadership pairing is for strategic accounts; another tier is allowed once the actor confirms.
  if (account.tier !== 'strategic' && !input.flag('confirm')) {
    const out = reply('warning', t.pair.confirmTier(account.name, t.enums.tier[account.tier]));
    out.buttons = [{ label: t.buttons.confirm, command: `/pair ${quote(account.name)} @${exec.platformUserId} every:${every}d confirm`, style: 'primary' }];
    return out;
  }
  const existing = await ctx.db
    .select()
    .from(pairings)
    .where(and(eq(pairings.accountId, account.id), eq(pairings.execId, exec.id), eq(pairings.active, true)))
    .get();
  if (existing) {
    await ctx.db.update(pairings).set({ cadenceDays: every }).where(eq(pairings.id, existing.id)).run();
    await ctx.audit('pairing.update', 'pairing', existing.id, { every });
    return reply('success', t.pair.updated(exec.name, account.name, every));
  }
  const p = await ctx.db.insert(pairings).values({ tenantId: ctx.tenant.id, accountId: account.id, execId: exec.id, cadenceDays: every, createdAt: ctx.now }).returning().get();
  await ctx.audit('pairing.add', 'pairing', p.id, { account: account.name, exec: exec.name, every });
  return reply('success', t.pair.paired(exec.name, account.name, every));
}

async function unpair(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const exec = input.member('exec');
  const active = await ctx.db
    .select()
    .from(pairings)
    .where(and(eq(pairings.accountId, account.id), eq(pairings.active, true), exec ? eq(pairings.execId, exec.id) : undefined))
    .all();
  if (active.length === 0) throw UserError.refusal(t.pair.none(account.name));
  // An executive may always step back from their own pairings.
  if (!active.every((p) => p.execId === ctx.actor.id)) await requireOwnerOrManager(ctx, account.ownerId, t.perm.what.pair(account.name));
  for (const p of active) {
    await ctx.db.update(pairings).set({ active: false, endedAt: ctx.now }).where(eq(pairings.id, p.id)).run();
    await ctx.audit('pairing.end', 'pairing', p.id, {});
  }
  // A rep ending their account's pairing takes an executive's attention from it: their manager hears of it.
  const execs: string[] = [];
  for (const p of active) {
    const name = named(ctx, await memberById(ctx, p.execId));
    if (name !== undefined) execs.push(name);
  }
  await tellOwnersManager(ctx, account, [(v) => v.t.attention.unpaired(execs.join(v.t.common.listSep))]);
  return reply('success', t.pair.ended(account.name, active.length));
}

async function listPairs(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.optionalAccount();
  const rows = await ctx.db
    .select({ p: pairings, account: accounts.name, exec: personColumns, last: lastTouchBySql(pairings.execId, pairings.accountId) })
    .from(pairings)
    .innerJoin(accounts, eq(accounts.id, pairings.accountId))
    .innerJoin(members, eq(members.id, pairings.execId))
    .where(and(eq(pairings.tenantId, ctx.tenant.id), eq(pairings.active, true), account ? eq(pairings.accountId, account.id) : undefined))
    .orderBy(asc(accounts.nameKey))
    .all();
  const items = rows.map(({ p, account: name, exec, last }) => {
    const due = (last ?? p.createdAt.getTime()) + p.cadenceDays * DAY;
    return t.pair.line(name, named(ctx, exec), p.cadenceDays, last ? fmtDay(ctx, new Date(last)) : undefined, fmtDay(ctx, new Date(due)), due < ctx.now.getTime());
  });
  return reply('info', t.pair.listTitle(rows.length), list(items, { empty: t.pair.noneAtAll }));
}

const execArg = { name: 'exec', type: 'mention' } as const;

export const pairCommand: CommandSpec = {
  name: 'pair',
  aliases: ['结对', '高层结对'],
  summary: 'pair',
  forms: [
    { sub: 'list', subAliases: ['ls', '列表'], usage: '[account]', args: [optionalAccountArg], run: listPairs },
    {
      usage: '<account> @executive [every:<days>]',
      args: [accountArg, execArg],
      options: [{ name: 'every', aliases: ['周期', '每', '频率'], type: 'days' }],
      flags: [{ name: 'confirm', aliases: ['确认'] }],
      run: pair,
    },
  ],
  examples: { en: ['/pair Acme @chen every:90d', '/pair list'], 'zh-CN': ['/结对 华东 @陈总 周期:90d', '/结对 列表'] },
};

export const unpairCommand: CommandSpec = {
  name: 'unpair',
  aliases: ['解除结对'],
  summary: 'unpair',
  forms: [{ usage: '<account> [@executive]', args: [accountArg, { ...execArg, optional: true }], run: unpair }],
  examples: { en: ['/unpair Acme @chen'], 'zh-CN': ['/解除结对 华东 @陈总'] },
};
