import { and, asc, eq } from 'drizzle-orm';
import { churnSignals, contacts, CONTACT_LEVELS } from '../db/schema.js';
import { alertOwnerAndExecs } from '../src/views/alerts.js';
import { fmtDay } from '../src/domain/format.js';
import { matchIn } from '../src/domain/match.js';
import { MAX_NAME, normalize } from '../src/domain/text.js';
import type { Account, Contact } from '../src/domain/types.js';
import { viewFor, type View } from '../src/domain/view.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import { requireTeam } from '../src/domain/permissions.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg, functionOption, levelOption } from './options.js';
import { quote } from '../prompts/quote.js';

/** Leaving at these levels is a churn signal: the seat that gave us the business can take it away. */
const DECISION_LEVELS: readonly Contact['level'][] = ['executive', 'decision-maker'];

export function contactsOf(ctx: Ctx, accountId: number, activeOnly = true): Contact[] {
  return ctx.db
    .select()
    .from(contacts)
    .where(and(eq(contacts.accountId, accountId), activeOnly ? eq(contacts.active, true) : undefined))
    .orderBy(asc(contacts.name))
    .all();
}

/** Finds the contact a person meant at one account, or explains why not. */
export function findContact(ctx: Ctx, account: Account, typed: string, activeOnly = true): Contact {
  const m = matchIn(contactsOf(ctx, account.id, activeOnly), typed, (c) => [c.name]);
  if (m.kind === 'found') return m.item;
  if (m.kind === 'ambiguous') throw UserError.refusal(ctx.t.contact.ambiguous(typed, account.name), m.candidates.map((c) => c.name));
  throw UserError.refusal(ctx.t.contact.unknown(typed, account.name, m.suggestions), [ctx.t.contact.addHint(account.name, typed)]);
}

function checkName(ctx: Ctx, name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim();
  if ([...clean].length > MAX_NAME) throw UserError.usage(ctx.t.errors.tooLong([...clean].length, MAX_NAME));
  return clean;
}

function add(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  requireTeam(ctx, account, t.perm.what.contacts(account.name));
  const name = checkName(ctx, input.text);
  const same = contactsOf(ctx, account.id).find((c) => c.nameKey === normalize(name));
  if (same) throw UserError.refusal(t.contact.exists(same.name, account.name));
  const level = (input.str('level') as Contact['level'] | undefined) ?? 'manager';
  const contact = ctx.db
    .insert(contacts)
    .values({ tenantId: ctx.tenant.id, accountId: account.id, name, nameKey: normalize(name), title: input.str('title'), level, function: input.str('function'), createdAt: ctx.now })
    .returning()
    .get();
  ctx.audit('contact.add', 'contact', contact.id, { account: account.name, name, level });
  return reply('success', t.contact.added(name, account.name, t.enums.level[level], contact.title ?? undefined));
}

function left(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  requireTeam(ctx, account, t.perm.what.contacts(account.name));
  const gone = findContact(ctx, account, input.text);
  let replacement: Contact | undefined;
  const replacedBy = input.str('replaced-by');
  if (replacedBy !== undefined) {
    const name = checkName(ctx, replacedBy);
    replacement =
      contactsOf(ctx, account.id).find((c) => c.id !== gone.id && c.nameKey === normalize(name)) ??
      // A successor we have not met yet takes the seat, level and title of the one who left.
      ctx.db
        .insert(contacts)
        .values({ tenantId: ctx.tenant.id, accountId: account.id, name, nameKey: normalize(name), title: gone.title, level: gone.level, function: gone.function, createdAt: ctx.now })
        .returning()
        .get();
  }
  ctx.db.update(contacts).set({ active: false, leftAt: ctx.now, replacedById: replacement?.id ?? null }).where(eq(contacts.id, gone.id)).run();
  ctx.audit('contact.left', 'contact', gone.id, { account: account.name, replacedBy: replacement?.name });
  const out = reply('success', t.contact.leftRecorded(gone.name, account.name, replacement?.name));
  if (DECISION_LEVELS.includes(gone.level)) {
    // Worded for each reader; the record keeps the workspace's language, as what is posted in its channel.
    const detailIn = (v: View) => v.t.contact.signalDetail(gone.name, gone.title ?? v.t.enums.level[gone.level], replacement?.name);
    const detail = detailIn(viewFor(ctx.tenant, undefined, ctx.now));
    ctx.db
      .insert(churnSignals)
      .values({ tenantId: ctx.tenant.id, accountId: account.id, kind: 'decision-maker-change', detail, reporterId: ctx.actor.id, contactId: gone.id, source: 'contact-left', occurredAt: ctx.now })
      .run();
    out.tone = 'warning';
    out.sections.push(text(t.contact.signalRecorded(account.name)));
    alertOwnerAndExecs(ctx, account, (v) => reply('warning', v.t.nudge.alertDecisionMaker(account.name), text(detailIn(v)), text(v.t.signal.advice['decision-maker-change'])));
    if (replacement) out.buttons.push({ label: t.buttons.logTouch, command: `/touch ${quote(account.name)} meeting to:${quote(replacement.name)}`, style: 'primary' });
  }
  return out;
}

function show(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  const all = contactsOf(ctx, account.id, false);
  const items = CONTACT_LEVELS.flatMap((level) =>
    all
      .filter((c) => c.level === level)
      .map((c) =>
        t.contact.line(c.name, t.enums.level[level], c.title ?? undefined, c.function ?? undefined, c.active ? undefined : fmtDay(ctx, c.leftAt ?? ctx.now)),
      ),
  );
  return reply('info', t.contact.listTitle(account.name, all.filter((c) => c.active).length), list(items, { empty: t.contact.noneYet(account.name) }));
}

export const contact: CommandSpec = {
  name: 'contact',
  aliases: ['contacts', '联系人'],
  summary: 'contact',
  forms: [
    {
      sub: 'add',
      subAliases: ['添加', '新增'],
      usage: '<account> <name> [title:..] [level:executive|decision-maker|manager|operator] [function:..]',
      args: [accountArg],
      options: [{ name: 'title', aliases: ['职位', '职务'], type: 'text' }, levelOption, { ...functionOption, type: 'text' }],
      text: { name: 'name', required: true, max: MAX_NAME },
      run: add,
    },
    {
      sub: 'left',
      subAliases: ['leave', 'gone', '离职', '离开'],
      usage: '<account> <name> [replaced-by:<name>]',
      args: [accountArg],
      options: [{ name: 'replaced-by', aliases: ['接任', '接替'], type: 'text' }],
      text: { name: 'name', required: true, max: MAX_NAME },
      run: left,
    },
    { sub: 'list', subAliases: ['列表'], usage: '<account>', args: [accountArg], run: show },
    { usage: '<account>', args: [accountArg], run: show },
  ],
  examples: {
    en: ['/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker', '/contact Acme left "Li Wei" replaced-by:"Zhang Min"', '/contact Acme'],
    'zh-CN': ['/联系人 华东 添加 李伟 职位:物流总监 层级:决策人', '/联系人 华东 离职 李伟 接任:张敏', '/联系人 华东'],
  },
};
