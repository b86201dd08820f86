import { eq } from 'drizzle-orm';
import { complaints } from '../db/schema.js';
import { markFirstAnswer, recordComplaintEvent } from '../src/domain/complaint-life.js';
import { fmtAge, fmtDateTime, named, personName, ref } from '../src/domain/format.js';
import { memberById, pairedExecIds, requireOwnerOrManager } from '../src/domain/permissions.js';
import { UserError } from '../src/engine/errors.js';
import { reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { complaintByNumber } from './complaint.js';
import { viewFor } from '../src/domain/view.js';

async function resolve(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const c = await complaintByNumber(ctx, input.num('complaint')!);
  const id = ref('C', c.number);
  if (c.status === 'resolved') {
    const by = await memberById(ctx, c.resolvedById);
    throw UserError.refusal(t.resolve.already(id, fmtDateTime(ctx, c.resolvedAt ?? ctx.now), named(ctx, by) ?? t.common.nobody));
  }
  await requireOwnerOrManager(ctx, c.ownerId, t.perm.what.resolve(id), await pairedExecIds(ctx, c.accountId));
  await ctx.db.update(complaints).set({ status: 'resolved', resolution: input.text, resolvedAt: ctx.now, resolvedById: ctx.actor.id }).where(eq(complaints.id, c.id)).run();
  await recordComplaintEvent(ctx.db, c, 'resolve', ctx.now, { actorId: ctx.actor.id, text: input.text });
  await markFirstAnswer(ctx.db, c.id, ctx.now);
  await ctx.audit('complaint.resolve', 'complaint', c.id, {});
  const late = ctx.now > c.deadlineAt;
  const out = reply('success', t.resolve.done(id, fmtAge(ctx, c.openedAt)), text(t.resolve.resolution(input.text)));
  if (late) out.sections.push(text(t.resolve.late(fmtDateTime(ctx, c.deadlineAt))));
  // The complaint's thread, where it has one, hears that it is closed.
  // It is the workspace's channel: written in the workspace's language, as the rest of the thread.
  if (c.threadChannel) {
    const { t: w } = viewFor(ctx.tenant, undefined, ctx.now);
    ctx.notices.push({
      to: { channel: c.threadChannel },
      complaintId: c.id,
      reply: { ...reply('success', w.resolve.threadClosed(id, personName(w, ctx.tenant.platform, ctx.actor)), text(w.resolve.resolution(input.text))), visibility: 'public' },
    });
  }
  return out;
}

export const resolveCommand: CommandSpec = {
  name: 'resolve',
  aliases: ['解决', '结案'],
  summary: 'resolve',
  forms: [
    {
      usage: 'C-<n> <resolution>',
      args: [{ name: 'complaint', type: 'ref', prefix: 'C' }],
      text: { name: 'resolution', required: true },
      run: resolve,
    },
  ],
  examples: {
    en: ['/resolve C-12 Claim paid in full; packing changed to corner boards on that lane'],
    'zh-CN': ['/解决 C-12 已全额理赔；该线路改用护角包装'],
  },
};
