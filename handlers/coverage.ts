// Coverage (立体式对接): who of ours has met whom of theirs, and when, so a
// single-threaded account shows its gaps before the one thread breaks.
import { and, eq, max, sql } from 'drizzle-orm';
import { CONTACT_LEVELS, contacts, FUNCTIONS, touchpointParticipants, touchpoints } from '../db/schema.js';
import { fmtDay } from '../src/domain/format.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg } from './options.js';
import { quote } from '../src/engine/tokenize.js';

/** The last touch in each cell: our side × their level, counting colleagues who came along. */
export function coverageCells(ctx: Ctx, accountId: number): Map<string, number> {
  const cell = (ours: string, theirs: string) => `${ours}|${theirs}`;
  const cells = new Map<string, number>();
  const keep = (ours: string, theirs: string, at: number | null) => {
    if (at != null && at > (cells.get(cell(ours, theirs)) ?? 0)) cells.set(cell(ours, theirs), at);
  };
  const lead = ctx.db
    .select({ ours: touchpoints.ourLevel, theirs: contacts.level, at: max(touchpoints.occurredAt) })
    .from(touchpoints)
    .innerJoin(contacts, eq(contacts.id, touchpoints.contactId))
    // Someone of theirs who has left is no thread into the account any more.
    .where(and(eq(touchpoints.accountId, accountId), eq(contacts.active, true)))
    .groupBy(touchpoints.ourLevel, contacts.level)
    .all();
  const along = ctx.db
    .select({ ours: touchpointParticipants.ourLevel, theirs: contacts.level, at: sql<number>`max(${touchpoints.occurredAt})` })
    .from(touchpointParticipants)
    .innerJoin(touchpoints, eq(touchpoints.id, touchpointParticipants.touchpointId))
    .innerJoin(contacts, eq(contacts.id, touchpoints.contactId))
    .where(and(eq(touchpoints.accountId, accountId), eq(contacts.active, true)))
    .groupBy(touchpointParticipants.ourLevel, contacts.level)
    .all();
  for (const r of lead) keep(r.ours, r.theirs, r.at?.getTime() ?? null);
  for (const r of along) keep(r.ours, r.theirs, r.at);
  return cells;
}

function coverage(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const account = input.account();
  const cells = coverageCells(ctx, account.id);
  const rows = FUNCTIONS.map((ours) =>
    t.coverage.row(
      t.enums.fn[ours],
      CONTACT_LEVELS.map((theirs) => {
        const at = cells.get(`${ours}|${theirs}`);
        return `${t.enums.level[theirs]} ${at ? fmtDay(ctx, new Date(at)) : t.coverage.gap}`;
      }),
    ),
  );
  const covered = new Set([...cells.keys()].map((k) => k.split('|')[1]));
  const missing = CONTACT_LEVELS.filter((l) => !covered.has(l)).map((l) => t.enums.level[l]);
  const out = reply(cells.size ? 'info' : 'warning', t.coverage.title(account.name, cells.size, FUNCTIONS.length * CONTACT_LEVELS.length), list(rows));
  out.sections.push(text(missing.length ? t.coverage.untouched(missing) : t.coverage.allLevels));
  out.buttons = [{ label: t.buttons.logTouch, command: `/touch ${quote(account.name)}`, style: 'primary' }];
  return out;
}

export const coverageCommand: CommandSpec = {
  name: 'coverage',
  aliases: ['覆盖', '对接'],
  summary: 'coverage',
  forms: [{ usage: '<account>', args: [accountArg], run: coverage }],
  examples: { en: ['/coverage Acme'], 'zh-CN': ['/对接 华东'] },
};
