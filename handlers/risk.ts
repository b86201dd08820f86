// Account health in replies: the score line, the reasons, and /risk.
import { and, eq, isNull, or, sql } from 'drizzle-orm';
import { prepared } from '../db/prepared.js';
import { accounts, members } from '../db/schema.js';
import { singleThreadedSection } from '../src/views/coverage.js';
import { named, personColumns } from '../src/domain/format.js';
import { healthLine, healthOf, reasonText, type Reason } from '../src/domain/health.js';
import { organisation, readsOrganisation, teamOf, type OrgTeam } from '../src/domain/teams.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply, type Rich, type Section } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';
import { lastVisitSql, overdueRevisits } from '../src/domain/cadence.js';
import { allFlag, mineFlag } from './options.js';

const RISK_LIMIT = 30;
/** Accounts shown per team in the organisation's view; the rest are counted. */
const TEAM_LIMIT = 10;

/**
 * The active accounts of `owners` (and those nobody owns, with `ownerless`), or the whole book (`'all'`), with their
 * owner, last visit and health now and four weeks ago. The read is prepared once per connection (db/prepared.ts):
 * the owners go in as one JSON parameter, so any team is one statement.
 */
async function healthBook(ctx: Ctx, scope: { owners: number[]; ownerless: boolean } | 'all') {
  const columns = { id: accounts.id, name: accounts.name, owner: personColumns, ownerId: accounts.ownerId, a: accounts, last: lastVisitSql };
  const book =
    scope === 'all'
      ? await prepared(ctx.db, 'risk.book.all', (d) =>
          d
            .select(columns)
            .from(accounts)
            .leftJoin(members, eq(members.id, accounts.ownerId))
            .where(and(eq(accounts.tenantId, sql.placeholder('tenant')), eq(accounts.status, 'active')))
            .prepare(),
        ).all({ tenant: ctx.tenant.id })
      : await prepared(ctx.db, 'risk.book.owners', (d) =>
          d
            .select(columns)
            .from(accounts)
            .leftJoin(members, eq(members.id, accounts.ownerId))
            .where(
              and(
                eq(accounts.tenantId, sql.placeholder('tenant')),
                eq(accounts.status, 'active'),
                or(
                  sql`${accounts.ownerId} in (select value from json_each(${sql.placeholder('owners')}))`,
                  and(sql`${sql.placeholder('ownerless')} = 1`, isNull(accounts.ownerId)),
                ),
              ),
            )
            .prepare(),
        ).all({ tenant: ctx.tenant.id, owners: JSON.stringify(scope.owners), ownerless: scope.ownerless ? 1 : 0 });
  const scores = await healthOf(
    ctx.db,
    ctx.tenant,
    book.map((b) => b.id),
    ctx.now,
  );
  return book.map((b) => ({ ...b, owner: named(ctx, b.owner) ?? null, tier: b.a.tier, h: scores.get(b.id)!, health: scores.get(b.id)!.now }));
}
type Row = Awaited<ReturnType<typeof healthBook>>[number];

/** At risk first, then watch; worst first within each band. */
function flaggedOf(rows: Row[]): Row[] {
  return rows.filter((b) => b.h.now.band !== 'healthy').sort((a, b) => Number(b.h.now.band === 'at-risk') - Number(a.h.now.band === 'at-risk') || a.h.now.score - b.h.now.score);
}

function riskLine(ctx: Ctx, b: Row): Rich {
  const { t } = ctx;
  const why = (reasons: Reason[]) => (reasons.length ? [reasonText(ctx, reasons[0]!), ...(reasons.length > 1 ? [t.health.moreReasons(reasons.length - 1)] : [])].join(' · ') : '');
  return t.health.riskLine(b.name, b.owner ?? t.common.nobody, healthLine(ctx, b.h.now, b.h.before), why(b.h.now.reasons));
}

