import { CONTACT_LEVELS } from '../db/schema.js';
import { alertOwnerAndExecs } from '../src/views/alerts.js';
import { fmtDay } from '../src/domain/format.js';
import { matchIn } from '../src/domain/match.js';
import { MAX_NAME } from '../src/domain/text.js';
import type { Account, Contact } from '../src/domain/types.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import { requireTeam } from '../src/domain/permissions.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg, functionOption, levelOption, withBadValues } from './options.js';
import { addContact, contactsOf, recordContactLeft } from '../src/domain/contacts.js';
import { quote } from '../prompts/quote.js';

/** Finds the contact a person meant at one account, or explains why not. */
export async function findContact(ctx: Ctx, account: Account, typed: string, activeOnly = true): Promise<Contact> {
  const m = matchIn(await contactsOf(ctx, account.id, activeOnly), typed, (c) => [c.name]);
  if (m.kind === 'found') return m.item;
  if (m.kind === 'ambiguous')
    throw UserError.refusal(
      ctx.t.contact.ambiguous(typed, account.name),
      m.candidates.map((c) => c.name),
    );
  throw UserError.refusal(ctx.t.contact.unknown(typed, account.name, m.suggestions), [ctx.t.contact.addHint(account.name, typed)]);
}

/** A name too long is bad input: told with the usage. */
const BAD_VALUES = ['errors.tooLong'] as const;

async function add(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const level = input.str('level') as Contact['level'] | undefined;
  const contact = await withBadValues(t, BAD_VALUES, () =>
    addContact(ctx, account, { name: input.text, title: input.str('title'), level, function: input.str('function') }, t.perm.what.contacts(account.name)),
  );
  return reply('success', t.contact.added(contact.name, account.name, t.enums.level[contact.level], contact.title ?? undefined));
}

async function left(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  await requireTeam(ctx, account, t.perm.what.contacts(account.name));
  const gone = await findContact(ctx, account, input.text);
  const { replacement, signal } = await withBadValues(t, BAD_VALUES, () => recordContactLeft(ctx, account, gone, input.str('replaced-by')));
  const out = reply('success', t.contact.leftRecorded(gone.name, account.name, replacement?.name));
  if (signal) {
    out.tone = 'warning';
    out.sections.push(text(t.contact.signalRecorded(account.name)));
    await alertOwnerAndExecs(ctx, account, (v) => reply('warning', v.t.nudge.alertDecisionMaker(account.name), text(signal(v)), text(v.t.signal.advice['decision-maker-change'])));
    if (replacement) out.buttons.push({ label: t.buttons.logTouch, command: `/touch ${quote(account.name)} meeting to:${quote(replacement.name)}`, style: 'primary' });
  }
  return out;
}

async function show(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const all = await contactsOf(ctx, account.id, false);
  const items = CONTACT_LEVELS.flatMap((level) =>
    all
      .filter((c) => c.level === level)
      .map((c) => t.contact.line(c.name, t.enums.level[level], c.title ?? undefined, c.function ?? undefined, c.active ? undefined : fmtDay(ctx, c.leftAt ?? ctx.now))),
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
