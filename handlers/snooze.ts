import { DAY_MS } from '../src/domain/dates.js';
import { nudgeSnoozes } from '../db/schema.js';
import { parseDays } from '../src/domain/amounts.js';
import { fmtDay } from '../src/domain/format.js';
import { cadenceFor } from '../src/domain/settings.js';
import { UserError } from '../src/engine/errors.js';
import { requireOwnerOrManager } from '../src/domain/permissions.js';
import { LONG_SNOOZE_DAYS } from '../src/domain/attention.js';
import { tellOwnersManager } from '../src/views/attention.js';
import { reply, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg } from './options.js';
import { quote } from '../prompts/quote.js';

const DAY = DAY_MS;
/** "Not needed" quiets the revisit nudge for one cycle of the account's cadence. */
const NOT_NEEDED = ['not-needed', 'no', '不需要', '无需'];
/** A quarter at most: a longer silence is an account nobody looks at. */
const MAX_SNOOZE_DAYS = 90;

async function snooze(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  // Quieting an account's nudges changes its owner's work: theirs, their manager's or an admin's to do.
  await requireOwnerOrManager(ctx, account.ownerId, t.perm.what.snooze(account.name));
  const span = input.str('span')!;
  const notNeeded = NOT_NEEDED.includes(span.toLowerCase());
  const days = notNeeded ? undefined : parseDays(span);
  if (!notNeeded && days === undefined) throw UserError.usage(t.snooze.badSpan(span));
  if (days !== undefined && days > MAX_SNOOZE_DAYS) throw UserError.usage(t.snooze.tooLong(MAX_SNOOZE_DAYS));
  if (notNeeded && !input.text) throw UserError.usage(t.snooze.why(account.name, quote(account.name)));
  const until = new Date(ctx.now.getTime() + (days ?? cadenceFor(ctx.tenant, account)) * DAY);
  await ctx.db
    .insert(nudgeSnoozes)
    .values({ tenantId: ctx.tenant.id, kind: 'revisit', subjectId: account.id, memberId: ctx.actor.id, until, reason: input.text || null, createdAt: ctx.now })
    .run();
  await ctx.audit(notNeeded ? 'revisit.not-needed' : 'revisit.snooze', 'account', account.id, { until: until.toISOString(), reason: input.text });
  // Longer than a week, a snooze by a rep is less attention for the account: their manager hears of it.
  const quiet = days ?? cadenceFor(ctx.tenant, account);
  if (quiet > LONG_SNOOZE_DAYS) await tellOwnersManager(ctx, account, [(v) => v.t.attention.snoozed(quiet, fmtDay(v, until))], input.text || undefined);
  return reply('success', notNeeded ? t.snooze.notNeeded(account.name, fmtDay(ctx, until)) : t.snooze.done(account.name, fmtDay(ctx, until)));
}

export const snoozeCommand: CommandSpec = {
  name: 'snooze',
  aliases: ['稍后', '推迟'],
  summary: 'snooze',
  forms: [
    {
      usage: '<account> <3d|1w|not-needed> [reason]',
      args: [accountArg, { name: 'span', type: 'word' }],
      text: { name: 'note', required: false },
      run: snooze,
    },
  ],
  examples: { en: ['/snooze Acme 3d', '/snooze Acme not-needed They paused all orders until March'], 'zh-CN': ['/稍后 华东 3d', '/稍后 华东 不需要 对方三月前暂停下单'] },
};