async function risk(ctx: Ctx, input: Input): Promise<Reply> {
  const { t } = ctx;
  if (input.flag('all')) {
    if (!readsOrganisation(ctx.actor)) throw UserError.refusal(t.org.allRefused);
    return organisationRisk(ctx);
  }
  const team = input.flag('mine') ? [ctx.actor] : await teamOf(ctx.db, ctx.tenant.id, ctx.actor);
  const ids = team.map((m) => m.id);
  // Accounts nobody owns are in no one's team: an admin's list has them too.
  const ownerless = ctx.actor.role === 'admin' && !input.flag('mine');
  const book = await healthBook(ctx, { owners: ids, ownerless });
  // An admin or an executive with no book of their own reads the organisation's.
  if (!book.length && !input.flag('mine') && readsOrganisation(ctx.actor)) return organisationRisk(ctx);
  const flagged = flaggedOf(book);
  const items: Rich[] = flagged.slice(0, RISK_LIMIT).map((b) => riskLine(ctx, b));
  const scope = team.length > 1 ? t.health.scopeTeam : t.health.scopeMine;
  const out = reply(
    flagged.length ? 'warning' : 'success',
    t.health.riskTitle(scope, flagged.length),
    list(items, { empty: t.health.noRisk, more: flagged.length - items.length }),
  );
  // Overdue revisits, as the digest lists them, whatever the health band: they are raised until visited or snoozed.
  const { overdue } = await overdueRevisits(ctx.db, ctx.tenant, book, ctx.now);
  if (overdue.length) {
    out.tone = 'warning';
    const shown = overdue.slice(0, RISK_LIMIT);
    out.sections.push(
      list(
        shown.map((x) => t.digest.overdueLine(x.name, t.enums.tier[x.a.tier], x.owner ?? t.common.nobody, x.days)),
        { heading: t.digest.overdueHeading(overdue.length), more: overdue.length - shown.length },
      ),
    );
  }
  out.sections.push(...singleThreadedSection(ctx, book, RISK_LIMIT));
  return out;
}

/**
 * The whole organisation, for admins and executives: each team's accounts at risk and to watch (at
 * risk first, the rest counted), the teams with none, overdue revisits and single-threaded accounts by team.
 */
async function organisationRisk(ctx: Ctx): Promise<Reply> {
  const { t } = ctx;
  const book = await healthBook(ctx, 'all');
  const org = await organisation(ctx.db, ctx.tenant.id);
  const name = (team: OrgTeam) => (team.lead ? t.org.team(named(ctx, team.lead)) : t.org.noTeam);
  const teams = org.teams
    .map((team) => {
      const rows = book.filter((b) => org.teamOf(b.ownerId) === team);
      const flagged = flaggedOf(rows);
      return { team, rows, flagged, atRisk: flagged.filter((b) => b.h.now.band === 'at-risk').length };
    })
    .filter((x) => x.rows.length);
  const flagged = teams.reduce((n, x) => n + x.flagged.length, 0);
  const sections: Section[] = [];
  // The teams with accounts at risk first, then those with more to watch.
  for (const x of teams.filter((y) => y.flagged.length).sort((a, b) => b.atRisk - a.atRisk || b.flagged.length - a.flagged.length)) {
    const shown = x.flagged.slice(0, TEAM_LIMIT);
    sections.push(
      list(
        shown.map((b) => riskLine(ctx, b)),
        { heading: t.org.riskTeamHeading(name(x.team), x.atRisk, x.flagged.length - x.atRisk, x.rows.length), more: x.flagged.length - shown.length },
      ),
    );
  }
  const quiet = teams.filter((x) => !x.flagged.length).map((x) => name(x.team));
  if (!flagged) sections.push(text(t.health.noRisk));
  else if (quiet.length) sections.push(text(t.org.riskQuiet(quiet)));
  const { overdue } = await overdueRevisits(ctx.db, ctx.tenant, book, ctx.now);
  if (overdue.length) {
    const byTeam = teams.map((x) => ({ x, n: overdue.filter((o) => org.teamOf(o.ownerId) === x.team).length })).filter((y) => y.n);
    sections.push(
      list(
        byTeam.map(({ x, n }) => t.org.teamCount(name(x.team), n)),
        { heading: t.digest.overdueHeading(overdue.length) },
      ),
    );
  }
  sections.push(...singleThreadedSection(ctx, book, RISK_LIMIT));
  const out = reply(flagged || overdue.length ? 'warning' : 'success', t.health.riskTitle(t.health.scopeOrg, flagged));
  out.sections.push(...sections);
  return out;
}

export const riskCommand: CommandSpec = {
  name: 'risk',
  aliases: ['风险'],
  summary: 'risk',
  forms: [{ usage: '[mine|all]', flags: [mineFlag, allFlag], run: risk }],
  examples: { en: ['/risk', '/risk mine', '/risk all'], 'zh-CN': ['/风险', '/风险 我的', '/风险 全部'] },
};
