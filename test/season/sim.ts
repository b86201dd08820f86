// Runs one season: Steward's real engine (commands), sweep, digest and outbox
// delivery over a real SQLite file, with a clock the simulator moves. Work is
// generated day by day from a seed and typed as commands; the sweep runs at
// random times with random gaps (the scheduler down for hours or weeks); the
// delivery queue posts each message when it is due (as bullmq's delayed jobs
// do); the process restarts now and then (everything in memory is dropped).
// Every post reaches a recording port, the platform's side of the ChatPort.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, gt, min } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { complaints, nudges, pairings, promises, reviewItems, tenants } from '../../db/schema.js';
import type { ChatPort, Destination, PostedRef } from '../../src/chat/port.js';
import { renderText } from '../../src/engine/render-text.js';
import type { Reply } from '../../src/engine/reply.js';
import { digestDue } from '../../src/domain/digest.js';
import { digestRun } from '../../src/scheduler/digest.js';
import { deliverDue } from '../../src/scheduler/outbox.js';
import { nextRungAt } from '../../src/domain/ladder.js';
import { sweepTenant, watchHealth } from '../../src/scheduler/sweep.js';
import { harness, type Harness } from '../harness.js';
import { DAY, HOUR, MINUTE, Rng, SEASON_END, SEASON_START, TENANT_ZONE, at, dayOf, iso, REVIEW_DEADLINE_DAY, REVIEW_START_DAY } from './time.js';
import { ACCOUNT_NAMES, CADENCE_DAYS, World, type Account, type Severity, type Tier } from './world.js';
import { transact } from '../../db/index.js';

/** One message as the platform received it, with what Steward's outbox says it was. */
export interface Post {
  at: number;
  /** A member's name, or `#channel`. */
  to: string;
  text: string;
  kind: string;
  key: string;
  notBefore: number;
  /** What it is about, in the world's names. */
  account?: string;
  complaint?: number;
  promise?: number;
  member?: string;
  /** An escalation's rung, from its key (escalation:<complaint>:<rung>...). */
  rung?: number;
  critical: boolean;
}

/** What happened, for the invariants: the world, every post, every sweep. */
export interface Season {
  seed: number;
  world: World;
  posts: Post[];
  sweeps: number[];
  restarts: number[];
  /** Lines of what the simulator did, to read a failing season. */
  log: string[];
}

export interface Invariant {
  name: string;
  /** Checked after each delivery, on the posts it made. */
  post?: (s: Season, p: Post) => string | undefined;
  /** Checked at each step: what came due by `now` must have been said by now. */
  step?: (s: Season, now: number) => string[];
  /** Checked once, at the end of the season. */
  end?: (s: Season) => string[];
}

export interface Violation {
  invariant: string;
  at: string;
  detail: string;
}

class Platform implements ChatPort {
  posts: { to: string; ts: string; text: string }[] = [];
  private seq = 0;
  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    const ts = `1787000000.${String(++this.seq).padStart(6, '0')}`;
    const channel = 'channel' in to ? to.channel : `D-${to.dm.platformUserId}`;
    this.posts.push({ to: 'channel' in to ? `#${to.channel}` : to.dm.name, ts, text: renderText(reply) });
    return { channel: thread?.channel ?? channel, ts };
  }
  async update(): Promise<void> {}
}

type Event = { at: number; what: string; run: () => Promise<void> };

export interface SeasonOptions {
  seed: number;
  invariants: Invariant[];
  /** Stop at the first violation of these (all others are recorded and the season goes on). */
  stopOn?: (name: string) => boolean;
}

