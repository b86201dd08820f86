import { moveCounts } from '../src/domain/promises.js';
import { countWhere, firstPage, LIST_LIMIT } from '../src/domain/numbers.js';
import { walletShare } from '../src/domain/amounts.js';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { prepared } from '../db/prepared.js';
import { accounts, complaints, contacts, CONTACT_LEVELS, members, promises, touchpoints, churnSignals, ACCOUNT_STATUSES } from '../db/schema.js';
import { cadenceFor } from '../src/domain/settings.js';
import { TIER_ORDER } from '../src/domain/attention.js';
import { tellOwnersManager } from '../src/views/attention.js';
import type { View } from '../src/domain/view.js';
import { DAY_MS } from '../src/domain/dates.js';
import { lastTouchSql, REVISIT_KINDS, snoozeEnds } from '../src/domain/cadence.js';
import { daysUntil, fmtDay, fmtMoney, fmtPercent, fmtRelative, named, personColumns, ref } from '../src/domain/format.js';
import { addAccount, setAccount, splitAliases, type AccountProfile } from '../src/domain/accounts.js';
import { memberById } from '../src/domain/permissions.js';
import { MAX_NAME } from '../src/domain/text.js';
import type { Account } from '../src/domain/types.js';
import { UserError } from '../src/engine/errors.js';
import { fields, list, reply, text, type Reply, type Rich } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input, OptionSpec } from '../src/engine/spec.js';
import { accountArg, mineFlag, ownerOption, tierOption, withBadValues } from './options.js';
import { healthLine, healthOf, nextStep, reasonText, tierNote } from '../src/domain/health.js';
import { DateTime } from 'luxon';
import { quote } from '../prompts/quote.js';

const SIGNAL_WINDOW_DAYS = 90;

const profileOptions: OptionSpec[] = [
  tierOption,
  ownerOption,
  { name: 'region', aliases: ['区域', '大区', '地区'], type: 'text' },
  { name: 'industry', aliases: ['行业'], type: 'text' },
  { name: 'revenue', aliases: ['营收', '收入', '年营收', '我方营收'], type: 'amount' },
  { name: 'spend', aliases: ['总支出', '品类支出', '采购额', '采购总额', '品类采购额'], type: 'amount' },
  { name: 'cadence', aliases: ['回访周期', '拜访周期', '回访频率'], type: 'days' },
  { name: 'aliases', aliases: ['别名'], type: 'text' },
];

/** Refusals of a value typed (too long, revenue over spend): told with the usage. */
const BAD_VALUES = ['errors.tooLong', 'account.revenueOverSpend'] as const;

function profile(input: Input): AccountProfile {
  const aliases = input.str('aliases');
  return {
    tier: input.str('tier') as Account['tier'] | undefined,
    owner: input.member('owner'),
    region: input.str('region'),
    industry: input.str('industry'),
    annualRevenue: input.num('revenue'),
    categorySpend: input.num('spend'),
    cadenceDays: input.num('cadence'),
    aliases: aliases === undefined ? undefined : splitAliases(aliases),
  };
}

async function add(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = await withBadValues(t, BAD_VALUES, () => addAccount(ctx, input.text.replace(/\s+/g, ' '), profile(input)));
  const owner = (await memberById(ctx, account.ownerId))!;
  return {
    ...reply('success', t.account.added(account.name, t.enums.tier[account.tier], named(ctx, owner)), text(t.account.addedNext(account.name))),
    buttons: [{ label: t.buttons.show, command: `/account show ${quote(account.name)}` }],
  };
}

async function set(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const name = input.str('name')?.replace(/\s+/g, ' ');
  const given = { ...profile(input), name };
  if (Object.values(given).every((v) => v === undefined)) throw UserError.usage(t.account.nothingToSet);
  const what = { edit: t.perm.what.editAccount(account.name), changeOwner: t.perm.what.changeOwner(account.name) };
  const { updated, changed } = await withBadValues(t, BAD_VALUES, () => setAccount(ctx, account, given, what));
  // Less attention (a lower tier, a longer cadence) set by a rep is their manager's to know.
  const [every, nowEvery] = [cadenceFor(ctx.tenant, account), cadenceFor(ctx.tenant, updated)];
  await tellOwnersManager(ctx, account, [
    ...(TIER_ORDER.indexOf(updated.tier) > TIER_ORDER.indexOf(account.tier)
      ? [(v: View) => v.t.attention.tierDown(v.t.enums.tier[account.tier], v.t.enums.tier[updated.tier])]
      : []),
    ...(nowEvery > every ? [(v: View) => v.t.attention.cadenceLonger(every, nowEvery)] : []),
  ]);
  const fieldsChanged = Object.keys(changed).filter((k) => k !== 'nameKey');
  return {
    ...reply('success', t.account.updated(updated.name, fieldsChanged.map((k) => t.account.fieldNames[k as keyof typeof t.account.fieldNames] ?? k).join(', '))),
    buttons: [{ label: t.buttons.show, command: `/account show ${quote(updated.name)}` }],
  };
}

