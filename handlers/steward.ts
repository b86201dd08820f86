import { DateTime } from 'luxon';
import { countWhere } from '../src/domain/numbers.js';
import { and, asc, eq, gt, inArray, lte, ne } from 'drizzle-orm';
import { accounts, members, nudges, reviewItems, tenants, type TenantSettings } from '../db/schema.js';
import { localizeUsage } from '../src/engine/engine.js';
import { memberById, requireAdmin } from '../src/domain/permissions.js';
import { effectiveSettings } from '../src/domain/settings.js';
import { viewFor } from '../src/domain/view.js';
import type { Member } from '../src/domain/types.js';
import { about, UserError } from '../src/engine/errors.js';
import { matchIn } from '../src/domain/match.js';
import { usageLine } from '../src/engine/registry.js';
import { around, fields, list, plain, reply, text, type Inline, type Reply, type Rich } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input, OptionSpec } from '../src/engine/spec.js';
import { functionOption, roleArg } from './options.js';
import { fmtDateTime, named, personColumns, personName } from '../src/domain/format.js';
import { recordWeeklyDigests } from '../src/domain/digest.js';
import { digestComposer } from '../src/views/digest.js';
import { reviewSeason } from '../src/domain/review.js';
import { sweepTenant } from '../src/domain/sweep.js';
import { nudgeViews } from '../src/views/nudges.js';
import { transact } from '../db/index.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const MONTH_DAY = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const HOURS_RANGE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

function help(ctx: Ctx, input: Input): Reply {
  const { t, locale } = ctx;
  if (input.text) {
    const m = matchIn([...ctx.commands], input.text.replace(/^\//, ''), (c) => [c.name, ...(c.aliases ?? [])]);
    if (m.kind !== 'found') {
      const names = m.kind === 'ambiguous' ? m.candidates.map((c) => `/${c.name}`) : m.suggestions.map((s) => `/${s}`);
      throw UserError.refusal(t.errors.unknownCommand(input.text, names));
    }
    const spec = m.item;
    const out = reply(
      'info',
      `/${spec.name} — ${t.summaries[spec.summary]}`,
      { type: 'usage', heading: t.help.usage, lines: spec.forms.map((f) => localizeUsage(t, usageLine(spec, f), f)) },
      list([...spec.examples[locale]], { heading: t.help.examples }),
    );
    if (spec.aliases?.length) out.sections.push(text(t.help.aliases(spec.aliases.map((a) => `/${a}`).join(' '))));
    return out;
  }
  return reply(
    'info',
    t.help.title,
    text(t.help.intro),
    list(ctx.commands.map((c) => `/${c.name} — ${t.summaries[c.summary]}${c.aliases?.length ? ` (${c.aliases.map((a) => `/${a}`).join(' ')})` : ''}`)),
    text(t.help.footer),
  );
}

async function whoami(ctx: Ctx): Promise<Reply> {
  const { t, actor } = ctx;
  const manager = await memberById(ctx, actor.managerId);
  const reports = await countWhere(ctx.db, members, and(eq(members.managerId, actor.id), eq(members.active, true)));
  return reply(
    'info',
    personName(t, ctx.platform, actor),
    fields([
      { label: t.steward.fields.role, value: t.enums.role[actor.role] },
      { label: t.steward.fields.function, value: t.enums.fn[actor.function] },
      { label: t.steward.fields.manager, value: manager ? personName(t, ctx.platform, manager) : t.common.nobody },
      { label: t.steward.fields.reports, value: String(reports) },
      { label: t.steward.fields.timezone, value: ctx.zone },
      { label: t.steward.fields.locale, value: ctx.locale },
      { label: t.steward.fields.workspace, value: `${ctx.tenant.platform}:${ctx.tenant.workspaceId}` },
    ]),
  );
}

async function me(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const patch = Object.fromEntries(
    Object.entries({ locale: input.str('locale'), timezone: input.str('timezone'), function: input.str('function') }).filter(([, v]) => v !== undefined),
  ) as Partial<Member>;
  if (Object.keys(patch).length === 0) return whoami(ctx);
  // A touch counts at the level of whoever logs it: the executive level is an executive's (or an admin's) to claim.
  if (patch.function === 'executive' && ctx.actor.role !== 'exec' && ctx.actor.role !== 'admin') throw await about('function', () => UserError.refusal(t.steward.execFunction));
  // Chosen here, they are the member's own: what Slack or Lark says of them later no longer replaces them.
  await ctx.db
    .update(members)
    .set({ ...patch, ...(patch.timezone ? { ownTimezone: true } : {}), ...(patch.locale ? { ownLocale: true } : {}) })
    .where(eq(members.id, ctx.actor.id))
    .run();
  await ctx.audit('member.me', 'member', ctx.actor.id, patch);
  return reply(
    'success',
    t.steward.meUpdated(
      Object.entries(patch)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    ),
  );
}

async function role(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  requireAdmin(ctx, t.perm.what.roles);
  const who = input.member('member')!;
  const newRole = input.str('role') as Member['role'];
  if (who.role === 'admin' && newRole !== 'admin') {
    const admins = await countWhere(ctx.db, members, and(eq(members.tenantId, ctx.tenant.id), eq(members.role, 'admin'), eq(members.active, true), ne(members.id, who.id)));
    if (admins === 0) throw UserError.refusal(t.steward.lastAdmin(named(ctx, who)));
  }
  const fn = newRole === 'exec' ? 'executive' : who.function === 'executive' ? 'sales' : who.function;
  // Giving a role to someone who had left is how an admin brings them back; the accounts still in their name are theirs again.
  const back = !who.active;
  await ctx.db
    .update(members)
    .set({ role: newRole, function: fn, ...(back ? { active: true, leftAt: null } : {}) })
    .where(eq(members.id, who.id))
    .run();
  if (back)
    await ctx.db
      .update(accounts)
      .set({ ownerGoneAt: null })
      .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, who.id)))
      .run();
  await ctx.audit('member.role', 'member', who.id, { from: who.role, to: newRole, ...(back ? { back: true } : {}) });
  const out = reply('success', [{ mention: ctx.mention(who) }, t.steward.roleSet(t.enums.role[newRole])]);
  if (back) out.sections.push(text(t.steward.back(named(ctx, who))));
  return out;
}

