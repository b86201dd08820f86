import { and, asc, eq, inArray } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { accounts, members, reviewItems } from '../db/schema.js';
import { catalog } from '../prompts/index.js';
import { DAY_MS } from '../src/domain/dates.js';
import { cadenceFor } from '../src/domain/settings.js';
import { fmtAge, fmtDay, fmtMoney, fmtPercent, named, personColumns, ref } from '../src/domain/format.js';
import { matchIn } from '../src/domain/match.js';
import { requireOwnerOrManager } from '../src/domain/permissions.js';
import { REVIEW_CHECKLIST, reviewFacts, reviewProblem, type ChecklistEntry, type ReviewFacts, type ReviewItemKey, type ReviewProblem } from '../src/domain/review.js';
import type { Account } from '../src/domain/types.js';
import type { View } from '../src/domain/view.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { quote } from '../prompts/quote.js';
import { reviewSeason } from '../src/domain/review.js';
import { reviewCard } from '../src/views/review.js';
import { revisitDue } from '../src/domain/cadence.js';
import { accountArg, mineFlag } from './options.js';

type Item = typeof reviewItems.$inferSelect;

/** This season's item for the account, or the refusal that says there is none. */
async function seasonItem(ctx: Ctx, account: Account): Promise<Item> {
  const season = reviewSeason(ctx.tenant, ctx.now);
  const item = await ctx.db
    .select()
    .from(reviewItems)
    .where(and(eq(reviewItems.accountId, account.id), eq(reviewItems.season, season.year)))
    .get();
  if (!item) throw UserError.refusal(ctx.t.review.noItem(account.name, season.year, fmtDay(ctx, season.start)));
  return item;
}

/** Only the account's owner (today's, who may not be the one the item was made for), their managers and admins change its review. */
async function mayChange(ctx: Ctx, account: Account, item: Item): Promise<void> {
  await requireOwnerOrManager(ctx, account.ownerId ?? item.ownerId, ctx.t.perm.what.review(ref('R', item.number)));
  if (item.status === 'held') throw UserError.refusal(ctx.t.review.alreadyHeld(ref('R', item.number)));
}

/** The reader's words for what the record says against an item. */
function problemText(v: View, p: ReviewProblem, account: Account): string {
  const t = v.t.review.problem;
  switch (p.key) {
    case 'complaints':
      return t.complaints(p.open.map((c) => t.complaintId(ref('C', c.number), v.t.enums.severity[c.severity])));
    case 'promises':
      return t.promises(p.overdue.map((x) => t.promiseId(ref('P', x.number), fmtDay(v, x.dueOn))));
    case 'wallet':
      return t.wallet(quote(account.name));
  }
}

/** Each item's key in every catalog: a Chinese key works in an English workspace, and the other way round. */
const KEYS_EVERY_LANGUAGE = (key: ReviewItemKey) => [catalog('en').review.itemKeys[key], catalog('zh-CN').review.itemKeys[key]];

const ITEM_WORDS: Record<ReviewItemKey, readonly string[]> = {
  complaints: ['complaint'],
  promises: ['promise'],
  wallet: ['share', 'wallet-share', '钱包份额', '钱包', '占比'],
  risks: ['risk'],
  competitors: ['competitor', 'competition', '竞争对手'],
};

/** The item a word names: its number (1-5), its key in either language, or a few other words for it. */
function itemOf(ctx: Ctx, typed: string): { key: ReviewItemKey; n: number } {
  const { t } = ctx;
  const names = (key: ReviewItemKey) => [...new Set([String(REVIEW_CHECKLIST.indexOf(key) + 1), key, t.review.itemKeys[key], ...KEYS_EVERY_LANGUAGE(key), ...ITEM_WORDS[key]])];
  const byNumber = /^#?(\d)$/.exec(typed.trim());
  const m = byNumber ? undefined : matchIn([...REVIEW_CHECKLIST], typed, names);
  const key = byNumber ? REVIEW_CHECKLIST[Number(byNumber[1]) - 1] : m?.kind === 'found' ? m.item : undefined;
  if (key) return { key, n: REVIEW_CHECKLIST.indexOf(key) + 1 };
  // A slip of the keys names the item meant; a start that fits several (`c`) names them all.
  const near = m?.kind === 'none' ? REVIEW_CHECKLIST.filter((k) => names(k).includes(m.suggestions[0] ?? '')) : m?.kind === 'ambiguous' ? m.candidates : [];
  throw UserError.usage(
    t.review.unknownItem(
      typed,
      near.map((k) => t.review.itemKeys[k]),
      REVIEW_CHECKLIST.map((k, i) => `${i + 1} ${t.review.itemKeys[k]}`),
    ),
  );
}

