import type { touchpoints } from '../db/schema.js';
import { signalSuggestions } from '../src/views/cues.js';
import { dayIn } from '../src/domain/dates.js';
import { fmtDay, named } from '../src/domain/format.js';
import { cadenceFor } from '../src/domain/settings.js';
import { recordTouch } from '../src/domain/touches.js';
import { about } from '../src/engine/errors.js';
import { reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { findContact } from './contact.js';
import { accountArg, kindArg, withBadValues } from './options.js';

async function log(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const kind = input.str('kind') as (typeof touchpoints.$inferInsert)['kind'];
  const to = input.str('to');
  const contact = to === undefined ? undefined : await about('to', () => findContact(ctx, account, to, false));
  const touch = await withBadValues(t, ['touch.future', 'touch.tooOld'], () =>
    about('on', () => recordTouch(ctx, { account, kind, at: input.date('on')?.at, contact, colleagues: input.members('with'), note: input.text, sourceRef: ctx.sourceRef })),
  );

  const who = contact ? t.touch.withContact(contact.name, t.enums.level[contact.level]) : '';
  const out = reply(
    'success',
    t.touch.logged(
      t.enums.touchKind[kind],
      account.name,
      who,
      fmtDay(ctx, dayIn(touch.occurredAt, ctx.zone)),
      touch.colleagues.map((c) => named(ctx, c)),
    ),
  );
  if (touch.nextRevisit) out.sections.push(text(t.touch.nextRevisit(fmtDay(ctx, touch.nextRevisit), t.enums.tier[account.tier], cadenceFor(ctx.tenant, account))));
  if (contact && !contact.active) out.sections.push(text(t.touch.contactLeft(contact.name)));
  if (touch.openComplaints > 0) out.sections.push(text(t.touch.openComplaints(account.name, touch.openComplaints)));
  // A warning sign the note names: one tap records it (the rep's yes), nothing before.
  const suggested = await signalSuggestions(ctx, account, input.text);
  out.sections.push(...suggested.sections);
  out.buttons.push(...suggested.buttons);
  return out;
}

export const touch: CommandSpec = {
  name: 'touch',
  aliases: ['touchpoint', 'log', '拜访', '触点'],
  summary: 'touch',
  forms: [
    {
      usage: '<account> <kind> [to:<contact>] [with:@colleague] [on:<date>] <note>',
      args: [accountArg, kindArg],
      options: [
        { name: 'to', aliases: ['对方', '联系人', '对象', '拜访对象'], type: 'text' },
        { name: 'with', aliases: ['同行', '陪同', '陪同人'], type: 'mention', repeat: true },
        { name: 'on', aliases: ['date', '日期', '时间'], type: 'date', direction: 'past' },
      ],
      text: { name: 'note', required: true },
      run: log,
    },
  ],
  examples: {
    en: ['/touch Acme visit to:"Li Wei" on:yesterday Walked the new warehouse; they want cold-chain quotes', '/touch Acme call with:@zhang Confirmed Q1 volumes'],
    'zh-CN': ['/拜访 华东 visit 对方:李伟 日期:昨天 参观了新仓库，对方想要冷链报价', '/拜访 华东 电话 同行:@张敏 确认了一季度货量'],
  },
};
