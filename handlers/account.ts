import { moveCounts } from '../src/domain/promises.js';
import { countWhere, firstPage, LIST_LIMIT } from '../src/domain/numbers.js';
import { walletShare } from '../src/domain/amounts.js';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { accountAliases, accounts, complaints, contacts, CONTACT_LEVELS, members, promises, touchpoints, churnSignals, ACCOUNT_STATUSES } from '../db/schema.js';
import { cadenceFor } from '../src/domain/settings.js';
import { TIER_ORDER } from '../src/domain/attention.js';
import { tellOwnersManager } from '../src/views/attention.js';
import type { View } from '../src/domain/view.js';
import { DAY_MS } from '../src/domain/dates.js';
import { lastTouchSql, REVISIT_KINDS, snoozeEnds } from '../src/domain/cadence.js';
import { daysUntil, fmtDay, fmtMoney, fmtPercent, fmtRelative, named, personColumns, ref } from '../src/domain/format.js';
import { accountByExactName } from '../src/domain/match.js';
import { memberById, requireAbove, requireOwnerOrManager } from '../src/domain/permissions.js';
import { MAX_NAME, normalize } from '../src/domain/text.js';
import type { Account } from '../src/domain/types.js';
import { about, UserError } from '../src/engine/errors.js';
import { fields, list, reply, text, type Reply, type Rich } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input, OptionSpec } from '../src/engine/spec.js';
import { accountArg, mineFlag, ownerOption, tierOption } from './options.js';
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

function parseAliases(ctx: Ctx, raw: string | undefined, self?: Account): string[] | undefined {
  if (raw === undefined) return undefined;
  const aliases = [...new Set(raw.split(/[,，、;；]/u).map((a) => a.trim()).filter(Boolean))];
  for (const alias of aliases) {
    if (alias.length > MAX_NAME) throw new UserError(ctx.t.errors.tooLong(alias.length, MAX_NAME));
    const clash = accountByExactName(ctx.db, ctx.tenant.id, alias);
    if (clash && clash.id !== self?.id) throw new UserError(ctx.t.account.nameTaken(alias, clash.name), [], false);
  }
  return aliases;
}

function saveAliases(ctx: Ctx, accountId: number, aliases: string[]): void {
  ctx.db.delete(accountAliases).where(eq(accountAliases.accountId, accountId)).run();
  const keys = [...new Set(aliases.map(normalize))];
  if (keys.length) ctx.db.insert(accountAliases).values(keys.map((key) => ({ tenantId: ctx.tenant.id, accountId, key }))).run();
}

function profileValues(ctx: Ctx, input: Input, self?: Account) {
  const aliases = parseAliases(ctx, input.str('aliases'), self);
  const owner = input.member('owner');
  // Someone who has left owns nothing new.
  if (owner && !owner.active) throw new UserError(ctx.t.complaint.inactiveMember(named(ctx, owner)), [], false);
  return {
    tier: input.str('tier') as Account['tier'] | undefined,
    ownerId: owner?.id,
    region: input.str('region'),
    industry: input.str('industry'),
    annualRevenue: input.num('revenue'),
    categorySpend: input.num('spend'),
    cadenceDays: input.num('cadence'),
    aliases,
  };
}

/**
 * Wallet share is our revenue from them over their total spend in our category
 * (DOMAIN.md): our revenue cannot exceed it. `stored` fills in the one not given.
 */