async function whoTicked(ctx: Ctx, checklist: readonly ChecklistEntry[]): Promise<(id: number) => string | undefined> {
  const ids = [...new Set(checklist.map((c) => c.tickedBy).filter((x): x is number => x != null))];
  const rows = ids.length
    ? await ctx.db
        .select({ id: members.id, ...personColumns })
        .from(members)
        .where(inArray(members.id, ids))
        .all()
    : [];
  const byId = new Map(rows.map((r) => [r.id, named(ctx, r)]));
  return (id) => byId.get(id);
}

/** The card with each item's state, who ticked it, and what the record says of the items it can check. */
async function card(ctx: Ctx, item: Item, account: Account, facts: ReviewFacts): Promise<Reply> {
  const notes = new Map<string, string>();
  for (const c of item.checklist) {
    const p = reviewProblem(c.key, facts);
    if (p) notes.set(c.key, ctx.t.review.notTrue(problemText(ctx, p, account)));
    else if (p === null && !c.done) notes.set(c.key, ctx.t.review.trueOnRecord);
  }
  return reviewCard(ctx, item, account, { who: await whoTicked(ctx, item.checklist), notes });
}

/** The facts of the year the owner prepares from. */
function factLines(ctx: Ctx, account: Account, f: ReviewFacts): string[] {
  const { t } = ctx;
  const F = t.review.facts;
  const lines: string[] = [];
  lines.push(
    F.wallet(
      f.walletShare === undefined
        ? t.account.walletUnknown
        : t.account.wallet(fmtPercent(ctx, f.walletShare), fmtMoney(ctx, account.annualRevenue!), fmtMoney(ctx, account.categorySpend!)),
    ),
  );
  const oldest = [...f.complaints.open].sort((a, b) => a.openedAt - b.openedAt)[0];
  const critical = f.complaints.open.filter((c) => c.severity === 'critical').map((c) => ref('C', c.number));
  lines.push(
    F.complaints(f.complaints.opened, f.complaints.resolved) +
      (oldest ? F.complaintsOpen(f.complaints.open.length, ref('C', oldest.number), fmtAge(ctx, new Date(oldest.openedAt))) : '') +
      (critical.length ? F.critical(critical) : ''),
  );
  lines.push(F.promises(f.promises.kept, f.promises.broken, f.promises.open) + (f.promises.overdue.length ? F.overdue(f.promises.overdue.map((p) => ref('P', p.number))) : ''));
  lines.push(f.uncovered.length ? F.coverage(f.uncovered.map((x) => t.enums.fn[x])) : F.covered);
  lines.push(f.signals.length ? F.signals(f.signals.map((s) => F.signal(t.enums.signal[s.kind], fmtDay(ctx, new Date(s.at))))) : F.noSignals);
  const due = revisitDue(ctx.tenant, account, f.lastVisit);
  const late = Math.floor((ctx.now.getTime() - due) / DAY_MS);
  const cadence = cadenceFor(ctx.tenant, account);
  lines.push(F.visit(f.lastVisit === null ? undefined : fmtDay(ctx, new Date(f.lastVisit)), cadence, fmtDay(ctx, new Date(due)), late));
  return lines;
}

async function show(ctx: Ctx, input: Input): Promise<Reply> {
  const account = input.account();
  const season = reviewSeason(ctx.tenant, ctx.now);
  const item = await ctx.db
    .select()
    .from(reviewItems)
    .where(and(eq(reviewItems.accountId, account.id), eq(reviewItems.season, season.year)))
    .get();
  if (!item) return reply('info', ctx.t.review.noItem(account.name, season.year, fmtDay(ctx, season.start)), text(ctx.t.review.seasonHint));
  const facts = await reviewFacts(ctx.db, ctx.tenant, account, item.season, ctx.now);
  const out = await card(ctx, item, account, facts);
  out.sections.push(list(factLines(ctx, account, facts), { heading: ctx.t.review.factsHeading(item.season) }));
  return out;
}