async function team(ctx: Ctx, input: Input): Promise<Reply> {
  const { t, db } = ctx;
  const rep = input.member('member');
  const manager = input.member('manager');
  if (!rep) {
    const all = await db
      .select()
      .from(members)
      .where(and(eq(members.tenantId, ctx.tenant.id), eq(members.active, true)))
      .orderBy(asc(members.name))
      .all();
    const byId = new Map(all.map((m) => [m.id, m]));
    const named = (m: (typeof all)[number] | undefined) => m && personName(t, ctx.platform, m);
    const lines = all.map((m) => t.steward.teamLine(named(m)!, t.enums.role[m.role], m.managerId ? named(byId.get(m.managerId)) : undefined));
    return reply('info', t.steward.teamTitle(all.length), list(lines));
  }
  requireAdmin(ctx, t.perm.what.team);
  if (!manager) throw UserError.usage(t.errors.missingOption('manager'));
  if (manager.id === rep.id) throw UserError.refusal(t.steward.selfManager);
  // Walk up from the new manager: the rep must not already be above them.
  for (let m: Member | undefined = manager, hops = 0; m && hops < 50; m = await memberById(ctx, m.managerId), hops++) {
    if (m.managerId === rep.id) throw UserError.refusal(t.steward.cycle(named(ctx, rep), named(ctx, manager)));
  }
  await db.update(members).set({ managerId: manager.id }).where(eq(members.id, rep.id)).run();
  const promoted = manager.role === 'rep';
  if (promoted) await db.update(members).set({ role: 'manager' }).where(eq(members.id, manager.id)).run();
  await ctx.audit('member.team', 'member', rep.id, { manager: manager.id });
  const out = reply('success', t.steward.teamSet(named(ctx, rep), named(ctx, manager)));
  if (promoted) out.sections.push(text(t.steward.promoted(named(ctx, manager))));
  return out;
}