function checkWallet(ctx: Ctx, given: { annualRevenue?: number; categorySpend?: number }, stored?: Account): void {
  if (given.annualRevenue === undefined && given.categorySpend === undefined) return;
  const ours = given.annualRevenue ?? stored?.annualRevenue;
  const theirs = given.categorySpend ?? stored?.categorySpend;
  if (ours != null && theirs != null && ours > theirs) {
    // Rounded alike (1.24m and 1.2m both read 1.2M), the two are shown in full.
    const alike = fmtMoney(ctx, ours) === fmtMoney(ctx, theirs);
    const show = (n: number) => (alike ? new Intl.NumberFormat(ctx.locale).format(n) : fmtMoney(ctx, n));
    throw about(given.annualRevenue === undefined ? 'spend' : 'revenue', () => new UserError(ctx.t.account.revenueOverSpend(show(ours), show(theirs))));
  }
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function add(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const name = input.text.replace(/\s+/g, ' ');
  if ([...name].length > MAX_NAME) throw new UserError(t.errors.tooLong([...name].length, MAX_NAME));
  const clash = accountByExactName(ctx.db, ctx.tenant.id, name);
  if (clash) throw new UserError(t.account.nameTaken(name, clash.name), [], false);
  const values = profileValues(ctx, input);
  checkWallet(ctx, values);
  const account = ctx.db
    .insert(accounts)
    .values({
      ...defined(values),
      tenantId: ctx.tenant.id,
      name,
      nameKey: normalize(name),
      ownerId: values.ownerId ?? ctx.actor.id,
      createdAt: ctx.now,
      updatedAt: ctx.now,
    })
    .returning()
    .get();
  saveAliases(ctx, account.id, account.aliases);
  ctx.audit('account.add', 'account', account.id, { name });
  const owner = memberById(ctx, account.ownerId)!;
  return {
    ...reply('success', t.account.added(account.name, t.enums.tier[account.tier], named(ctx, owner)), text(t.account.addedNext(account.name))),
    buttons: [{ label: t.buttons.show, command: `/account show ${quote(account.name)}` }],
  };
}

function set(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  const name = input.str('name')?.replace(/\s+/g, ' ');
  const values = defined({ ...profileValues(ctx, input, account), name, nameKey: name === undefined ? undefined : normalize(name) });
  if (Object.keys(values).length === 0) throw new UserError(t.account.nothingToSet);
  requireOwnerOrManager(ctx, account.ownerId, t.perm.what.editAccount(account.name));
  // A new owner is a handover, which the owner can't make alone: it needs someone above them.
  const owner = memberById(ctx, account.ownerId);
  if (owner && values.ownerId !== undefined && values.ownerId !== owner.id) requireAbove(ctx, owner, t.perm.what.changeOwner(account.name));
  checkWallet(ctx, values, account);
  if (name !== undefined) {
    if ([...name].length > MAX_NAME) throw new UserError(t.errors.tooLong([...name].length, MAX_NAME));
    const clash = accountByExactName(ctx.db, ctx.tenant.id, name);
    if (clash && clash.id !== account.id) throw new UserError(t.account.nameTaken(name, clash.name), [], false);
  }
  const updated = ctx.db.update(accounts).set({ ...values, updatedAt: ctx.now }).where(eq(accounts.id, account.id)).returning().get();
  if (values.ownerId !== undefined && values.ownerId !== account.ownerId) ctx.db.update(accounts).set({ ownerGoneAt: null }).where(eq(accounts.id, account.id)).run();
  ctx.audit('account.set', 'account', account.id, values);
  // Less attention (a lower tier, a longer cadence) set by a rep is their manager's to know.
  const [every, nowEvery] = [cadenceFor(ctx.tenant, account), cadenceFor(ctx.tenant, updated)];
  tellOwnersManager(ctx, account, [
    ...(TIER_ORDER.indexOf(updated.tier) > TIER_ORDER.indexOf(account.tier) ? [(v: View) => v.t.attention.tierDown(v.t.enums.tier[account.tier], v.t.enums.tier[updated.tier])] : []),
    ...(nowEvery > every ? [(v: View) => v.t.attention.cadenceLonger(every, nowEvery)] : []),
  ]);
  const changed = Object.keys(values).filter((k) => k !== 'nameKey');
  if (values.aliases) saveAliases(ctx, account.id, values.aliases);
  return {
    ...reply('success', t.account.updated(updated.name, changed.map((k) => t.account.fieldNames[k as keyof typeof t.account.fieldNames] ?? k).join(', '))),
    buttons: [{ label: t.buttons.show, command: `/account show ${quote(updated.name)}` }],
  };
}

export { walletShare };

function show(ctx: Ctx, input: Input): Reply {
  const { t, db } = ctx;
  const a = input.account();
  const owner = memberById(ctx, a.ownerId);
  const cadence = cadenceFor(ctx.tenant, a);
  const last = db
    .select({ at: touchpoints.occurredAt, kind: touchpoints.kind, by: personColumns, contact: contacts.name })
    .from(touchpoints)
    .innerJoin(members, eq(members.id, touchpoints.memberId))
    .leftJoin(contacts, eq(contacts.id, touchpoints.contactId))
    .where(eq(touchpoints.accountId, a.id))
    .orderBy(desc(touchpoints.occurredAt))
    .limit(1)
    .get();
  // Any visit, meeting or review by anyone on our side resets the revisit clock.
  const lastVisit = db
    .select({ at: sql<number>`max(${touchpoints.occurredAt})` })
    .from(touchpoints)
    .where(and(eq(touchpoints.accountId, a.id), inArray(touchpoints.kind, [...REVISIT_KINDS])))
    .get()?.at;
  const share = walletShare(a);

  const h = healthOf(db, ctx.tenant, [a.id], ctx.now).get(a.id)!;
  // An account we did not know four weeks ago (added then, with no older touchpoint) has no trend: it is not falling.
  const firstTouch = db.select({ at: sql<number | null>`min(${touchpoints.occurredAt})` }).from(touchpoints).where(eq(touchpoints.accountId, a.id)).get()?.at ?? Infinity;
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
    value: last ? t.account.lastTouch(t.enums.touchKind[last.kind], fmtDay(ctx, last.at), fmtRelative(ctx, last.at), named(ctx, last.by), last.contact ?? undefined) : t.account.neverTouched,
  });
  const due = DateTime.fromMillis(lastVisit ?? a.createdAt.getTime(), { zone: ctx.zone }).plus({ days: cadence });
  const dueIn = daysUntil(ctx, due.toISODate()!);
  // Overdue but snoozed: the nudges are quiet until the snooze ends, and the view says so.
  const snoozed = snoozeEnds(db, ctx.tenant.id, 'revisit', [a.id]).get(a.id) ?? 0;
  const value = dueIn < 0 && snoozed > ctx.now.getTime() ? t.account.nextRevisitSnoozed(fmtDay(ctx, due), cadence, fmtDay(ctx, new Date(snoozed))) : t.account.nextRevisit(fmtDay(ctx, due), cadence, dueIn);
  profile.push({ label: t.account.fields.nextRevisit, value });

  const people = db.select().from(contacts).where(and(eq(contacts.accountId, a.id), eq(contacts.active, true))).orderBy(asc(contacts.name)).all();
  const byLevel: Rich[] = CONTACT_LEVELS.map((level) => {
    const here = people.filter((c) => c.level === level).map((c) => (c.title ? `${c.name} (${c.title})` : c.name));
    return `${t.enums.level[level]}: ${here.length ? here.join(', ') : t.account.gap}`;
  });

  const open = db
    .select()
    .from(complaints)
    .where(and(eq(complaints.accountId, a.id), eq(complaints.status, 'open')))
    .orderBy(asc(complaints.deadlineAt))
    .all();
  const openPromises = db
    .select()
    .from(promises)
    .where(and(eq(promises.accountId, a.id), eq(promises.status, 'open')))
    .orderBy(asc(promises.dueOn))
    .all();
  // A promise renegotiated openly says so wherever it is listed.
  const moved = moveCounts(db, openPromises.map((p) => p.id));
  const since = new Date(ctx.now.getTime() - SIGNAL_WINDOW_DAYS * DAY_MS);
  const signals = db
    .select()
    .from(churnSignals)
    .where(and(eq(churnSignals.accountId, a.id), sql`${churnSignals.occurredAt} >= ${since.getTime()}`))
    .orderBy(desc(churnSignals.occurredAt))
    .limit(5)
    .all();

  const out = reply(
    a.status === 'lost' ? 'warning' : 'info',
    t.account.profileTitle(a.name),
    fields(profile),
    list([...h.now.reasons.map((r) => reasonText(ctx, r)), ...(h.now.reasons.length ? [tierNote(ctx, a.tier)].filter((x) => x !== undefined) : [])], { heading: t.health.reasonsHeading, empty: t.common.none }),
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
    out.sections.push(list(signals.map((s) => `${fmtDay(ctx, s.occurredAt)} · ${t.enums.signal[s.kind]}${s.detail ? ` — ${s.detail}` : ''}`), { heading: t.account.signalsHeading }));
  }
  out.buttons = [
    { label: t.buttons.logTouch, command: `/touch ${quote(a.name)}`, style: 'primary' },
    { label: t.buttons.logComplaint, command: `/complaint ${quote(a.name)}` },
  ];
  return out;
}

