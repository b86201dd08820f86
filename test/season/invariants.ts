// What a team can count on over a season, written from the domain (DESIGN.md's
// "The clock is trusted over a season", the README's clock table, DOMAIN.md and
// issue 16), never from what today's code happens to send. Each invariant judges
// Steward's posts against the simulator's own record of the season (world.ts).
import { DateTime } from 'luxon';
import type { Invariant, Post, Season } from './sim.js';
import { DAY, HOUR, REVIEW_DEADLINE_DAY, REVIEW_START_DAY, SEASON_START, TENANT_ZONE, iso, inWorkingHours, startOfDay, weekOf, readAt } from './time.js';
import { SPAN_HOURS, type Complaint, type World } from './world.js';

/** Reminders the sweep and the digest decide; notices (alerts, answers to what someone just did) are told at once by design. */
const REMINDERS = new Set(['revisit', 'pairing', 'promise', 'review', 'checklist', 'digest', 'escalation']);
/** How long a message that came due at a sweep may take to reach its reader: past a weekend, across zones. */
const DELIVERY_SLACK = 4 * DAY;
/** "Weekly" with a day's slack for sweeps that fall a little late. */
const WEEK = 8 * DAY;
/** The end of the season counts what was said in its last two weeks. */
const LATELY = 14 * DAY;

const zoneOf = (w: World, name: string) => w.people.get(name)?.zone ?? TENANT_ZONE;
const earlier = (s: Season, p: Post, same: (q: Post) => boolean) => s.posts.filter((q) => q.at <= p.at && same(q));
const acct = (w: World, name: string | undefined) => (name ? w.accounts.get(name) : undefined);
const eveStart = (w: World, dueOn: string, owner: string) => startOfDay(DateTime.fromISO(dueOn).minus({ days: 1 }).toISODate()!, zoneOf(w, owner));

/** When a span of `hours` working hours (09:00-18:00 Mon-Fri in `zone`) from `from` ends. */
function afterWorkingHours(from: number, hours: number, zone: string): number {
  let left = hours * HOUR;
  let t = from;
  while (left > 0) {
    const d = DateTime.fromMillis(t, { zone });
    const start = d.set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    const end = d.set({ hour: 18, minute: 0, second: 0, millisecond: 0 });
    if (d.weekday > 5 || d >= end) t = d.plus({ days: 1 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 }).toMillis();
    else if (d < start) t = start.toMillis();
    else {
      const take = Math.min(left, end.toMillis() - t);
      left -= take;
      t += take;
    }
  }
  return t;
}

/**
 * The latest a complaint's deadline can be: wall-clock hours, or working hours
 * where the workspace counts them (issue 16, defect 3), in the workspace's or
 * the owner's zone. Critical stays wall-clock.
 */
const deadlines = new WeakMap<Complaint, number>();
function latestDeadline(w: World, c: Complaint): number {
  let known = deadlines.get(c);
  if (known === undefined) deadlines.set(c, (known = computeLatestDeadline(w, c)));
  return known;
}
function computeLatestDeadline(w: World, c: Complaint): number {
  const wall = w.deadline(c);
  if (c.severity === 'critical') return wall;
  const owner = w.accounts.get(c.account)!.owner;
  return Math.max(wall, afterWorkingHours(c.openedAt, SPAN_HOURS[c.severity], TENANT_ZONE), afterWorkingHours(c.openedAt, SPAN_HOURS[c.severity], zoneOf(w, owner)));
}

/**
 * What came due at each sweep must be said within DELIVERY_SLACK of it. `due`
 * lists, as of the sweep at `s`, the subjects whose message came due, with the
 * posts that would tell it and whether it stopped mattering by the time it should have arrived.
 */
function cameDue(name: string, due: (season: Season, sweep: number) => { what: string; told: (p: Post) => boolean; void: (by: number) => boolean }[]): Invariant {
  const judged = new WeakMap<Season, number>();
  // One subject left unsaid is one violation, however many sweeps went by without it.
  const reported = new WeakMap<Season, Set<string>>();
  return {
    name,
    step(season, now) {
      const out: string[] = [];
      const seen = reported.get(season) ?? new Set<string>();
      reported.set(season, seen);
      let i = judged.get(season) ?? 0;
      for (; i < season.sweeps.length && season.sweeps[i]! + DELIVERY_SLACK <= now; i++) {
        const sweep = season.sweeps[i]!;
        const by = sweep + DELIVERY_SLACK;
        for (const d of due(season, sweep)) {
          if (d.void(by) || seen.has(d.what)) continue;
          if (season.posts.some((p) => p.at >= sweep && p.at <= by && d.told(p))) continue;
          seen.add(d.what);
          out.push(`${d.what}: came due by the sweep at ${iso(sweep)}, nothing said by ${iso(by)}`);
        }
      }
      judged.set(season, i);
      return out;
    },
  };
}