export { walletShare };

/** /account show's queries, prepared once per database (see db/prepared.ts): one per account shown would compile them all each time. */
const showQueries = (db: Ctx['db']) =>
  prepared(db, 'account.show', (q) => {
    const accountId = sql.placeholder('accountId');
    return {
      last: q
        .select({ at: touchpoints.occurredAt, kind: touchpoints.kind, by: personColumns, contact: contacts.name })
        .from(touchpoints)
        .innerJoin(members, eq(members.id, touchpoints.memberId))
        .leftJoin(contacts, eq(contacts.id, touchpoints.contactId))
        .where(eq(touchpoints.accountId, accountId))
        .orderBy(desc(touchpoints.occurredAt))
        .limit(1)
        .prepare(),
      lastVisit: q
        .select({ at: sql<number>`max(${touchpoints.occurredAt})` })
        .from(touchpoints)
        .where(and(eq(touchpoints.accountId, accountId), inArray(touchpoints.kind, [...REVISIT_KINDS])))
        .prepare(),
      firstTouch: q
        .select({ at: sql<number | null>`min(${touchpoints.occurredAt})` })
        .from(touchpoints)
        .where(eq(touchpoints.accountId, accountId))
        .prepare(),
      people: q
        .select()
        .from(contacts)
        .where(and(eq(contacts.accountId, accountId), eq(contacts.active, true)))
        .orderBy(asc(contacts.name))
        .prepare(),
      complaints: q
        .select()
        .from(complaints)
        .where(and(eq(complaints.accountId, accountId), eq(complaints.status, 'open')))
        .orderBy(asc(complaints.deadlineAt))
        .prepare(),
      promises: q
        .select()
        .from(promises)
        .where(and(eq(promises.accountId, accountId), eq(promises.status, 'open')))
        .orderBy(asc(promises.dueOn))
        .prepare(),
      signals: q
        .select()
        .from(churnSignals)
        .where(and(eq(churnSignals.accountId, accountId), sql`${churnSignals.occurredAt} >= ${sql.placeholder('since')}`))
        .orderBy(desc(churnSignals.occurredAt))
        .limit(5)
        .prepare(),
    };
  });