function listAccounts(ctx: Ctx, input: Input): Reply {
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
  const rows = db
    .select({ name: accounts.name, tier: accounts.tier, owner: personColumns, last: lastTouchSql })
    .from(accounts)
    .leftJoin(members, eq(members.id, accounts.ownerId))
    .where(where)
    .orderBy(tierOrder, asc(accounts.nameKey))
    .limit(LIST_LIMIT + 1)
    .all();
  const { shown, total } = firstPage(rows, () => countWhere(ctx.db, accounts, where));
  const items = shown.map((r) =>
    t.account.listLine(r.name, t.enums.tier[r.tier], named(ctx, r.owner) ?? t.common.nobody, r.last ? fmtRelative(ctx, new Date(r.last)) : t.account.neverTouched),
  );
  // A filter that matches nothing says so: the book is empty only when there is no account at all.
  const filters = [status === 'lost' ? t.enums.accountStatus.lost : undefined, tier ? t.enums.tier[tier] : undefined, owner ? t.account.ownedBy(named(ctx, owner)) : undefined].filter((f) => f !== undefined);
  const empty =
    rows.length > 0
      ? undefined
      : filters.length === 1 && status === 'lost'
        ? t.account.noneLost
        : filters.length > 0
          ? t.account.noneMatch(filters)
          : countWhere(ctx.db, accounts, eq(accounts.tenantId, ctx.tenant.id)) > 0
            ? t.account.noneActive
            : t.account.noneYet;
  return reply('info', t.account.listTitle(total), list(items, { empty, more: total - items.length }));
}

