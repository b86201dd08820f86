import { and, asc, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { accounts, reviewItems } from '../db/schema.js';
import { fmtDay, ref } from '../src/domain/format.js';
import { requireOwnerOrManager } from '../src/domain/permissions.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { reviewCard, reviewSeason } from '../src/scheduler/sweep.js';
import { accountArg, mineFlag } from './options.js';

function mark(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  const status = input.str('status') as 'prepared' | 'held';
  const season = reviewSeason(ctx.tenant, ctx.now);
  const item = ctx.db
    .select()
    .from(reviewItems)
    .where(and(eq(reviewItems.accountId, account.id), eq(reviewItems.season, season.year)))
    .get();
  if (!item) throw new UserError(t.review.noItem(account.name, season.year, fmtDay(ctx, season.start)), [], false);
  requireOwnerOrManager(ctx, account.ownerId ?? item.ownerId, t.perm.what.review(ref('R', item.number)));
  if (item.status === 'held') throw new UserError(t.review.alreadyHeld(ref('R', item.number)), [], false);
  const patch =
    status === 'held'
      ? { status, heldAt: ctx.now, preparedAt: item.preparedAt ?? ctx.now, checklist: item.checklist.map((c) => ({ ...c, done: true })) }
      : { status, preparedAt: ctx.now, checklist: item.checklist.map((c) => ({ ...c, done: true })) };
  const updated = ctx.db
    .update(reviewItems)
    .set({ ...patch, ownerId: account.ownerId ?? item.ownerId, note: input.text || item.note })
    .where(eq(reviewItems.id, item.id))
    .returning()
    .get();
  ctx.audit(`review.${status}`, 'review', item.id, input.text ? { note: input.text } : {});
  const out = reviewCard(ctx, updated, account);
  return { ...out, tone: 'success', title: status === 'held' ? t.review.held(ref('R', item.number), account.name) : t.review.prepared(ref('R', item.number), account.name) };
}

function listReviews(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const season = reviewSeason(ctx.tenant, ctx.now);
  const rows = ctx.db
    .select({ r: reviewItems, account: accounts.name })
    .from(reviewItems)
    .innerJoin(accounts, eq(accounts.id, reviewItems.accountId))
    .where(and(eq(reviewItems.tenantId, ctx.tenant.id), eq(reviewItems.season, season.year), input.flag('mine') ? eq(reviewItems.ownerId, ctx.actor.id) : undefined))
    .orderBy(asc(reviewItems.number))
    .all();
  const held = rows.filter((r) => r.r.status === 'held').length;
  // Before the season: when it starts; during it: nothing to review; after it: that it ended, and when the next starts.
  const nextStart = DateTime.fromISO(season.start).plus({ years: 1 }).toISODate()!;
  const empty =
    season.today < season.start ? t.review.noneYet(fmtDay(ctx, season.start)) : season.today > season.deadline ? t.review.seasonOver(fmtDay(ctx, season.deadline), fmtDay(ctx, nextStart)) : t.review.noneThisSeason;
  return reply(
    'info',
    t.review.listTitle(season.year, held, rows.length),
    list(rows.map(({ r, account }) => `${ref('R', r.number)} · ${account} · ${t.review.status[r.status]}`), { empty }),
  );
}

function show(ctx: Ctx, input: Input): Reply {
  const account = input.account();
  const season = reviewSeason(ctx.tenant, ctx.now);
  const item = ctx.db.select().from(reviewItems).where(and(eq(reviewItems.accountId, account.id), eq(reviewItems.season, season.year))).get();
  if (!item) return reply('info', ctx.t.review.noItem(account.name, season.year, fmtDay(ctx, season.start)), text(ctx.t.review.seasonHint));
  return reviewCard(ctx, item, account);
}

export const review: CommandSpec = {
  name: 'review',
  aliases: ['reviews', '复盘', '年度评审'],
  summary: 'review',
  forms: [
    { sub: 'list', subAliases: ['ls', '列表'], usage: '[mine]', flags: [mineFlag], run: listReviews },
    {
      usage: '<account> prepared|held [note]',
      args: [accountArg, { name: 'status', type: 'enum', values: ['prepared', 'held'], valueAliases: { 已准备: 'prepared', 准备好: 'prepared', 已召开: 'held', 已完成: 'held' }, optional: true }],
      text: { name: 'note', required: false },
      run: (ctx, input) => (input.has('status') ? mark(ctx, input) : show(ctx, input)),
    },
  ],
  examples: { en: ['/review Acme prepared Deck ready, wallet share 27%', '/review Acme held', '/review list'], 'zh-CN': ['/复盘 华东 已准备 材料已备好', '/复盘 华东 已召开', '/复盘 列表'] },
};
