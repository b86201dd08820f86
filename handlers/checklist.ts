// Checklists that came from a handover (meet every contact) or a lost account
// (the last conversation): listed, ticked off, and nudged weekly by the sweep.
import { eq } from 'drizzle-orm';
import { tasks } from '../db/schema.js';
import { requireOwnerOrManager } from '../src/domain/permissions.js';
import { openTasks, taskLine } from '../src/domain/tasks.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { mineFlag, optionalAccountArg } from './options.js';

const LIMIT = 40;

async function show(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.optionalAccount();
  const rows = await openTasks(ctx.db, ctx.tenant.id, { ownerId: input.flag('mine') || !account ? ctx.actor.id : undefined, accountId: account?.id });
  const shown = rows.slice(0, LIMIT);
  return reply(
    'info',
    t.checklist.title(rows.length),
    list(
      shown.map((r) => taskLine(ctx, r)),
      { empty: t.checklist.none, more: rows.length - shown.length },
    ),
  );
}

async function done(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const id = input.num('task')!;
  const task = (await openTasks(ctx.db, ctx.tenant.id)).find((x) => x.id === id);
  if (!task) throw UserError.refusal(t.checklist.unknown(`T-${id}`));
  await requireOwnerOrManager(ctx, task.ownerId, t.checklist.what(`T-${id}`));
  await ctx.db
    .update(tasks)
    .set({ doneAt: ctx.now, detail: input.text || null })
    .where(eq(tasks.id, id))
    .run();
  await ctx.audit('task.done', 'task', id, input.text ? { note: input.text } : {});
  const left = (await openTasks(ctx.db, ctx.tenant.id, { ownerId: task.ownerId ?? undefined })).length;
  return reply('success', t.checklist.ticked(`T-${id}`, left));
}

export const checklistCommand: CommandSpec = {
  name: 'checklist',
  aliases: ['tasks', '清单', '待办'],
  summary: 'checklist',
  forms: [
    { sub: 'done', subAliases: ['tick', '完成'], usage: 'T-<n> [note]', args: [{ name: 'task', type: 'ref', prefix: 'T' }], text: { name: 'note', required: false }, run: done },
    { usage: '[account] [mine]', args: [optionalAccountArg], flags: [mineFlag], run: show },
  ],
  examples: { en: ['/checklist', '/checklist Acme', '/checklist done T-12 Met her at their Kunshan site'], 'zh-CN': ['/清单', '/清单 完成 T-12 已在昆山现场见面'] },
};
