// Account health in replies: the score line, the reasons, and /risk.
import { and, eq, inArray, isNull, or } from 'drizzle-orm';
import { accounts, members } from '../db/schema.js';
import { healthLine, healthOf, reasonText, type Reason } from '../src/domain/health.js';
import { list, reply, type Reply, type Rich } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { overdueRevisits, teamOf } from '../src/scheduler/digest.js';
import { lastVisitSql } from '../src/scheduler/sweep.js';
import { mineFlag } from './options.js';

const RISK_LIMIT = 30;

function risk(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const team = input.flag('mine') ? [ctx.actor] : teamOf(ctx.db, ctx.tenant.id, ctx.actor);
  const ids = team.map((m) => m.id);
  // Accounts nobody owns are in no one's team: an admin's list has them too.
  const ownerless = ctx.actor.role === 'admin' && !input.flag('mine') ? isNull(accounts.ownerId) : undefined;
  const book = ctx.db
    .select({ id: accounts.id, name: accounts.name, owner: members.name, a: accounts, last: lastVisitSql })
    .from(accounts)
    .leftJoin(members, eq(members.id, accounts.ownerId))
    .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.status, 'active'), or(inArray(accounts.ownerId, ids), ownerless)))
    .all();
  const scores = healthOf(ctx.db, ctx.tenant, book.map((b) => b.id), ctx.now);
  // At risk first, then watch; worst first within each band.
  const flagged = book
    .map((b) => ({ ...b, h: scores.get(b.id)! }))
    .filter((b) => b.h.now.band !== 'healthy')
    .sort((a, b) => Number(b.h.now.band === 'at-risk') - Number(a.h.now.band === 'at-risk') || a.h.now.score - b.h.now.score);
  const why = (reasons: Reason[]) => (reasons.length ? [reasonText(ctx, reasons[0]!), ...(reasons.length > 1 ? [t.health.moreReasons(reasons.length - 1)] : [])].join(' · ') : '');
  const items: Rich[] = flagged.slice(0, RISK_LIMIT).map((b) => t.health.riskLine(b.name, b.owner ?? t.common.nobody, healthLine(ctx, b.h.now, b.h.before), why(b.h.now.reasons)));
  const scope = team.length > 1 ? t.health.scopeTeam : t.health.scopeMine;
  const out = reply(flagged.length ? 'warning' : 'success', t.health.riskTitle(scope, flagged.length), list(items, { empty: t.health.noRisk, more: flagged.length - items.length }));
  // Overdue revisits, as the digest lists them, whatever the health band: they are raised until visited or snoozed.
  const { overdue } = overdueRevisits(ctx.db, ctx.tenant, book, ctx.now);
  if (overdue.length) {
    out.tone = 'warning';
    const shown = overdue.slice(0, RISK_LIMIT);
    out.sections.push(list(shown.map((x) => t.digest.overdueLine(x.name, t.enums.tier[x.a.tier], x.owner ?? t.common.nobody, x.days)), { heading: t.digest.overdueHeading(overdue.length), more: overdue.length - shown.length }));
  }
  return out;
}

export const riskCommand: CommandSpec = {
  name: 'risk',
  aliases: ['风险'],
  summary: 'risk',
  forms: [{ usage: '[mine]', flags: [mineFlag], run: risk }],
  examples: { en: ['/risk', '/risk mine'], 'zh-CN': ['/风险', '/风险 我的'] },
};
