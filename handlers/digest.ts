import { named } from '../src/domain/format.js';
import { UserError } from '../src/engine/errors.js';
import type { Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { teamOf } from '../src/domain/teams.js';
import { weeklyDigest } from '../src/views/digest.js';

async function digest(ctx: Ctx, input: Input): Promise<Reply> {
  const who = input.member('member') ?? ctx.actor;
  // Someone else's week is for the people they report to, and admins.
  if (who.id !== ctx.actor.id && ctx.actor.role !== 'admin' && !(await teamOf(ctx.db, ctx.tenant.id, ctx.actor)).some((m) => m.id === who.id)) {
    throw UserError.refusal(ctx.t.digest.notYours(named(ctx, who)));
  }
  // An admin's or an executive's is the organisation's, teams compared.
  return weeklyDigest(ctx.db, ctx.tenant, who, ctx.now);
}

export const digestCommand: CommandSpec = {
  name: 'digest',
  aliases: ['周报', '摘要'],
  summary: 'digest',
  forms: [{ usage: '[@someone]', args: [{ name: 'member', type: 'mention', optional: true }], run: digest }],
  examples: { en: ['/digest', '/digest @zhang'], 'zh-CN': ['/周报', '/周报 @张敏'] },
};