export async function runSeason(opts: SeasonOptions): Promise<{ season: Season; violations: Violation[] }> {
  const rng = new Rng(opts.seed);
  const dir = mkdtempSync(join(tmpdir(), 'steward-season-'));
  const world = new World();
  const season: Season = { seed: opts.seed, world, posts: [], sweeps: [], restarts: [], log: [] };
  const violations: Violation[] = [];
  const platform = new Platform();
  let now = SEASON_START;
  let h: Harness = harness({ dir, now: new Date(now), timezone: TENANT_ZONE, locale: 'en' });
  const events: Event[] = [];
  const schedule = (e: Event) => {
    let i = events.length;
    while (i > 0 && events[i - 1]!.at > e.at) i--;
    events.splice(i, 0, e);
  };
  const note = (line: string) => season.log.push(`${iso(now)} ${line}`);
  const reported = new Set<string>();
  const violated = (invariant: string, detail: string) => {
    // A step's check may find the same thing again at the next step: it is one violation.
    if (reported.has(`${invariant}|${detail}`)) return;
    reported.add(`${invariant}|${detail}`);
    violations.push({ invariant, at: iso(now), detail });
    note(`VIOLATION ${invariant}: ${detail}`);
  };

  /** Handlers stamp some rows' created_at with the machine's clock; the season's clock is the simulator's. */
  const pinCreatedAt = () => {
    for (const table of ['tenants', 'members', 'accounts', 'pairings', 'promises']) {
      h.db.$client.prepare(`update "${table}" set created_at = ? where created_at > ?`).run(now, now);
    }
  };

  /** Runs a command as `user`; one the world thinks valid must succeed. */
  async function cmd(text: string, user: string): Promise<string> {
    h.now = new Date(now);
    const out = await h.run(text, user);
    pinCreatedAt();
    note(`${user}: ${text}${out.ok ? '' : ` REFUSED ${out.text}`}`);
    if (!out.ok) throw new Error(`season ${opts.seed}: ${user} was refused ${text}\n${out.text}`);
    return out.text;
  }

  // --- delivery: the queue posts each message when it is due -----------------------------
  const nameOf = (table: 'accounts' | 'members', id: number) => h.db.$client.prepare(`select name from "${table}" where id = ?`).pluck().get(id) as string | undefined;
  async function describe(n: typeof nudges.$inferSelect): Promise<Pick<Post, 'account' | 'complaint' | 'promise' | 'member' | 'rung' | 'critical'>> {
    const out: Awaited<ReturnType<typeof describe>> = { critical: false };
    if (n.subjectType === 'complaint') {
      const c = await h.db.select().from(complaints).where(eq(complaints.id, n.subjectId)).get();
      if (c) Object.assign(out, { complaint: c.number, account: nameOf('accounts', c.accountId), critical: c.severity === 'critical' });
      const rung = Number(n.dedupeKey.split(':')[2]);
      if (n.kind === 'escalation' && Number.isInteger(rung)) out.rung = rung;
    } else if (n.subjectType === 'promise') {
      const p = await h.db.select().from(promises).where(eq(promises.id, n.subjectId)).get();
      if (p) Object.assign(out, { promise: p.number, account: nameOf('accounts', p.accountId) });
    } else if (n.subjectType === 'account') out.account = nameOf('accounts', n.subjectId);
    else if (n.subjectType === 'review') {
      const r = await h.db.select().from(reviewItems).where(eq(reviewItems.id, n.subjectId)).get();
      if (r) out.account = nameOf('accounts', r.accountId);
    } else if (n.subjectType === 'pairing') {
      const p = await h.db.select().from(pairings).where(eq(pairings.id, n.subjectId)).get();
      if (p) out.account = nameOf('accounts', p.accountId);
    } else if (n.subjectType === 'member') out.member = nameOf('members', n.subjectId);
    return out;
  }

  async function deliver(): Promise<void> {
    const from = platform.posts.length;
    await deliverDue(h.db, platform, new Date(now));
    for (const raw of platform.posts.slice(from)) {
      const n = await h.db.select().from(nudges).where(eq(nudges.postedTs, raw.ts)).get();
      if (!n) {
        violated('delivered once', `a post to ${raw.to} that no nudge records as sent (posted twice?): ${raw.text.split('\n')[0]}`);
        continue;
      }
      const post: Post = {
        at: now,
        to: raw.to,
        text: raw.text,
        kind: n.kind,
        key: n.dedupeKey,
        notBefore: n.notBefore?.getTime() ?? n.createdAt.getTime(),
        ...(await describe(n)),
      };
      note(`→ ${post.to} ${post.kind} ${post.key} | ${raw.text.split('\n')[0]}`);
      for (const inv of opts.invariants) {
        const bad = inv.post?.(season, post);
        if (bad) violated(inv.name, bad);
      }
      season.posts.push(post);
    }
  }
  const nextDelivery = async (): Promise<number | undefined> => {
    const row = await h.db
      .select({ at: min(nudges.notBefore) })
      .from(nudges)
      .where(and(eq(nudges.status, 'pending'), gt(nudges.notBefore, new Date(now))))
      .get();
    return row?.at ? new Date(row.at).getTime() : undefined;
  };

  // --- the scheduler's jobs, as src/scheduler/scheduler.ts runs them -----------------------
  async function sweep(): Promise<void> {
    const tenant = (await h.db.select().from(tenants).get())!;
    const at = new Date(now);
    const { counts } = await transact(h.db, (tx) => sweepTenant(tx, tenant, at), { behavior: 'immediate' });
    await transact(h.db, (tx) => watchHealth(tx, tenant, at), { behavior: 'immediate' });
    // A digest whose job was lost is recorded late rather than not at all (the sweep job's catch-up).
    const due = digestDue(tenant, at);
    if (at >= due && tenant.createdAt < due) await digestRun(h.db, tenant, at);
    season.sweeps.push(now);
    await armRungs();
    note(
      `sweep ${Object.entries(counts)
        .filter(([, n]) => n)
        .map(([k, n]) => `${k}:${n}`)
        .join(' ')}`,
    );
  }
  /** The weekly digest job at its hour, as the scheduler's cron runs it (when its job was not lost). */
  async function digestJob(): Promise<void> {
    const tenant = (await h.db.select().from(tenants).get())!;
    await digestRun(h.db, tenant, new Date(now));
    note('digest job');
  }
  /**
   * A complaint's timer for its next rung (scheduler.scheduleRung), one per complaint and rung as bullmq's
   * job id makes it. Some are lost, as when Redis is emptied; each sweep sets them again.
   */
  const armed = new Set<string>();
  async function armRungs(): Promise<void> {
    const tenant = (await h.db.select().from(tenants).get())!;
    for (const c of await h.db.select().from(complaints).where(eq(complaints.status, 'open')).all()) {
      const next = nextRungAt(tenant, c);
      const id = `${c.id}-${c.escalationLevel + 1}`;
      if (!next || armed.has(id)) continue;
      armed.add(id);
      if (rng.chance(0.2)) continue;
      schedule({
        at: Math.max(now, next.getTime()),
        what: 'escalate',
        run: async () => {
          await transact(h.db, async (tx) => sweepTenant(tx, (await h.db.select().from(tenants).get())!, new Date(now), { complaintId: c.id }), { behavior: 'immediate' });
          note(`timer C-${c.number}`);
          await armRungs();
        },
      });
    }
  }
  function restart(): void {
    h.close();
    h = harness({ dir, now: new Date(now), timezone: TENANT_ZONE, locale: 'en' });
    season.restarts.push(now);
    note('restart');
  }

  // --- the book -----------------------------------------------------------------------------
  await cmd('/steward whoami', 'alice');
  for (const p of world.people.values()) {
    if (p.role === 'exec') await cmd(`/steward role @${p.name} exec`, 'alice');
  }
  for (const p of world.people.values()) {
    if (p.manager) await cmd(`/steward team @${p.name} manager:@${p.manager}`, 'alice');
  }
  for (const p of world.people.values()) await cmd(`/steward me locale:${p.locale} timezone:${p.zone}`, p.name);
  const reps = world.reps(now);
  const tiers: Tier[] = ['strategic', 'key', 'standard'];
  for (const [i, name] of ACCOUNT_NAMES.entries()) {
    const owner = reps[i % reps.length]!.name;
    const tier = tiers[i % 3]!;
    await cmd(`/account add ${name} tier:${tier} owner:@${owner}`, 'alice');
    const a: Account = { name, tier, owner, createdAt: now, visits: [], snoozedUntil: 0, diligence: rng.pick([0, 0.5, 1, 1.2]) };
    world.accounts.set(name, a);
    if (tier === 'strategic') {
      const exec = world.person(owner).manager ? world.chain(owner).find((m) => world.person(m).role === 'exec') : undefined;
      const every = rng.pick([30, 45, 60]);
      if (exec) {
        await cmd(`/pair ${name} @${exec} every:${every}d`, 'alice');
        a.exec = { name: exec, every, since: now, touches: [] };
      }
    }
    // Some were visited a little before the season began, so they fall due at different times.
    if (rng.chance(0.6)) {
      await cmd(`/touch ${name} visit Season kick-off`, owner);
      a.visits.push(now);
    }
  }

  // --- the days: work, sweeps, restarts ----------------------------------------------------
  const firstDay = DateTime.fromMillis(SEASON_START, { zone: TENANT_ZONE }).plus({ days: 1 });
  const lastDay = DateTime.fromMillis(SEASON_END, { zone: TENANT_ZONE });
  for (let d = firstDay; d <= lastDay; d = d.plus({ days: 1 })) {
    // Asia/Tokyo is the book's easternmost zone: its midnight is the earliest start of the day anywhere in it.
    schedule({ at: at(d.toISODate()!, 0, 0, 'Asia/Tokyo'), what: 'day', run: async () => planDay(d.toISODate()!) });
  }
  // The scheduler's sweep: hours to two weeks apart (a server down, a laptop closed, a lost job).
  for (let t = SEASON_START + rng.int(1, 30) * HOUR; t < SEASON_END - DAY; ) {
    schedule({ at: t, what: 'sweep', run: sweep });
    const gap = rng.chance(0.7) ? rng.int(2, 48) * HOUR : rng.chance(0.7) ? rng.int(2, 6) * DAY : rng.int(7, 14) * DAY;
    t += gap + rng.int(0, 59) * MINUTE;
  }
  // The digest job, Monday 08:30 in the workspace's zone, when its job was not lost.
  for (let d = firstDay; d <= lastDay; d = d.plus({ days: 1 })) {
    if (d.weekday === 1 && rng.chance(0.6)) schedule({ at: at(d.toISODate()!, 8, 30, TENANT_ZONE), what: 'digest', run: digestJob });
  }
  // The last sweep of the season, in the workspace's morning, so the end is judged on a season that kept running.
  schedule({ at: at(lastDay.toISODate()!, 10, 0, TENANT_ZONE), what: 'sweep', run: sweep });
  for (let i = rng.int(2, 6); i > 0; i--) schedule({ at: SEASON_START + rng.int(1, 110) * DAY + rng.int(0, 23) * HOUR, what: 'restart', run: async () => restart() });
  // One account lost, one rep leaving (handed over a few days later, or never).
  const lostOn = SEASON_START + rng.int(15, 100) * DAY + 3 * HOUR;
  schedule({ at: lostOn, what: 'lost', run: loseOne });
  const leaveOn = SEASON_START + rng.int(10, 100) * DAY + 4 * HOUR;
  schedule({ at: leaveOn, what: 'leave', run: someoneLeaves });

  async function loseOne(): Promise<void> {
    // DOMAIN: "a complaint unresolved for months is the classic cause of a sudden loss": a customer with one open leaves first.
    const candidates = [...world.accounts.values()].filter((x) => world.active(x, now) && world.here(x.owner, now));
    const unhappy = candidates.filter((x) => [...world.complaints.values()].some((c) => c.account === x.name && world.open(c, now)));
    const a = rng.pick(unhappy.length ? unhappy : candidates);
    if (!a) return;
    await cmd(`/lost ${a.name} reason:${rng.pick(['competitor', 'price-market', 'neglected-details'])} They left for a rival`, 'alice');
    a.lostAt = now;
  }
  async function someoneLeaves(): Promise<void> {
    const rep = rng.pick(world.reps(now));
    const boss = rep.manager!;
    await cmd(`/leave @${rep.name}`, boss);
    rep.leftAt = now;
    if (rng.chance(0.75)) {
      const after = rng.int(1, 10) * DAY;
      schedule({
        at: now + after,
        what: 'handover',
        run: async () => {
          const to = rng.pick(
            [...world.people.values()]
              .filter((p) => p.manager === boss && world.here(p.name, now))
              .map((p) => p.name)
              .concat(boss),
          );
          await cmd(`/handover @${rep.name} @${to}`, boss);
          for (const a of world.accounts.values()) if (a.owner === rep.name && world.active(a, now)) Object.assign(a, { owner: to, handedOverAt: now });
          for (const p of world.promises.values()) if (p.owner === rep.name && world.promiseOpen(p, now)) Object.assign(p, { owner: to, handedOverAt: now });
        },
      });
    }
  }

  /** A day's work for everyone still here, at times in their own working day (a few in the evening). */
  function planDay(day: string): void {
    for (const p of world.people.values()) {
      if (!world.here(p.name, now)) continue;
      const weekday = DateTime.fromISO(day, { zone: p.zone }).weekday;
      if (weekday > 5 && !rng.chance(0.1)) continue;
      const when = () => at(day, rng.chance(0.9) ? rng.int(9, 17) : rng.int(18, 22), rng.int(0, 59), p.zone);
      const mine = [...world.accounts.values()].filter((a) => a.owner === p.name);
      const job = (what: string, run: () => Promise<void>) => schedule({ at: when(), what, run: async () => (world.here(p.name, now) ? run() : undefined) });
      for (const a of mine) {
        // A diligent owner visits about once a cadence; a neglected account drifts.
        if (rng.chance(a.diligence / (CADENCE_DAYS[a.tier] * 0.7))) job('visit', () => visit(a, p.name));
        if (rng.chance(0.025)) job('complaint', () => complain(a, p.name));
        if (rng.chance(0.03)) job('promise', () => promise(a, p.name));
        if (rng.chance(0.04)) job('snooze', () => snooze(a, p.name));
        if (a.tier !== 'standard' && day >= REVIEW_START_DAY && day <= REVIEW_DEADLINE_DAY && rng.chance(0.03)) job('review', () => reviewHeld(a, p.name));
      }
      for (const a of [...world.accounts.values()].filter((x) => x.exec?.name === p.name)) {
        if (rng.chance(1 / 40)) job('exec visit', () => visit(a, p.name));
      }
      if (rng.chance(0.3)) job('resolve', () => resolveOne(p.name));
      if (rng.chance(0.25)) job('keep', () => keepOne(p.name));
    }
  }

  async function visit(a: Account, who: string): Promise<void> {
    if (!world.active(a, now)) return;
    await cmd(`/touch ${a.name} ${rng.pick(['visit', 'meeting', 'visit'])} Went through the month's shipments`, who);
    a.visits.push(now);
    if (a.exec?.name === who) a.exec.touches.push(now);
  }
  async function complain(a: Account, who: string): Promise<void> {
    if (!world.active(a, now) || a.owner !== who) return;
    const severity = rng.pick<Severity>(['critical', 'high', 'high', 'medium', 'medium', 'low']);
    const out = await cmd(`/complaint ${a.name} severity:${severity} Pallets arrived crushed`, who);
    const number = Number(/C-(\d+)/.exec(out)![1]);
    world.complaints.set(number, { number, account: a.name, severity, openedAt: now, stuck: rng.chance(0.25) });
    await armRungs();
  }
  async function resolveOne(who: string): Promise<void> {
    // Some complaints stay open for months: only those on one's own accounts get resolved, and not always.
    const open = [...world.complaints.values()].filter(
      (c) => !c.stuck && world.open(c, now) && world.accounts.get(c.account)!.owner === who && world.active(world.accounts.get(c.account)!, now),
    );
    if (open.length === 0 || rng.chance(0.3)) return;
    const c = rng.pick(open);
    await cmd(`/resolve C-${c.number} Replaced the goods and fixed the packing`, who);
    c.resolvedAt = now;
  }
  async function promise(a: Account, who: string): Promise<void> {
    if (!world.active(a, now) || a.owner !== who) return;
    const zone = world.person(who).zone;
    const dueOn = dayOf(now + rng.int(1, 20) * DAY, zone);
    const out = await cmd(`/promise ${a.name} due:${dueOn} Send the revised rate card`, who);
    const number = Number(/P-(\d+)/.exec(out)![1]);
    world.promises.set(number, { number, account: a.name, owner: who, dueOn, madeAt: now, forgotten: rng.chance(0.25) });
  }
  async function keepOne(who: string): Promise<void> {
    const open = [...world.promises.values()].filter((p) => !p.forgotten && world.promiseOpen(p, now) && p.owner === who && world.active(world.accounts.get(p.account)!, now));
    if (open.length === 0 || rng.chance(0.3)) return;
    const p = rng.pick(open);
    await cmd(`/promise kept P-${p.number}`, who);
    p.closedAt = now;
  }
  async function snooze(a: Account, who: string): Promise<void> {
    // Only an account that is due (its owner was told) is snoozed.
    if (!world.active(a, now) || a.owner !== who || world.revisitDue(a, now) > now) return;
    const span = rng.pick(['3d', '1w']);
    await cmd(`/snooze ${a.name} ${span} Customer on holiday`, who);
    a.snoozedUntil = Math.max(a.snoozedUntil, now + (span === '3d' ? 3 : 7) * DAY);
  }
  async function reviewHeld(a: Account, who: string): Promise<void> {
    if (!world.active(a, now) || a.owner !== who || a.reviewHeldAt !== undefined) return;
    // The item exists once the season's first sweep made it.
    const exists = h.db.$client.prepare('select 1 from review_items r join accounts a on a.id = r.account_id where a.name = ?').get(a.name);
    if (!exists) return;
    await cmd(`/review ${a.name} held Went through the year with their buyer`, who);
    a.reviewHeldAt = now;
  }

  // --- the loop: the next event or the next due message, whichever comes first -----------------
  const end = SEASON_END + 12 * HOUR;
  const stop = () => opts.stopOn && violations.some((v) => opts.stopOn!(v.invariant));
  try {
    while (!stop()) {
      const next = events[0]?.at ?? Infinity;
      const due = (await nextDelivery()) ?? Infinity;
      const t = Math.min(next, due);
      if (t > end) break;
      now = Math.max(now, t);
      h.now = new Date(now);
      await deliver();
      while (events[0] && events[0].at <= now) {
        const e = events.shift()!;
        await e.run();
        await deliver();
      }
      for (const inv of opts.invariants) for (const bad of inv.step?.(season, now) ?? []) violated(inv.name, bad);
    }
    if (!stop()) {
      now = end;
      for (const inv of opts.invariants) for (const bad of [...(inv.step?.(season, now) ?? []), ...(inv.end?.(season) ?? [])]) violated(inv.name, bad);
    }
  } finally {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { season, violations };
}