async function show(ctx: Ctx, input: Input): Promise<Reply> {
  const { t, db } = ctx;
  const a = input.account();
  const owner = await memberById(ctx, a.ownerId);
  const cadence = cadenceFor(ctx.tenant, a);
  const q = showQueries(db);
  const last = await q.last.get({ accountId: a.id });
  // Any visit, meeting or review by anyone on our side resets the revisit clock.
  const lastVisit = (await q.lastVisit.get({ accountId: a.id }))?.at;
  const share = walletShare(a);

  const h = (await healthOf(db, ctx.tenant, [a.id], ctx.now)).get(a.id)!;
  // An account we did not know four weeks ago (added then, with no older touchpoint) has no trend: it is not falling.
  const firstTouch = (await q.firstTouch.get({ accountId: a.id }))?.at ?? Infinity;
  const known = Math.min(a.createdAt.getTime(), firstTouch) <= ctx.now.getTime() - 28 * DAY_MS;
  const step = a.status === 'active' ? nextStep(h.now) : undefined;
  const profile: { label: string; value: Rich }[] = [
    { label: t.health.field, value: known ? healthLine(ctx, h.now, h.before) : t.health.line(h.now.score, t.health.bands[h.now.band]) },
    ...(step ? [{ label: t.health.nextStepField, value: t.health.nextStep[step] }] : []),
    { label: t.account.fields.tier, value: t.enums.tier[a.tier] },
    { label: t.account.fields.owner, value: owner ? [{ mention: ctx.mention(owner) }, owner.active ? '' : ` (${t.account.ownerGone})`] : t.common.nobody },
    { label: t.account.fields.status, value: t.enums.accountStatus[a.status] },
    {
      label: t.account.fields.walletShare,
      value: share === undefined ? t.account.walletUnknown : t.account.wallet(fmtPercent(ctx, share), fmtMoney(ctx, a.annualRevenue!), fmtMoney(ctx, a.categorySpend!)),
    },
  ];
  if (a.region) profile.push({ label: t.account.fields.region, value: a.region });
  if (a.industry) profile.push({ label: t.account.fields.industry, value: a.industry });
  if (a.aliases.length) profile.push({ label: t.account.fields.aliases, value: a.aliases.join(', ') });
  profile.push({
    label: t.account.fields.lastTouch,
    value: last
      ? t.account.lastTouch(t.enums.touchKind[last.kind], fmtDay(ctx, last.at), fmtRelative(ctx, last.at), named(ctx, last.by), last.contact ?? undefined)
      : t.account.neverTouched,
  });
  const due = DateTime.fromMillis(lastVisit ?? a.createdAt.getTime(), { zone: ctx.zone }).plus({ days: cadence });
  const dueIn = daysUntil(ctx, due.toISODate()!);
  // Overdue but snoozed: the nudges are quiet until the snooze ends, and the view says so.
  const snoozed = (await snoozeEnds(db, ctx.tenant.id, 'revisit', [a.id])).get(a.id) ?? 0;
  const value =
    dueIn < 0 && snoozed > ctx.now.getTime()
      ? t.account.nextRevisitSnoozed(fmtDay(ctx, due), cadence, fmtDay(ctx, new Date(snoozed)))
      : t.account.nextRevisit(fmtDay(ctx, due), cadence, dueIn);
  profile.push({ label: t.account.fields.nextRevisit, value });

  const people = await q.people.all({ accountId: a.id });
  const byLevel: Rich[] = CONTACT_LEVELS.map((level) => {
    const here = people.filter((c) => c.level === level).map((c) => (c.title ? `${c.name} (${c.title})` : c.name));
    return `${t.enums.level[level]}: ${here.length ? here.join(', ') : t.account.gap}`;
  });

  const open = await q.complaints.all({ accountId: a.id });
  const openPromises = await q.promises.all({ accountId: a.id });
  // A promise renegotiated openly says so wherever it is listed.
  const moved = await moveCounts(
    db,
    openPromises.map((p) => p.id),
  );
  const since = new Date(ctx.now.getTime() - SIGNAL_WINDOW_DAYS * DAY_MS);
  // The placeholder takes the stored value: occurred_at in epoch ms.
  const signals = await q.signals.all({ accountId: a.id, since: since.getTime() });
  const out = reply(
    a.status === 'lost' ? 'warning' : 'info',
    t.account.profileTitle(a.name),
    fields(profile),
    list([...h.now.reasons.map((r) => reasonText(ctx, r)), ...(h.now.reasons.length ? [tierNote(ctx, a.tier)].filter((x) => x !== undefined) : [])], {
      heading: t.health.reasonsHeading,
      empty: t.common.none,
    }),
    list(byLevel, { heading: t.account.contactsHeading(people.length) }),
    list(
      open.map((c) => t.account.complaintLine(ref('C', c.number), t.enums.severity[c.severity], c.summary, c.deadlineAt < ctx.now)),
      { heading: t.account.complaintsHeading(open.length), empty: t.common.none },
    ),
    list(
      openPromises.map((p) => t.account.promiseLine(ref('P', p.number), p.text, fmtDay(ctx, p.dueOn), daysUntil(ctx, p.dueOn) < 0, moved.get(p.id))),
      { heading: t.account.promisesHeading(openPromises.length), empty: t.common.none },
    ),
  );
  if (signals.length) {
    out.sections.push(
      list(
        signals.map((s) => `${fmtDay(ctx, s.occurredAt)} · ${t.enums.signal[s.kind]}${s.detail ? ` — ${s.detail}` : ''}`),
        { heading: t.account.signalsHeading },
      ),
    );
  }
  out.buttons = [
    { label: t.buttons.logTouch, command: `/touch ${quote(a.name)}`, style: 'primary' },
    { label: t.buttons.logComplaint, command: `/complaint ${quote(a.name)}` },
  ];
  return out;
}