/** The deadline and cadence settings as a Chinese team names them (紧急时限:2h, 战略回访周期:14d). */
const DEADLINE_WORDS = { critical: '紧急时限', high: '高时限', medium: '中时限', low: '低时限' } as const;
const CADENCE_WORDS = { strategic: '战略回访周期', key: '重点回访周期', standard: '一般回访周期' } as const;

const settingOptions: OptionSpec[] = [
  { name: 'escalation-channel', aliases: ['升级群', '升级频道'], type: 'text' },
  { name: 'locale', aliases: ['语言'], type: 'locale' },
  { name: 'timezone', aliases: ['tz', '时区'], type: 'zone' },
  { name: 'review-start', aliases: ['复盘开始'], type: 'text' },
  { name: 'review-deadline', aliases: ['复盘截止'], type: 'text' },
  { name: 'working-hours', aliases: ['工作时间'], type: 'text' },
  {
    name: 'digest-day',
    aliases: ['周报日'],
    type: 'enum',
    values: WEEKDAYS,
    valueAliases: { 周一: 'mon', 周二: 'tue', 周三: 'wed', 周四: 'thu', 周五: 'fri', 周六: 'sat', 周日: 'sun' },
  },
  { name: 'digest-time', aliases: ['周报时间'], type: 'text' },
  ...(['critical', 'high', 'medium', 'low'] as const).map((s): OptionSpec => ({ name: `deadline-${s}`, aliases: [DEADLINE_WORDS[s]], type: 'hours' })),
  ...(['strategic', 'key', 'standard'] as const).map((s): OptionSpec => ({ name: `cadence-${s}`, aliases: [CADENCE_WORDS[s]], type: 'days' })),
];

/** Words for "the conversation I am typing in", where a Lark group has no #name to type. */
const HERE = new Set(['here', 'this', '本群', '这里', '此群']);
/** Words for "no escalation channel": complaints are then not posted in the open. */
const NO_CHANNEL = new Set(['none', 'off', '-', '无', '关闭', '不用']);

/**
 * Slack escapes a picked channel as <#C123|name>, and its id is what posting needs;
 * `here` is the current conversation (a Lark group's oc_… id); anything else is a #name or an id as typed.
 */
function channelFrom(ctx: Ctx, v: string): string | undefined {
  if (NO_CHANNEL.has(v.toLowerCase())) return undefined;
  if (HERE.has(v.toLowerCase())) {
    if (!ctx.chatId) throw UserError.usage(ctx.t.steward.noChatHere);
    return ctx.chatId;
  }
  return /^<#([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(v)?.[1] ?? v.replace(/^#/, '');
}

/** A span of hours as the settings show it: `30min`, `4h`. */
const hoursText = (h: number) => (h < 1 ? `${Math.round(h * 60)}min` : `${h}h`);

/**
 * The deadlines follow severity (a critical complaint's is never longer than a high one's, and so
 * on down) and the cadences follow tier (a strategic account is revisited at least as often as a key one).
 */
async function checkLadders(ctx: Ctx, s: ReturnType<typeof effectiveSettings>): Promise<void> {
  const { t } = ctx;
  const severities = ['critical', 'high', 'medium', 'low'] as const;
  for (let i = 1; i < severities.length; i++) {
    const [worse, milder] = [severities[i - 1]!, severities[i]!];
    const [a, b] = [s.complaintDeadlineHours[worse], s.complaintDeadlineHours[milder]];
    if (a > b)
      throw await about(`deadline-${worse}`, () => UserError.refusal(t.steward.deadlineOrder(t.enums.severity[worse], hoursText(a), t.enums.severity[milder], hoursText(b))));
  }
  const tiers = ['strategic', 'key', 'standard'] as const;
  for (let i = 1; i < tiers.length; i++) {
    const [higher, lower] = [tiers[i - 1]!, tiers[i]!];
    const [a, b] = [s.cadenceDays[higher], s.cadenceDays[lower]];
    if (a > b) throw await about(`cadence-${higher}`, () => UserError.refusal(t.steward.cadenceOrder(t.enums.tier[higher], `${a}d`, t.enums.tier[lower], `${b}d`)));
  }
}

