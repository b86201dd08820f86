// Coverage (立体式对接): who of ours has met whom of theirs, and when, so a
// single-threaded account shows its gaps before the one thread breaks.
import { CONTACT_LEVELS, FUNCTIONS } from '../db/schema.js';
import { coverageCells } from '../src/domain/coverage.js';
import { fmtDay } from '../src/domain/format.js';
import { list, reply, text, type Reply } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { accountArg } from './options.js';
import { quote } from '../prompts/quote.js';

async function coverage(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  const account = input.account();
  const cells = await coverageCells(ctx.db, account.id);
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
