import { and, desc, eq } from 'drizzle-orm';
import { accounts, churnSignals } from '../db/schema.js';
import { alertOwnerAndExecs } from '../src/views/alerts.js';
import { fmtDay } from '../src/domain/format.js';
import { LIST_LIMIT } from '../src/domain/numbers.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import type { SignalKind } from '../db/schema.js';
import { accountArg, optionalAccountArg, signalKindArg } from './options.js';

async function record(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const kind = input.str('kind') as SignalKind;
  const s = await ctx.db
    .insert(churnSignals)
    .values({ tenantId: ctx.tenant.id, accountId: account.id, kind, detail: input.text, reporterId: ctx.actor.id, occurredAt: ctx.now })
    .returning()
    .get();
  await ctx.audit('signal.record', 'signal', s.id, { account: account.name, kind });
  if (kind === 'decision-maker-change') {
    await alertOwnerAndExecs(ctx, account, (v) => reply('warning', v.t.nudge.alertDecisionMaker(account.name), text(input.text), text(v.t.signal.advice[kind])));
  }
  return reply('warning', t.signal.recorded(t.enums.signal[kind], account.name), text(t.signal.advice[kind]));
}

async function listSignals(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.optionalAccount();
  const rows = await ctx.db
    .select({ s: churnSignals, account: accounts.name })
    .from(churnSignals)
    .innerJoin(accounts, eq(accounts.id, churnSignals.accountId))
    .where(and(eq(churnSignals.tenantId, ctx.tenant.id), account ? eq(churnSignals.accountId, account.id) : undefined))
    .orderBy(desc(churnSignals.occurredAt))
    .limit(LIST_LIMIT)
    .all();
  return reply(
    'info',
    t.signal.listTitle(account?.name),
    list(
      rows.map(({ s, account: name }) => `${fmtDay(ctx, s.occurredAt)} · ${name} · ${t.enums.signal[s.kind]}${s.detail ? ` — ${s.detail}` : ''}`),
      { empty: t.signal.none },
    ),
  );
}

export const signal: CommandSpec = {
  name: 'signal',
  aliases: ['signals', '异动', '信号'],
  summary: 'signal',
  forms: [
    { sub: 'list', subAliases: ['ls', '列表'], usage: '[account]', args: [optionalAccountArg], run: listSignals },
    {
      usage: '<account> <kind> <detail>',
      args: [accountArg, signalKindArg],
      text: { name: 'detail', required: true },
      run: record,
    },
  ],
  examples: {
    en: ['/signal Acme price-pressure Asked for 8% off at renewal; says our damage rate is up', '/signal Acme competitor Seen SF Express at their Kunshan site'],
    'zh-CN': ['/异动 华东 压价 续约时要求降价8%，称我们货损率上升', '/异动 华东 竞争对手 在昆山仓看到了顺丰'],
  },
};