async function settings(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const given = settingOptions.filter((o) => input.has(o.name));
  if (given.length > 0) {
    requireAdmin(ctx, t.perm.what.settings);
    const next: TenantSettings = structuredClone(ctx.tenant.settings);
    const patch: Partial<typeof tenants.$inferInsert> = {};
    const check = (ok: boolean, name: string, expected: string) => {
      if (!ok) throw UserError.usage(t.errors.badOption(name, input.str(name) ?? '', expected));
    };
    for (const o of given) {
      const v = input.str(o.name);
      const n = input.num(o.name);
      if (o.name === 'escalation-channel') {
        const channel = channelFrom(ctx, v!);
        if (channel) next.escalationChannel = channel;
        else delete next.escalationChannel;
      } else if (o.name === 'locale') patch.locale = v as typeof patch.locale;
      else if (o.name === 'timezone') patch.timezone = v;
      else if (o.name === 'review-start' || o.name === 'review-deadline') {
        // A day every year has: 02-29 or 11-31 would leave the season without a date to show.
        check(MONTH_DAY.test(v!) && DateTime.fromISO(`2027-${v}`).isValid, o.name, 'MM-DD');
        next[o.name === 'review-start' ? 'reviewSeasonStart' : 'reviewSeasonDeadline'] = v;
      } else if (o.name === 'working-hours') {
        check(HOURS_RANGE.test(v!) && v!.slice(0, 5) < v!.slice(6), o.name, '09:00-18:00');
        next.workingHours = v;
      } else if (o.name === 'digest-day') next.digestDay = WEEKDAYS.indexOf(v as (typeof WEEKDAYS)[number]) + 1;
      else if (o.name === 'digest-time') {
        check(CLOCK.test(v!), o.name, 'HH:MM');
        next.digestTime = v;
      } else if (o.name.startsWith('deadline-')) next.complaintDeadlineHours = { ...next.complaintDeadlineHours, [o.name.slice(9)]: n };
      else if (o.name.startsWith('cadence-')) next.cadenceDays = { ...next.cadenceDays, [o.name.slice(8)]: n };
    }
    const start = next.reviewSeasonStart ?? effectiveSettings(next).reviewSeasonStart;
    const deadline = next.reviewSeasonDeadline ?? effectiveSettings(next).reviewSeasonDeadline;
    if (start >= deadline) throw UserError.refusal(t.steward.seasonOrder(start, deadline));
    await checkLadders(ctx, effectiveSettings(next));
    await ctx.db
      .update(tenants)
      .set({ ...patch, settings: next })
      .where(eq(tenants.id, ctx.tenant.id))
      .run();
    // This season's open items follow a new deadline (items are made with the deadline of their season's start).
    if (input.has('review-deadline')) {
      const year = reviewSeason({ ...ctx.tenant, ...patch, settings: next }, ctx.now).year;
      await ctx.db
        .update(reviewItems)
        .set({ dueOn: `${year}-${deadline}` })
        .where(and(eq(reviewItems.tenantId, ctx.tenant.id), eq(reviewItems.season, year), ne(reviewItems.status, 'held')))
        .run();
    }
    await ctx.audit('tenant.settings', 'tenant', ctx.tenant.id, { changed: given.map((o) => o.name) });
    const before = ctx.tenant.settings.escalationChannel;
    Object.assign(ctx.tenant, patch, { settings: next });
    // A new escalation channel hears what it is for, in the workspace's language; if it refuses, the admins hear that (outbox).
    if (next.escalationChannel && next.escalationChannel !== before) {
      const { t: theirs } = viewFor(ctx.tenant, undefined, ctx.now);
      ctx.notices.push({
        to: { channel: next.escalationChannel },
        reply: { ...reply('info', theirs.steward.channelWelcome(personName(theirs, ctx.tenant.platform, ctx.actor))), visibility: 'public' },
      });
    }
  }
  const s = effectiveSettings(ctx.tenant.settings);
  const checking = ctx.notices.some((n) => 'channel' in n.to);
  // Named as the reader types them (升级群:, or escalation-channel:), in the reader's words.
  const name = (setting: string) => t.steward.settingNames[setting] ?? setting;
  const names = (...settings: string[]) => settings.map(name).join(' / ');
  const day = (d: number) => t.steward.weekdays[d - 1];
  const out = reply(
    given.length ? 'success' : 'info',
    given.length ? t.steward.settingsUpdated(given.map((o) => name(o.name)).join(t.common.listSep)) : t.steward.settingsTitle,
    ...(checking ? [text(around(t.steward.channelCheck, { channel: s.escalationChannel! }))] : []),
    fields([
      { label: name('escalation-channel'), value: s.escalationChannel ? [{ channel: s.escalationChannel }] : t.common.none },
      { label: name('locale'), value: ctx.tenant.locale },
      { label: name('timezone'), value: ctx.tenant.timezone },
      { label: names('review-start', 'review-deadline'), value: `${s.reviewSeasonStart} → ${s.reviewSeasonDeadline}` },
      { label: name('working-hours'), value: `${s.workingHours} (${s.workingDays.map(day).join(' ')})` },
      { label: names('digest-day', 'digest-time'), value: `${day(s.digestDay)} ${s.digestTime}` },
      {
        label: name('deadline-*'),
        value: Object.entries(s.complaintDeadlineHours)
          .map(([k, h]) => `${t.enums.severity[k as keyof typeof t.enums.severity]} ${hoursText(h)}`)
          .join(t.common.listSep),
      },
      {
        label: name('cadence-*'),
        value: Object.entries(s.cadenceDays)
          .map(([k, d]) => `${t.enums.tier[k as keyof typeof t.enums.tier]} ${d}d`)
          .join(t.common.listSep),
      },
    ]),
  );
  return out;
}

