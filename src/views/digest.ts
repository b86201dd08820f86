// The weekly digest's cards: for a manager, their team's week; for a rep, their own; for admins and
// executives, the organisation's. The data is the domain's (src/domain/digest.ts); this words it.
import type { Tx } from '../../db/index.js';
import type { OrgRow } from '../../prompts/en.js';
import { fmtSpan, type ComplaintTimes } from '../domain/complaint-life.js';
import { singleThreadedSection } from './coverage.js';
import { digestWeek, orgWeek, ownsAccounts, type ComposeDigest, type DigestWeek, type OrgFigures } from '../domain/digest.js';
import { daysUntil, fmtAge, fmtDay, fmtPercent, personName, ref } from '../domain/format.js';
import { reasonText } from '../domain/health.js';
import { KEPT_WINDOW_DAYS, keptTotal, type KeptRate } from '../domain/promises.js';
import { readsOrganisation, type OrgTeam } from '../domain/teams.js';
import type { Member, Tenant } from '../domain/types.js';
import { viewFor, type View } from '../domain/view.js';
import { chart, list, reply, text, type Reply, type Rich, type Section } from '../engine/reply.js';

const LIMIT = 10;

function cap<T>(items: T[]): { items: T[]; more: number } {
  return { items: items.slice(0, LIMIT), more: Math.max(0, items.length - LIMIT) };
}

export async function digestFor(tx: Tx, tenant: Tenant, member: Member, now: Date): Promise<Reply> {
  const v = viewFor(tenant, member, now);
  const t = v.t;
  const w = await digestWeek(tx, tenant, member, now, v.zone);
  // People by name, or as someone their platform does not know.
  const named = (p: { name: string; platformUserId: string; nameKnown: boolean }) => personName(t, tenant.platform, p);
  const owner = (b: { owner: { name: string; platformUserId: string; nameKnown: boolean } }) => named(b.owner);
  const o = cap(w.overdue);
  const z = cap(w.snoozed);
  const c = cap(w.complaints);
  const p = cap(w.latePromises);
  const l = cap(w.lapsedPairings);
  const g = cap(w.signals);
  const worse = cap(w.worse);
  const out = reply(
    'info',
    w.team.length > 1 ? t.digest.teamTitle(named(member), w.people) : t.digest.ownTitle(named(member)),
    list(
      worse.items.map(({ a, h, fell }) =>
        fell
          ? t.health.worsenedLine(a.name, t.health.bands[h.before.band], t.health.bands[h.now.band], h.now.score, h.now.reasons[0] ? reasonText(v, h.now.reasons[0]) : '')
          : t.health.flaggedLine(a.name, t.health.bands[h.now.band], h.now.score, h.now.reasons[0] ? reasonText(v, h.now.reasons[0]) : ''),
      ),
      { heading: t.health.worsenedHeading(w.worse.length), empty: t.common.none, more: worse.more },
    ),
    text(t.digest.touches(w.touches.thisWeek, w.touches.lastWeek)),
    list(
      [
        ...o.items.map((x) => t.digest.overdueLine(x.a.name, t.enums.tier[x.a.tier], owner(x), x.days)),
        // A snoozed account is not forgotten, nor counted overdue: it says until when.
        ...z.items.map((x) => t.digest.snoozedLine(x.a.name, t.enums.tier[x.a.tier], owner(x), fmtDay(v, new Date(x.until)))),
      ],
      { heading: t.digest.overdueHeading(w.overdue.length), empty: t.digest.allCurrent, more: o.more + z.more },
    ),
    list(
      c.items.map(({ c: k, account }) => t.digest.complaintLine(ref('C', k.number), account, t.enums.severity[k.severity], fmtAge(v, k.openedAt), k.escalationLevel)),
      { heading: t.digest.complaintsHeading(w.complaints.length, w.complaints.filter((x) => x.c.escalationLevel > 0).length), empty: t.common.none, more: c.more },
    ),
    list(
      p.items.map(({ p: k, account }) => t.digest.promiseLine(ref('P', k.number), account, k.text, fmtDay(v, k.dueOn), -daysUntil(v, k.dueOn))),
      { heading: t.digest.promisesHeading(w.latePromises.length), empty: t.common.none, more: p.more },
    ),
    ...keptOnTimeSection(tenant, w.team, w.kept, v),
    list(
      l.items.map((r) => t.digest.pairingLine(r.account, named(r.exec), r.last ? fmtDay(v, new Date(r.last)) : undefined)),
      { heading: t.digest.pairingsHeading(w.lapsedPairings.length), empty: t.common.none, more: l.more },
    ),
  );
  if (w.reviews) out.sections.push(text(t.digest.reviews(w.reviews.held, w.reviews.prepared, w.reviews.total, fmtDay(v, w.reviews.deadline), w.reviews.underWay)));
  out.sections.push(complaintTimesSection(v, w.complaintTimes, t.complaint.times.weekHeading));
  out.sections.push(...trendCharts(v, w));
  out.sections.push(
    list(
      g.items.map(({ s, account }): Rich => `${fmtDay(v, s.occurredAt)} · ${account} · ${t.enums.signal[s.kind]}${s.detail ? ` — ${s.detail}` : ''}`),
      { heading: t.digest.signalsHeading(w.signals.length), empty: t.common.none, more: g.more },
    ),
  );
  // Coverage across the team: the accounts known by one thread, by the health score's rule.
  out.sections.push(
    ...singleThreadedSection(
      v,
      w.book.map((b) => ({ name: b.a.name, tier: b.a.tier, owner: owner(b), health: w.scores.get(b.a.id)!.now })),
      LIMIT,
    ),
  );
  // Written in the member's language: a renderer words the "…and N more" of its lists alike.
  out.locale = v.locale;
  return out;
}