export const INVARIANTS: Invariant[] = [
  {
    // DESIGN: "every reminder due is delivered once"; a nudge's key is (kind, subject, period), so a repeat is a second post of one decision,
    // a rung told twice, a weekly card twice in a week or two digests in a week.
    name: 'delivered once',
    post(s, p) {
      if (earlier(s, p, (q) => q.key === p.key).length) return `${p.key} posted again to ${p.to}`;
      // The top rung is raised again weekly (defect 3); the same rung twice within a week is the same message twice.
      if (
        p.kind === 'escalation' &&
        p.rung !== undefined &&
        earlier(s, p, (q) => q.kind === 'escalation' && q.complaint === p.complaint && q.rung === p.rung && q.at > p.at - 7 * DAY).length
      )
        return `C-${p.complaint} rung ${p.rung} told twice within a week (${p.key})`;
      return undefined;
    },
  },
  {
    // README: supplier reviews "weekly until held": one card of an item per reader per week (their week).
    // Issue 16, defect 6: "The same R-n card went out twice when a week's first sweep fell on a weekend".
    name: 'review card once a week',
    post(s, p) {
      const week = weekOf(p.at, zoneOf(s.world, p.to));
      if (p.kind === 'review' && earlier(s, p, (q) => q.kind === 'review' && q.account === p.account && q.to === p.to && weekOf(q.at, zoneOf(s.world, q.to)) === week).length)
        return `${p.account}'s review card twice to ${p.to} in ${week}`;
      return undefined;
    },
  },
  {
    // README: "digest: Monday 08:30 ... each manager for their team, each rep for their own book": one a week, as the reader lives the week.
    name: 'digest once a week',
    post(s, p) {
      const week = weekOf(p.at, zoneOf(s.world, p.to));
      if (p.kind === 'digest' && earlier(s, p, (q) => q.kind === 'digest' && q.to === p.to && weekOf(q.at, zoneOf(s.world, q.to)) === week).length)
        return `two digests to ${p.to} in ${week}`;
      return undefined;
    },
  },
  {
    // DESIGN: "after it is due"; README: escalations "at the complaint's deadline", promises "the day before and on the due date",
    // supplier reviews "from the season's start".
    name: 'never before due',
    post(s, p) {
      const w = s.world;
      if (p.at < p.notBefore) return `${p.key} posted at ${iso(p.at)}, before its time ${iso(p.notBefore)}`;
      if (p.kind === 'escalation' && p.complaint !== undefined) {
        const c = w.complaints.get(p.complaint);
        if (c && p.at < w.deadline(c)) return `C-${c.number} (${c.severity}) escalated at ${iso(p.at)}, before its deadline ${iso(w.deadline(c))}`;
      }
      if (p.kind === 'promise' && p.promise !== undefined) {
        const pr = w.promises.get(p.promise);
        if (pr && p.at < eveStart(w, pr.dueOn, pr.owner)) return `P-${pr.number} (due ${pr.dueOn}) reminded at ${iso(p.at)}, before its eve`;
      }
      if (p.kind === 'review' && p.at < startOfDay(REVIEW_START_DAY, TENANT_ZONE)) return `review card for ${p.account} before the season opened`;
      return undefined;
    },
  },
  {
    // README: "Nudges and digests reach people in their working hours (09:00-18:00, Monday to Friday, in their own time zone);
    // escalations of critical complaints and alerts do not wait."
    name: 'working hours',
    post(s, p) {
      if (!REMINDERS.has(p.kind) || p.critical || p.to.startsWith('#')) return undefined;
      const zone = zoneOf(s.world, p.to);
      if (!inWorkingHours(p.at, zone)) return `${p.kind} ${p.key} reached ${p.to} at ${DateTime.fromMillis(p.at, { zone }).toFormat('ccc HH:mm')} ${zone}`;
      return undefined;
    },
  },
  {
    // Issue 16, defect 3: "Rungs must stay apart (each rung gets its own span after it is told)"; README: "then every period".
    name: 'ladder spacing',
    post(s, p) {
      if (p.kind !== 'escalation' || p.rung === undefined || p.rung < 2 || p.complaint === undefined) return undefined;
      const c = s.world.complaints.get(p.complaint);
      const before = earlier(s, p, (q) => q.kind === 'escalation' && q.complaint === p.complaint && q.rung === p.rung! - 1 && q !== p);
      if (!c || before.length === 0) return `C-${p.complaint} rung ${p.rung} told with no rung ${p.rung - 1} before it`;
      const prev = before[0]!.at;
      if (p.at < s.world.spanEnd(prev, c.severity))
        return `C-${c.number} (${c.severity}, ${SPAN_HOURS[c.severity]}h) rung ${p.rung} at ${iso(p.at)}, ${((p.at - prev) / HOUR).toFixed(1)}h after rung ${p.rung - 1}`;
      return undefined;
    },
  },
  {
    // Issue 16, defect 3: "rung 3 goes to the executive above the manager (the admin only when there is none)".
    name: 'rung 3 to the executive above the manager',
    post(s, p) {
      if (p.kind !== 'escalation' || p.rung !== 3 || p.to.startsWith('#')) return undefined;
      const a = acct(s.world, p.account);
      if (!a) return undefined;
      // Rung 2 was the owner's manager; rung 3 climbs above them (an executive who manages the owner was told at rung 2),
      // else the account's paired executive, else the admin.
      const exec = s.world
        .chain(a.owner)
        .slice(1)
        .find((m) => s.world.people.get(m)?.role === 'exec' && s.world.here(m, p.at));
      const paired = a.exec && s.world.here(a.exec.name, p.at) ? a.exec.name : undefined;
      const expected = exec ?? paired ?? 'alice';
      if (p.to !== expected) return `C-${p.complaint} rung 3 to ${p.to}, not ${expected} (above ${a.owner}'s manager)`;
      return undefined;
    },
  },
  {
    // DESIGN: "never for something already done"; issue 16: "nothing is said about a lost, resolved, kept, held or snoozed thing after
    // the fact; nothing is said to someone who has left".
    name: 'nothing after the fact',
    post(s, p) {
      const w = s.world;
      if (!p.to.startsWith('#') && !w.here(p.to, p.at)) return `${p.kind} ${p.key} to ${p.to}, who has left`;
      // A lost account is judged by the next invariant.
      const a = acct(w, p.account);
      if (p.kind === 'escalation' && p.complaint !== undefined) {
        const c = w.complaints.get(p.complaint)!;
        if (!w.open(c, p.at)) return `C-${c.number} escalated at ${iso(p.at)}, resolved ${iso(c.resolvedAt!)}`;
      }
      if (p.kind === 'promise' && p.promise !== undefined) {
        const pr = w.promises.get(p.promise)!;
        if (!w.promiseOpen(pr, p.at)) return `P-${pr.number} reminded at ${iso(p.at)}, closed ${iso(pr.closedAt!)}`;
      }
      if (p.kind === 'review' && a) {
        if (a.reviewHeldAt !== undefined && a.reviewHeldAt <= p.at) return `${a.name}'s review card at ${iso(p.at)}, held ${iso(a.reviewHeldAt)}`;
      }
      if (p.kind === 'revisit' && a) {
        const due = w.revisitDue(a, p.at);
        if (due > p.at) return `revisit of ${a.name} at ${iso(p.at)}, not due until ${iso(due)} (visited or snoozed)`;
      }
      if (p.kind === 'pairing' && a) {
        const due = w.pairingDue(a, p.at);
        if (due !== undefined && due > p.at) return `pairing visit to ${a.name} at ${iso(p.at)}, not due until ${iso(due)}`;
      }
      return undefined;
    },
  },
  {
    // Issue 16, defect 7: "Complaints on a lost account keep escalating ...; a lost account's open escalations, revisits and review
    // items stop". DOMAIN: once a customer has decided to leave, the work is the last conversation and the lesson, not reminders.
    name: 'nothing about a lost account',
    post(s, p) {
      const a = acct(s.world, p.account);
      if (!a || s.world.active(a, p.at) || !['escalation', 'revisit', 'review', 'pairing'].includes(p.kind)) return undefined;
      return `${p.kind} ${p.key} about ${a.name} to ${p.to} at ${iso(p.at)}; lost ${iso(a.lostAt!)}`;
    },
  },
  {
    // README clock table: a revisit goes to "the owner ... after 14 days their manager"; a promise to "its owner" (defect 4: then the
    // manager); a pairing to "the executive". After a handover that is the new owner (defect 5).
    name: 'the right person',
    post(s, p) {
      const w = s.world;
      const a = acct(w, p.account);
      if (!a || p.to.startsWith('#')) return undefined;
      if (p.kind === 'revisit' && p.to !== a.owner && !w.chain(a.owner).includes(p.to)) return `revisit of ${a.name} to ${p.to}; its owner is ${a.owner}`;
      if (p.kind === 'pairing' && a.exec && p.to !== a.exec.name) return `pairing visit to ${a.name} told to ${p.to}, not ${a.exec.name}`;
      if (p.kind === 'promise' && p.promise !== undefined) {
        const owner = w.promises.get(p.promise)!.owner;
        if (p.to !== owner && !w.chain(owner).includes(p.to)) return `P-${p.promise} reminded to ${p.to}; its owner is ${owner}`;
      }
      return undefined;
    },
  },
  {
    // Issue 16, defect 6: the review season stops at the deadline "with one last summary to owner and manager".
    name: 'review season ends at its deadline',
    post(s, p) {
      const after = startOfDay(REVIEW_DEADLINE_DAY, TENANT_ZONE) + DAY;
      if (p.kind !== 'review' || p.at < after) return undefined;
      const again = earlier(s, p, (q) => q.kind === 'review' && q.to === p.to && q.at >= after && q !== p);
      if (again.length) return `review card ${p.key} to ${p.to} at ${iso(p.at)}, the season ended ${REVIEW_DEADLINE_DAY} and ${p.to} already had its last summary`;
      return undefined;
    },
  },
  // README: a promise is reminded "the day before and on the due date"; defect 4: one missed because no sweep ran on those days is sent late.
  cameDue('promise reminders came due, were told', (season, sweep) => {
    const w = season.world;
    return [...w.promises.values()]
      .filter((pr) => {
        const a = w.accounts.get(pr.account)!;
        return (
          pr.madeAt <= sweep && !(pr.handedOverAt! > sweep) && w.promiseOpen(pr, sweep) && w.active(a, sweep) && w.here(pr.owner, sweep) && sweep >= eveStart(w, pr.dueOn, pr.owner)
        );
      })
      .map((pr) => {
        const dayStart = startOfDay(pr.dueOn, zoneOf(w, pr.owner));
        // Once the due day has begun, the eve's reminder no longer counts: the day's (or a late one) is owed.
        const from = sweep >= dayStart ? dayStart : eveStart(w, pr.dueOn, pr.owner);
        const toldAlready = season.posts.some((p) => p.kind === 'promise' && p.promise === pr.number && p.at >= from && p.at < sweep);
        return { pr, from, toldAlready };
      })
      .filter((x) => !x.toldAlready)
      .map(({ pr }) => ({
        what: `P-${pr.number} (${pr.owner}, due ${pr.dueOn})`,
        told: (p: Post) => p.kind === 'promise' && p.promise === pr.number,
        void: (by: number) => !w.promiseOpen(pr, by) || !w.active(w.accounts.get(pr.account)!, by) || !w.here(pr.owner, by),
      }));
  }),
  // README: escalations "at the complaint's deadline, then every period"; defect 3: after rung 3 an open complaint "keeps being raised
  // (weekly to the top rung and in the digest) until resolved".
  cameDue('open complaints past their deadline are raised weekly', (season, sweep) => {
    const w = season.world;
    return (
      [...w.complaints.values()]
        .filter((c) => w.open(c, sweep) && w.active(w.accounts.get(c.account)!, sweep) && latestDeadline(w, c) <= sweep)
        // Each rung waits its span after the one before (a low complaint's is longer than a week), then weekly.
        .filter((c) => {
          const last = Math.max(...season.posts.filter((p) => p.kind === 'escalation' && p.complaint === c.number && p.at < sweep).map((p) => p.at));
          return last === -Infinity || Math.max(last + WEEK, w.spanEnd(last, c.severity)) <= sweep;
        })
        .map((c) => ({
          what: `C-${c.number} (${c.severity}, ${c.account}, opened ${iso(c.openedAt)})`,
          told: (p: Post) => p.kind === 'escalation' && p.complaint === c.number,
          void: (by: number) => !w.open(c, by) || !w.active(w.accounts.get(c.account)!, by),
        }))
    );
  }),
  // README: a revisit "the tier's cadence after the last visit ... again 7 days later ... after 14 days their manager"; defect 5:
  // "Overdue accounts must keep coming back (weekly ...) until visited or snoozed"; after a handover, to the new owner.
  cameDue('overdue revisits are raised weekly', (season, sweep) => {
    const w = season.world;
    return (
      [...w.accounts.values()]
        // `owner` is who has it now: a sweep before it changed hands is judged by the next one, after the handover.
        .filter((a) => !(a.handedOverAt! > sweep) && w.active(a, sweep) && w.here(a.owner, sweep) && w.revisitDue(a, sweep) <= sweep)
        .filter((a) => !season.posts.some((p) => p.kind === 'revisit' && p.account === a.name && p.at > sweep - WEEK && p.at < sweep))
        .map((a) => ({
          what: `${a.name} (${a.tier}, ${a.owner}, due ${iso(w.revisitDue(a, sweep))})`,
          told: (p: Post) => p.kind === 'revisit' && p.account === a.name,
          void: (by: number) => !w.active(a, by) || !w.here(a.owner, by) || w.revisitDue(a, by) > sweep || a.visits.some((v) => v > sweep && v <= by),
        }))
    );
  }),
  // README: a leadership pairing is due "after the executive's last touch there", told to the executive.
  cameDue('leadership visits came due, were told', (season, sweep) => {
    const w = season.world;
    return [...w.accounts.values()]
      .filter((a) => a.exec && w.active(a, sweep) && w.here(a.exec.name, sweep) && w.pairingDue(a, sweep)! <= sweep)
      .filter((a) => !season.posts.some((p) => p.kind === 'pairing' && p.account === a.name && p.at >= w.pairingDue(a, sweep)! && p.at < sweep))
      .map((a) => ({
        what: `${a.name}'s pairing with ${a.exec!.name} (due ${iso(w.pairingDue(a, sweep)!)})`,
        told: (p: Post) => p.kind === 'pairing' && p.account === a.name,
        void: (by: number) => !w.active(a, by) || w.pairingDue(a, by)! > sweep,
      }));
  }),
  // README: the digest, "Monday 08:30 in the workspace's time zone ... each manager for their team, each rep for their own book";
  // the sweep records a digest whose job was lost. Whoever has a book or a team hears of it each week.
  cameDue('the weekly digest came due, was told', (season, sweep) => {
    const w = season.world;
    const monday = DateTime.fromMillis(sweep, { zone: TENANT_ZONE }).startOf('week').set({ hour: 8, minute: 30 }).toMillis();
    // A workspace set up mid-week starts with the next week's digest.
    if (sweep < monday || monday < SEASON_START) return [];
    const owns = (name: string) => [...w.accounts.values()].some((a) => a.owner === name && w.active(a, sweep));
    const leads = (name: string) => [...w.people.values()].some((m) => w.chain(m.name).includes(name) && (w.here(m.name, sweep) || owns(m.name)));
    return (
      [...w.people.values()]
        .filter((m) => w.here(m.name, sweep) && (owns(m.name) || leads(m.name)))
        // The week as the reader lives it: a digest read on their Monday morning, before the workspace's 08:30, counts.
        .filter((m) => !season.posts.some((p) => p.kind === 'digest' && p.to === m.name && p.at < sweep && weekOf(p.at, m.zone) === weekOf(readAt(monday, m.zone), m.zone)))
        .map((m) => ({
          what: `${m.name}'s digest for the week of ${iso(monday)}`,
          told: (p: Post) => p.kind === 'digest' && p.to === m.name,
          void: (by: number) => !w.here(m.name, by),
        }))
    );
  }),
  {
    // Issue 16: "every open complaint, overdue promise and overdue revisit is still being raised somewhere (a nudge, the digest) at the end
    // of the season". A digest raises what it names.
    name: 'still raised at the end',
    end(s) {
      const w = s.world;
      const end = Math.max(...s.sweeps);
      const lately = s.posts.filter((p) => p.at > end - LATELY);
      const inDigest = (needle: string) => lately.some((p) => p.kind === 'digest' && p.text.includes(needle));
      const out: string[] = [];
      for (const c of w.complaints.values()) {
        const a = w.accounts.get(c.account)!;
        if (!w.open(c, end) || !w.active(a, end) || latestDeadline(w, c) > end) continue;
        if (!lately.some((p) => p.complaint === c.number) && !inDigest(`C-${c.number}`))
          out.push(`C-${c.number} (${c.account}, opened ${iso(c.openedAt)}) open, nothing said in the last two weeks`);
      }
      for (const pr of w.promises.values()) {
        const a = w.accounts.get(pr.account)!;
        if (!w.promiseOpen(pr, end) || !w.active(a, end) || startOfDay(pr.dueOn, zoneOf(w, pr.owner)) + DAY > end) continue;
        if (!lately.some((p) => p.promise === pr.number) && !inDigest(`P-${pr.number}`)) out.push(`P-${pr.number} (due ${pr.dueOn}) overdue, nothing said in the last two weeks`);
      }
      for (const a of w.accounts.values()) {
        if (!w.active(a, end) || w.revisitDue(a, end) > end) continue;
        if (!lately.some((p) => p.kind === 'revisit' && p.account === a.name) && !inDigest(a.name))
          out.push(`${a.name} overdue since ${iso(w.revisitDue(a, end))}, nothing said in the last two weeks`);
      }
      return out;
    },
  },
];