async function tick(ctx: Ctx, input: Input, done: boolean): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const { key, n } = itemOf(ctx, input.str('item')!);
  const item = await seasonItem(ctx, account);
  await mayChange(ctx, account, item);
  const at = item.checklist.findIndex((c) => c.key === key);
  const entry = item.checklist[at];
  const label = t.review.checklist[key];
  if (done && entry?.done) {
    const by = t.review.tickedBy(
      entry.tickedBy != null ? (await whoTicked(ctx, [entry]))(entry.tickedBy) : undefined,
      entry.tickedAt != null ? fmtDay(ctx, new Date(entry.tickedAt)) : undefined,
    );
    return reply('info', t.review.alreadyTicked(n, by));
  }
  if (!done && !entry?.done) return reply('info', t.review.notTicked(n));
  if (done) {
    const p = reviewProblem(key, await reviewFacts(ctx.db, ctx.tenant, account, item.season, ctx.now));
    if (p) throw UserError.refusal(t.review.cannotTick(n, label, problemText(ctx, p, account)));
  }
  const next: ChecklistEntry = done ? { key, done: true, tickedBy: ctx.actor.id, tickedAt: ctx.now.getTime() } : { key, done: false };
  // An item missing from an older row's checklist is added in the domain's order.
  const checklist =
    at >= 0
      ? item.checklist.map((c, i) => (i === at ? next : c))
      : REVIEW_CHECKLIST.map((k) => item.checklist.find((c) => c.key === k) ?? (k === key ? next : { key: k, done: false }));
  // A review that claimed every item prepared is not prepared once one of them is unticked.
  const reopen = !done && item.status === 'prepared';
  const updated = await ctx.db
    .update(reviewItems)
    .set({ checklist, ownerId: account.ownerId ?? item.ownerId, ...(reopen ? { status: 'open' as const, preparedAt: null } : {}) })
    .where(eq(reviewItems.id, item.id))
    .returning()
    .get();
  await ctx.audit(done ? 'review.tick' : 'review.untick', 'review', item.id, { item: key, ...(input.text ? { note: input.text } : {}) });
  const id = ref('R', item.number);
  const out = await card(ctx, updated, account, await reviewFacts(ctx.db, ctx.tenant, account, item.season, ctx.now));
  if (reopen) out.sections.unshift(text(t.review.backToOpen(id)));
  return { ...out, tone: 'success', title: done ? t.review.ticked(id, n, label) : t.review.unticked(id, n, label) };
}

/**
 * `prepared` claims every item: refused while the record contradicts one it can check, or one only the
 * owner can vouch for is unticked. The checked items the record bears out are ticked, and said so.
 */
async function prepare(ctx: Ctx, input: Input, account: Account, item: Item): Promise<Reply> {
  const { t } = ctx;
  const id = ref('R', item.number);
  const facts = await reviewFacts(ctx.db, ctx.tenant, account, item.season, ctx.now);
  const checklist: ChecklistEntry[] = REVIEW_CHECKLIST.map((k) => item.checklist.find((c) => c.key === k) ?? { key: k, done: false });
  const problems: string[] = [];
  const toTick: string[] = [];
  const autoTicked: string[] = [];
  const next = checklist.map((c, i) => {
    const key = c.key as ReviewItemKey;
    const p = reviewProblem(key, facts);
    if (p) problems.push(t.review.notReadyProblem(i + 1, t.review.itemKeys[key], problemText(ctx, p, account)));
    else if (p === undefined && !c.done) toTick.push(`${i + 1} ${t.review.itemKeys[key]}`);
    else if (p === null && !c.done) {
      autoTicked.push(`${i + 1} ${t.review.itemKeys[key]}`);
      return { key, done: true, tickedBy: ctx.actor.id, tickedAt: ctx.now.getTime() };
    }
    return c;
  });
  if (problems.length || toTick.length) {
    const lines = [...problems, ...(toTick.length ? [t.review.notReadyTick(toTick, quote(account.name))] : [])];
    throw UserError.refusal(t.review.notReady(id, account.name), lines);
  }
  const updated = await ctx.db
    .update(reviewItems)
    .set({ status: 'prepared', preparedAt: ctx.now, checklist: next, ownerId: account.ownerId ?? item.ownerId, note: input.text || item.note })
    .where(eq(reviewItems.id, item.id))
    .returning()
    .get();
  await ctx.audit('review.prepared', 'review', item.id, { ...(input.text ? { note: input.text } : {}), ...(autoTicked.length ? { ticked: autoTicked } : {}) });
  const out = await card(ctx, updated, account, facts);
  if (autoTicked.length) out.sections.push(text(t.review.autoTicked(autoTicked)));
  return { ...out, tone: 'success', title: t.review.prepared(id, account.name) };
}