/**
 * The weeks' trends as charts: the book by health band (when there is a book), and complaints
 * opened and resolved (when there were any in those weeks). The x axis is each week's last day as
 * month-day, numbers only (see Chart).
 */
function trendCharts(v: View, w: DigestWeek): Section[] {
  const t = v.t;
  const tr = w.trends;
  const x = tr.weeks.map((k) => k.day.slice(5));
  const out: Section[] = [];
  if (w.book.length) {
    out.push(
      chart({
        heading: t.digest.bandsChart(x.length),
        kind: 'stacked',
        x,
        series: [
          { label: t.health.bands.healthy, tone: 'good', values: tr.bands.healthy },
          { label: t.health.bands.watch, tone: 'warn', values: tr.bands.watch },
          { label: t.health.bands['at-risk'], tone: 'bad', values: tr.bands['at-risk'] },
        ],
      }),
    );
  }
  if ([...tr.opened, ...tr.resolved].some((n) => n > 0)) {
    out.push(
      chart({
        heading: t.digest.complaintsChart(x.length),
        kind: 'grouped',
        x,
        series: [
          { label: t.digest.opened, tone: 'bad', values: tr.opened },
          { label: t.digest.resolved, tone: 'good', values: tr.resolved },
        ],
      }),
    );
  }
  return out;
}

/**
 * How fast complaints are answered and fixed: the medians of those resolved in the
 * period, how many are open and unanswered, and the oldest open one (with its passes,
 * so a complaint bounced between people for months reads as that). The digest's week, /churn's period.
 */
export function complaintTimesSection(v: View, times: ComplaintTimes, heading: string): Section {
  const t = v.t.complaint.times;
  const lines = [
    times.resolved && times.firstAnswer !== undefined && times.resolution !== undefined
      ? t.resolved(times.resolved, fmtSpan(v, times.firstAnswer), fmtSpan(v, times.resolution))
      : t.noneResolved,
    t.open(times.open, times.unanswered),
  ];
  if (times.oldest) lines.push(t.oldest(ref('C', times.oldest.number), times.oldest.account, fmtSpan(v, v.now.getTime() - times.oldest.openedAt.getTime()), times.oldest.passes));
  return list(lines, { heading });
}