async function listAccounts(ctx: Ctx, input: Input): Promise<Reply> {
  const { t, db } = ctx;
  const owner = input.flag('mine') ? ctx.actor : input.member('owner');
  const tier = input.str('tier') as Account['tier'] | undefined;
  const status = (input.str('status') as Account['status'] | undefined) ?? 'active';
  const where = and(
    eq(accounts.tenantId, ctx.tenant.id),
    eq(accounts.status, status),
    owner ? eq(accounts.ownerId, owner.id) : undefined,
    tier ? eq(accounts.tier, tier) : undefined,
  );
  const tierOrder = sql`case ${accounts.tier} when 'strategic' then 0 when 'key' then 1 else 2 end`;
  const rows = await db
    .select({ name: accounts.name, tier: accounts.tier, owner: personColumns, last: lastTouchSql })
    .from(accounts)
    .leftJoin(members, eq(members.id, accounts.ownerId))
    .where(where)
    .orderBy(tierOrder, asc(accounts.nameKey))
    .limit(LIST_LIMIT + 1)
    .all();
  const { shown, total } = await firstPage(rows, () => countWhere(ctx.db, accounts, where));
  const items = shown.map((r) =>
    t.account.listLine(r.name, t.enums.tier[r.tier], named(ctx, r.owner) ?? t.common.nobody, r.last ? fmtRelative(ctx, new Date(r.last)) : t.account.neverTouched),
  );
  // A filter that matches nothing says so: the book is empty only when there is no account at all.
  const filters = [
    status === 'lost' ? t.enums.accountStatus.lost : undefined,
    tier ? t.enums.tier[tier] : undefined,
    owner ? t.account.ownedBy(named(ctx, owner)) : undefined,
  ].filter((f) => f !== undefined);
  const empty =
    rows.length > 0
      ? undefined
      : filters.length === 1 && status === 'lost'
        ? t.account.noneLost
        : filters.length > 0
          ? t.account.noneMatch(filters)
          : (await countWhere(ctx.db, accounts, eq(accounts.tenantId, ctx.tenant.id))) > 0
            ? t.account.noneActive
            : t.account.noneYet;
  return reply('info', t.account.listTitle(total), list(items, { empty, more: total - items.length }));
}

export const account: CommandSpec = {
  name: 'account',
  aliases: ['accounts', '客户'],
  summary: 'account',
  forms: [
    {
      sub: 'add',
      subAliases: ['new', '添加', '新增'],
      usage: '<name> [tier:strategic|key|standard] [owner:@someone] [region:..] [industry:..] [revenue:..] [spend:..] [cadence:<days>] [aliases:a,b]',
      options: profileOptions,
      text: { name: 'name', required: true, max: MAX_NAME },
      run: add,
    },
    { sub: 'show', subAliases: ['查看'], usage: '<account>', args: [accountArg], run: show },
    {
      sub: 'list',
      subAliases: ['ls', '列表'],
      usage: '[mine] [tier:..] [owner:@someone] [status:active|lost]',
      flags: [mineFlag],
      options: [tierOption, ownerOption, { name: 'status', aliases: ['状态'], type: 'enum', values: ACCOUNT_STATUSES, valueAliases: { 活跃: 'active', 流失: 'lost' } }],
      run: listAccounts,
    },
    {
      sub: 'set',
      subAliases: ['edit', '修改'],
      usage: '<account> [name:..] [tier:..] [owner:@someone] [region:..] [industry:..] [revenue:..] [spend:..] [cadence:<days>] [aliases:a,b]',
      args: [accountArg],
      options: [...profileOptions, { name: 'name', aliases: ['名称'], type: 'text' }],
      run: set,
    },
    { usage: '<account>', args: [accountArg], run: show },
  ],
  examples: {
    en: ['/account add "Acme Logistics" tier:strategic region:East revenue:1.2m spend:4m', '/account Acme', '/account list mine', '/account set Acme tier:key owner:@li'],
    'zh-CN': ['/客户 添加 华东物流 级别:战略 区域:华东 营收:120万 总支出:500万', '/客户 华东', '/客户 列表 我的', '/客户 修改 华东 负责人:@王磊'],
  },
};