export const account: CommandSpec = {
  name: 'account',
  aliases: ['accounts', '客户'],
  summary: 'account',
  forms: [
    { sub: 'add', subAliases: ['new', '添加', '新增'], usage: '<name> [tier:strategic|key|standard] [owner:@someone] [region:..] [industry:..] [revenue:..] [spend:..] [cadence:<days>] [aliases:a,b]', options: profileOptions, text: { name: 'name', required: true, max: MAX_NAME }, run: add },
    { sub: 'show', subAliases: ['查看'], usage: '<account>', args: [accountArg], run: show },
    {
      sub: 'list',
      subAliases: ['ls', '列表'],
      usage: '[mine] [tier:..] [owner:@someone] [status:active|lost]',
      flags: [mineFlag],
      options: [tierOption, ownerOption, { name: 'status', aliases: ['状态'], type: 'enum', values: ACCOUNT_STATUSES, valueAliases: { 活跃: 'active', 流失: 'lost' } }],
      run: listAccounts,
    },
    { sub: 'set', subAliases: ['edit', '修改'], usage: '<account> [name:..] [tier:..] [owner:@someone] [region:..] [industry:..] [revenue:..] [spend:..] [cadence:<days>] [aliases:a,b]', args: [accountArg], options: [...profileOptions, { name: 'name', aliases: ['名称'], type: 'text' }], run: set },
    { usage: '<account>', args: [accountArg], run: show },
  ],
  examples: {
    en: ['/account add "Acme Logistics" tier:strategic region:East revenue:1.2m spend:4m', '/account Acme', '/account list mine', '/account set Acme tier:key owner:@li'],
    'zh-CN': ['/客户 添加 华东物流 级别:战略 区域:华东 营收:120万 总支出:500万', '/客户 华东', '/客户 列表 我的', '/客户 修改 华东 负责人:@王磊'],
  },
};

