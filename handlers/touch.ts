import { and, count, eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import { accounts, complaints, touchpointParticipants, touchpoints } from '../db/schema.js';
import { lastVisitSql, resetsRevisit } from '../src/domain/cadence.js';
import { addDays, dayIn } from '../src/domain/dates.js';
import { signalSuggestions } from '../src/views/cues.js';
import { fmtDay, named } from '../src/domain/format.js';
import { cadenceFor } from '../src/domain/settings.js';
import { about, UserError } from '../src/engine/errors.js';
import { reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { findContact } from './contact.js';
import { accountArg, kindArg } from './options.js';

/** A touchpoint dated further back is a typo, not history worth logging. */
const MAX_AGE_YEARS = 5;

/** Kinds that count as a revisit and reset the account's cadence clock. */

// Every /touch runs these two: prepared once per connection (see db/prepared.ts).
const ph = sql.placeholder;
const insertTouch = (db: Tx) =>
  prepared(db, 'touch.insert', (q) =>
    q
      .insert(touchpoints)
      .values({
        tenantId: ph('tenantId'),
        accountId: ph('accountId'),
        memberId: ph('memberId'),
        ourLevel: ph('ourLevel'),
        contactId: ph('contactId'),
        kind: ph('kind'),
        occurredAt: ph('occurredAt'),
        note: ph('note'),
        sourcePlatform: ph('sourcePlatform'),
        sourceRef: ph('sourceRef'),
      })
      .returning({ id: touchpoints.id })
      .prepare(),
  );
const openComplaints = (db: Tx) =>
  prepared(db, 'touch.openComplaints', (q) =>
    q
      .select({ n: count() })
      .from(complaints)
      .where(and(eq(complaints.accountId, ph('accountId')), eq(complaints.status, 'open')))
      .prepare(),
  );

function log(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  const kind = input.str('kind') as (typeof touchpoints.$inferInsert)['kind'];
  const when = input.date('on');
  about('on', () => {
    if (when && when.at.toMillis() > ctx.now.getTime() + 60_000) throw new UserError(t.touch.future(fmtDay(ctx, when.at)));
    if (when && when.at < DateTime.fromJSDate(ctx.now).minus({ years: MAX_AGE_YEARS })) throw new UserError(t.touch.tooOld(fmtDay(ctx, when.at)));
  });
  const to = input.str('to');
  const contact = to === undefined ? undefined : about('to', () => findContact(ctx, account, to, false));
  const colleagues = input.members('with').filter((m) => m.id !== ctx.actor.id);
  const occurredAt = when ? when.at.toJSDate() : ctx.now;

  const touch = insertTouch(ctx.db).get({
    tenantId: ctx.tenant.id,
    accountId: account.id,
    memberId: ctx.actor.id,
    ourLevel: ctx.actor.function,
    contactId: contact?.id ?? null,
    kind,
    occurredAt,
    note: input.text,
    sourcePlatform: ctx.platform,
    sourceRef: ctx.sourceRef ?? null,
  })!;
  for (const m of new Map(colleagues.map((c) => [c.id, c])).values()) {
    ctx.db.insert(touchpointParticipants).values({ touchpointId: touch.id, memberId: m.id, ourLevel: m.function }).run();
  }
  ctx.audit('touch.log', 'touchpoint', touch.id, { account: account.name, kind });

  const occurred = dayIn(occurredAt, ctx.zone);
  const who = contact ? t.touch.withContact(contact.name, t.enums.level[contact.level]) : '';
  const out = reply(
    'success',
    t.touch.logged(t.enums.touchKind[kind], account.name, who, fmtDay(ctx, occurred), colleagues.map((c) => named(ctx, c))),
  );
  if (resetsRevisit(kind)) {
    const cadence = cadenceFor(ctx.tenant, account);
    // A visit logged late (on:) may not be the latest: the clock runs from the latest, as the sweep's does.
    const latest = when ? ctx.db.select({ at: lastVisitSql }).from(accounts).where(eq(accounts.id, account.id)).get()?.at : undefined;
    const next = addDays(latest != null && latest > occurredAt.getTime() ? dayIn(new Date(latest), ctx.zone) : occurred, cadence);
    out.sections.push(text(t.touch.nextRevisit(fmtDay(ctx, next), t.enums.tier[account.tier], cadence)));
  }
  if (contact && !contact.active) out.sections.push(text(t.touch.contactLeft(contact.name)));
  const open = openComplaints(ctx.db).get({ accountId: account.id })!.n;
  if (open > 0) out.sections.push(text(t.touch.openComplaints(account.name, open)));
  // A warning sign the note names: one tap records it (the rep's yes), nothing before.
  const suggested = signalSuggestions(ctx, account, input.text);
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