/**
 * A job run "as of" another time delivers now what would have been due then;
 * what would still wait for working hours keeps waiting. Returns how many wait.
 */
async function releaseAsOf(ctx: Ctx, ids: number[], at: Date): Promise<number> {
  if (ids.length === 0) return 0;
  await ctx.db
    .update(nudges)
    .set({ notBefore: ctx.now })
    .where(and(inArray(nudges.id, ids), lte(nudges.notBefore, at)))
    .run();
  return countWhere(ctx.db, nudges, and(inArray(nudges.id, ids), gt(nudges.notBefore, ctx.now)));
}

/** Thrown to roll back a dry run's savepoint once it has read what it decided. */
class DryRun {
  constructor(readonly lines: Rich[]) {}
}

/** How many of a dry run's nudges its reply names; the counts cover the rest. */
const DRY_RUN_LIST = 10;

/**
 * Runs `job` in a savepoint that is always rolled back, and says what it would
 * have recorded: a run as of a time still to come must not decide that time's
 * nudges (on the real day they would be skipped as already decided), nor
 * escalate, nor take a future week's digest.
 */
async function dryRun(ctx: Ctx, job: (tx: Ctx['db']) => Promise<number[]>): Promise<{ ids: number[]; lines: Rich[] }> {
  let ids: number[] = [];
  try {
    await transact(ctx.db, async (tx) => {
      ids = await job(tx);
      const rows = ids.length ? await tx.select().from(nudges).where(inArray(nudges.id, ids)).orderBy(asc(nudges.id)).limit(DRY_RUN_LIST).all() : [];
      const names = new Map(
        (
          await tx
            .select({ id: members.id, ...personColumns })
            .from(members)
            .where(eq(members.tenantId, ctx.tenant.id))
            .all()
        ).map((m) => [m.id, named(ctx, m)]),
      );
      throw new DryRun(
        rows.map((n) => {
          const to: Inline = n.channel ? { channel: n.channel } : `@${n.recipientId === null ? '?' : (names.get(n.recipientId) ?? '?')}`;
          const title = (n.payload as Reply).title;
          return [`${n.kind} → `, to, ...(title ? [`: ${plain(title)}`] : [])];
        }),
      );
    });
  } catch (e) {
    if (e instanceof DryRun) return { ids, lines: e.lines };
    throw e;
  }
  return { ids, lines: [] };
}