async function mark(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const status = input.str('status') as 'prepared' | 'held';
  const item = await seasonItem(ctx, account);
  await mayChange(ctx, account, item);
  if (status === 'prepared') return prepare(ctx, input, account, item);
  // The meeting took place: that is a fact of its own, and it vouches for no checklist item.
  const updated = await ctx.db
    .update(reviewItems)
    .set({ status, heldAt: ctx.now, preparedAt: item.preparedAt ?? ctx.now, ownerId: account.ownerId ?? item.ownerId, note: input.text || item.note })
    .where(eq(reviewItems.id, item.id))
    .returning()
    .get();
  await ctx.audit('review.held', 'review', item.id, input.text ? { note: input.text } : {});
  const out = reviewCard(ctx, updated, account, { who: await whoTicked(ctx, updated.checklist) });
  return { ...out, tone: 'success', title: t.review.held(ref('R', item.number), account.name) };
}

async function listReviews(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const season = reviewSeason(ctx.tenant, ctx.now);
  const rows = await ctx.db
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
    season.today < season.start
      ? t.review.noneYet(fmtDay(ctx, season.start))
      : season.today > season.deadline
        ? t.review.seasonOver(fmtDay(ctx, season.deadline), fmtDay(ctx, nextStart))
        : t.review.noneThisSeason;
  return reply(
    'info',
    t.review.listTitle(season.year, held, rows.length),
    list(
      rows.map(({ r, account }) => `${ref('R', r.number)} · ${account} · ${t.review.status[r.status]}`),
      { empty },
    ),
  );
}

const itemArg = { name: 'item', type: 'word' } as const;

export const review: CommandSpec = {
  name: 'review',
  aliases: ['reviews', '复盘', '年度评审'],
  summary: 'review',
  forms: [
    { sub: 'list', subAliases: ['ls', '列表'], usage: '[mine]', flags: [mineFlag], run: listReviews },
    {
      sub: 'tick',
      subAliases: ['check', '勾选', '打勾'],
      usage: '<account> <item> [note]',
      args: [accountArg, itemArg],
      text: { name: 'note', required: false },
      run: (ctx, input) => tick(ctx, input, true),
    },
    { sub: 'untick', subAliases: ['uncheck', '取消勾选', '取消'], usage: '<account> <item>', args: [accountArg, itemArg], run: (ctx, input) => tick(ctx, input, false) },
    {
      usage: '<account> [prepared|held] [note]',
      args: [
        accountArg,
        { name: 'status', type: 'enum', values: ['prepared', 'held'], valueAliases: { 已准备: 'prepared', 准备好: 'prepared', 已召开: 'held', 已完成: 'held' }, optional: true },
      ],
      text: { name: 'note', required: false },
      run: (ctx, input) => {
        if (input.has('status')) return mark(ctx, input);
        // A note is only for prepared|held: other words (`tikc risks`, `勾 份额`) are a slip, not to be dropped in silence.
        if (input.text) throw UserError.usage(ctx.t.errors.unexpected(input.text.length > 60 ? `${input.text.slice(0, 60)}…` : input.text));
        return show(ctx, input);
      },
    },
  ],
  examples: {
    en: [
      '/review Acme',
      '/review Acme tick risks',
      '/review Acme tick 5',
      '/review Acme untick wallet',
      '/review Acme prepared Deck ready, wallet share 27%',
      '/review Acme held',
      '/review list',
    ],
    'zh-CN': ['/复盘 华东', '/复盘 华东 勾选 风险', '/复盘 华东 取消勾选 份额', '/复盘 华东 已准备 材料已备好', '/复盘 华东 已召开', '/复盘 列表'],
  },
};