/**
 * How well promises were kept over the last quarter (KEPT_WINDOW_DAYS), by the date first agreed:
 * a line per rep who closed any, then the team's, for a manager; the reader's own line for a rep.
 * Nothing when no promise of theirs was kept or broken in that time.
 */
function keptOnTimeSection(tenant: Tenant, team: Member[], rates: Map<number, KeptRate>, v: View): Section[] {
  const t = v.t;
  if (rates.size === 0) return [];
  const line = (who: string, r: KeptRate) => t.digest.keptLine(who, r.onTime, keptTotal(r), fmtPercent(v, r.onTime / keptTotal(r)), r.late, r.broken, r.moved);
  const lines = team.filter((m) => rates.has(m.id)).map((m) => line(personName(t, tenant.platform, m), rates.get(m.id)!));
  if (team.length > 1) {
    const all = [...rates.values()].reduce((a, r) => ({ onTime: a.onTime + r.onTime, late: a.late + r.late, broken: a.broken + r.broken, moved: a.moved + r.moved }));
    lines.push(line(t.digest.keptTeam, all));
  }
  return [list(lines, { heading: t.digest.keptHeading(Math.round(KEPT_WINDOW_DAYS / 7)) })];
}

/** What a member reads as their weekly digest (and by /digest): admins and executives the organisation's. */
export async function weeklyDigest(tx: Tx, tenant: Tenant, member: Member, now: Date, orgCache?: Map<string, Reply>): Promise<Reply> {
  if (!readsOrganisation(member)) return digestFor(tx, tenant, member, now);
  // The organisation's part reads the same for everyone of a language and zone: composed once for them.
  const v = viewFor(tenant, member, now);
  const key = `${v.locale}|${v.zone}`;
  const org = orgCache?.get(key) ?? (await orgDigestFor(tx, tenant, member, now));
  orgCache?.set(key, org);
  const out = structuredClone(org);
  // Their own book or team, when they have one, follows: the organisation's view does not replace it.
  if (await ownsAccounts(tx, tenant, member)) {
    const own = await digestFor(tx, tenant, member, now);
    out.sections.push(text(v.t.org.ownPart(typeof own.title === 'string' ? own.title : '')), ...own.sections);
  }
  return out;
}

/**
 * The head of sales' week: each team beside the organisation's total, then the accounts at risk or
 * to watch across the organisation (src/domain/digest.ts orgWeek).
 */
export async function orgDigestFor(tx: Tx, tenant: Tenant, member: Member, now: Date): Promise<Reply> {
  const v = viewFor(tenant, member, now);
  const t = v.t;
  const w = await orgWeek(tx, tenant, now, v.zone);
  const row = ({ byCount, ...f }: OrgFigures): OrgRow => ({ ...f, rate: fmtPercent(v, byCount) });
  const name = (team: OrgTeam) => (team.lead ? t.org.team(personName(t, tenant.platform, team.lead)) : t.org.noTeam);
  const f = cap(w.flagged);
  const out = reply(
    'info',
    t.org.digestTitle(w.book.length, w.teams.filter(({ team }) => team.lead).length),
    list([t.org.compareLine(t.org.whole, row(w.whole)), ...w.teams.map(({ team, figures }) => t.org.compareLine(name(team), row(figures)))], { heading: t.org.compareHeading }),
    list(
      f.items.map(({ a, h }) => t.org.flaggedLine(a.name, name(w.org.teamOf(a.ownerId)), t.health.bands[h.band], h.score, h.reasons[0] ? reasonText(v, h.reasons[0]) : '')),
      { heading: t.health.worsenedHeading(w.flagged.length), empty: t.common.none, more: f.more },
    ),
  );
  out.locale = v.locale;
  return out;
}

/** The organisation's part is composed once per language and zone within a run. */
export function digestComposer(tenant: Tenant, now: Date): ComposeDigest {
  const orgCache = new Map<string, Reply>();
  return (tx, due) => weeklyDigest(tx, tenant, due.member, now, orgCache);
}