async function runJob(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  requireAdmin(ctx, t.perm.what.run);
  const at = input.date('at')?.at.toJSDate() ?? ctx.now;
  const job = input.str('job')!;
  const when = fmtDateTime(ctx, at);
  if (at > ctx.now) {
    const run =
      job === 'digest'
        ? (tx: Ctx['db']) => recordWeeklyDigests(tx, ctx.tenant, at, digestComposer(ctx.tenant, at))
        : async (tx: Ctx['db']) => (await sweepTenant(tx, ctx.tenant, at, nudgeViews)).ids;
    const { ids, lines } = await dryRun(ctx, run);
    return reply(
      'info',
      job === 'digest' ? t.steward.dryDigest(ids.length, when) : t.steward.drySweep(ids.length, when),
      list(lines, { empty: t.common.none, more: Math.max(0, ids.length - lines.length) }),
      text(t.steward.dryRunNote),
    );
  }
  if (job === 'digest') {
    const ids = await recordWeeklyDigests(ctx.db, ctx.tenant, at, digestComposer(ctx.tenant, at));
    ctx.queued = ids.length > 0;
    return reply('success', t.steward.ranDigest(ids.length, when, await releaseAsOf(ctx, ids, at)));
  }
  const { counts, ids } = await sweepTenant(ctx.db, ctx.tenant, at, nudgeViews);
  ctx.queued = ids.length > 0;
  const waiting = await releaseAsOf(ctx, ids, at);
  return reply(
    'success',
    t.steward.ranSweep(ids.length, when, waiting),
    text(
      Object.entries(counts)
        .map(([k, n]) => `${k}: ${n}`)
        .join(' · '),
    ),
  );
}

const memberArg = { name: 'member', type: 'mention' } as const;

export const steward: CommandSpec = {
  name: 'steward',
  aliases: ['助手'],
  summary: 'steward',
  forms: [
    { sub: 'help', subAliases: ['帮助', '?'], usage: '[command]', text: { name: 'command', required: false, max: 50 }, run: help },
    { sub: 'whoami', subAliases: ['我是谁'], usage: '', run: whoami },
    {
      sub: 'me',
      subAliases: ['我的设置'],
      usage: '[locale:en|zh-CN] [timezone:Asia/Shanghai] [function:sales|operations|finance|technical|executive]',
      options: [{ name: 'locale', aliases: ['语言'], type: 'locale' }, { name: 'timezone', aliases: ['tz', '时区'], type: 'zone' }, functionOption],
      run: me,
    },
    { sub: 'role', subAliases: ['角色'], usage: '@someone rep|manager|exec|admin', args: [memberArg, roleArg], run: role },
    {
      sub: 'team',
      subAliases: ['团队'],
      usage: '[@rep manager:@manager]',
      args: [{ ...memberArg, optional: true }],
      options: [{ name: 'manager', aliases: ['经理', '上级'], type: 'mention' }],
      run: team,
    },
    {
      sub: 'settings',
      subAliases: ['设置'],
      usage:
        '[escalation-channel:#name|here|none] [locale:..] [timezone:..] [review-start:MM-DD] [review-deadline:MM-DD] [deadline-critical:4h] [cadence-strategic:14d] [working-hours:09:00-18:00] [digest-day:mon] [digest-time:08:30]',
      options: settingOptions,
      run: settings,
    },
    {
      sub: 'run',
      subAliases: ['运行'],
      usage: 'sweep|digest [at:<date and time>]',
      args: [{ name: 'job', type: 'enum', values: ['sweep', 'digest'], valueAliases: { 巡检: 'sweep', 周报: 'digest' } }],
      options: [{ name: 'at', aliases: ['时间'], type: 'date', direction: 'past' }],
      run: runJob,
    },
    { usage: '[command]', text: { name: 'command', required: false, max: 50 }, run: help },
  ],
  examples: {
    en: ['/steward help touch', '/steward role @li manager', '/steward team @zhang manager:@li', '/steward settings escalation-channel:#key-accounts deadline-high:12h'],
    'zh-CN': ['/助手 帮助 拜访', '/助手 角色 @李娜 manager', '/助手 团队 @张敏 经理:@李娜', '/助手 设置 升级群:#大客户 deadline-high:12h'],
  },
};
