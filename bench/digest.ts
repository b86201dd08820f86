// `npm run bench` (after bench/schedule.ts): the weekly digest and the health score on a large book.
//
//   1. The digest of a manager whose team owns 1 000 accounts, and of one of their reps (digestFor).
//   2. Account health for every account, now and four weeks ago (healthOf), beside a plain SQL scan of
//      the same rows (the sweep's revisit query as raw SQL, nothing decided).
//   3. The weekly digest run (digestRun): deciding and recording every member's digest, in batches,
//      each its own IMMEDIATE transaction; the longest hold of SQLite's write lock, and the whole run.
//
// Figures only; no thresholds. The book is bench/schedule.ts's (every account due, every one owned).
//
//   BENCH_SCHED_ACCOUNTS=100000  accounts
//   BENCH_SCHED_TEAM=1000        accounts in each manager's team (reps own 100 each)
//   BENCH_DIGEST_RUNS=20         measured digests (after 3 warm-up ones)
//   BENCH_HEALTH_RUNS=5          measured health passes, each after a scan (medians)
//   BENCH_KEEP=1                 keep the temp SQLite file (its path is printed)
//   BENCH_DIGEST_ONLY=health     run only part 2 (or =digest: only part 1); for profiling
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { eq } from 'drizzle-orm';
import { type Db, immediate } from '../db/index.js';
import { members, tenants } from '../db/schema.js';
import { plain } from '../src/engine/reply.js';
import { healthOf } from '../src/domain/health.js';
import { digestRun } from '../src/scheduler/digest.js';
import { digestFor } from '../src/views/digest.js';
import type { Tenant } from '../src/domain/types.js';
import { ascending, DAY, fmt, int, median, NOW, percentile, rng, table, tierOf, TIMEZONE, withTempDb } from './lib.js';

const ACCOUNTS = int('BENCH_SCHED_ACCOUNTS', 100_000, 1);
const TEAM = int('BENCH_SCHED_TEAM', 1_000, 1);
const DIGEST_RUNS = int('BENCH_DIGEST_RUNS', 20, 1);
const HEALTH_RUNS = int('BENCH_HEALTH_RUNS', 5, 1);
const SCAN_RUNS = 3;
const PER_REP = Math.min(100, TEAM);
const ONLY = process.env.BENCH_DIGEST_ONLY ?? '';

// Fixed clock (NOW: Monday 10:00 in Shanghai, working hours, so nothing waits) and seeded randomness.
const CADENCE = { strategic: 14, key: 30, standard: 90 } as const;
const random = rng(7);

interface Seeded {
  tenantId: number;
  /** A manager whose team owns TEAM accounts, and one of their reps. */
  managerId: number;
  repId: number;
  touchpoints: number;
  complaints: number;
  promises: number;
  pairings: number;
}

/**
 * Reps own PER_REP accounts each; every TEAM / PER_REP reps report to a manager.
 * Each account's last visit is one cadence plus 0-40 days ago, so every account is
 * due, and some are overdue enough for a reminder or for their manager to be told.
 */
function seed(db: Db): Seeded {
  const c = db.$client;
  const tenantId = Number(
    c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('shell', 'bench-digest', 'Bench Logistics', 'en', ?)").run(TIMEZONE).lastInsertRowid,
  );
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function, manager_id) values (?, ?, ?, ?, ?, ?)');
  const insAccount = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare(
    "insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, '', 'shell', ?)",
  );
  const insComplaint = c.prepare(
    "insert into complaints (tenant_id, number, account_id, severity, category, summary, owner_id, reporter_id, status, opened_at, deadline_at) values (?, ?, ?, ?, 'delay', 'Late delivery', ?, ?, 'open', ?, ?)",
  );
  const insPromise = c.prepare(
    "insert into promises (tenant_id, number, account_id, owner_id, text, due_on, status, created_at) values (?, ?, ?, ?, 'Send the quote', ?, 'open', ?)",
  );
  const insPairing = c.prepare('insert into pairings (tenant_id, account_id, exec_id, cadence_days, active, created_at) values (?, ?, ?, 90, 1, ?)');
  const out: Seeded = { tenantId, managerId: 0, repId: 0, touchpoints: 0, complaints: 0, promises: 0, pairings: 0 };
  c.transaction(() => {
    insMember.run(tenantId, 'admin', 'admin', 'admin', 'sales', null);
    const execId = Number(insMember.run(tenantId, 'chen', 'chen', 'exec', 'executive', null).lastInsertRowid);
    const reps: number[] = [];
    const repsPerTeam = Math.max(1, Math.round(TEAM / PER_REP));
    const repCount = Math.ceil(ACCOUNTS / PER_REP);
    let manager = 0;
    for (let r = 0; r < repCount; r++) {
      if (r % repsPerTeam === 0) {
        const m = r / repsPerTeam;
        manager = Number(insMember.run(tenantId, `mgr${m}`, `mgr${m}`, 'manager', 'sales', null).lastInsertRowid);
        if (m === 0) out.managerId = manager;
      }
      reps.push(Number(insMember.run(tenantId, `rep${r}`, `rep${r}`, 'rep', 'sales', manager).lastInsertRowid));
    }
    out.repId = reps[0]!;
    const created = NOW.getTime() - 800 * DAY;
    let complaintNo = 0;
    let promiseNo = 0;
    for (let i = 0; i < ACCOUNTS; i++) {
      const tier = tierOf(i);
      const owner = reps[Math.floor(i / PER_REP)]!;
      const name = `Account ${String(i + 1).padStart(6, '0')}`;
      const id = Number(insAccount.run(tenantId, name, name.toLowerCase(), tier, owner, created, created).lastInsertRowid);
      const lastVisit = NOW.getTime() - CADENCE[tier] * DAY - Math.floor(random() * 40 * DAY) - 3_600_000;
      insTouch.run(tenantId, id, owner, 'visit', lastVisit, lastVisit);
      // A call since then: a touch, but not one that resets the revisit clock.
      const call = lastVisit + Math.floor(random() * (NOW.getTime() - lastVisit));
      insTouch.run(tenantId, id, owner, 'call', call, call);
      out.touchpoints += 2;
      if (i % 50 === 0) {
        const opened = NOW.getTime() - Math.floor(random() * 10 * DAY);
        insComplaint.run(tenantId, ++complaintNo, id, 'high', owner, owner, opened, opened + 24 * 3_600_000);
        out.complaints++;
      }
      if (i % 33 === 0) {
        const due = new Date(NOW.getTime() + Math.floor((random() * 14 - 10) * DAY)).toISOString().slice(0, 10);
        insPromise.run(tenantId, ++promiseNo, id, owner, due, created);
        out.promises++;
      }
      if (tier === 'strategic' && i % 200 === 0) {
        insPairing.run(tenantId, id, execId, created);
        out.pairings++;
      }
    }
  })();
  c.pragma('optimize');
  // The seed's pages copied into the file now, not at the first commit measured.
  c.pragma('wal_checkpoint(TRUNCATE)');
  return out;
}

const pct = (xs: number[], p: number) => percentile(ascending(xs), p);

/** The digest run as the clock runs it (digestRun: in batches); every write transaction's hold of the write lock. */
async function digestRunMeasured(db: Db, tenant: Tenant) {
  const start = performance.now();
  const { ids, holds } = digestRun(db, tenant, NOW);
  const totalMs = performance.now() - start;
  return {
    label: `digestRun, batches of IMMEDIATE transactions (hold p50 ${fmt(median(holds), 1)} ms)`,
    digests: ids.length,
    transactions: holds.length,
    longestHoldMs: Math.max(0, ...holds),
    totalMs,
  };
}

async function main(): Promise<void> {
  await withTempDb('steward-bench-digest-', async (db, file) => {
    let t0 = performance.now();
    const s = seed(db);
    const seedMs = performance.now() - t0;
    const tenant = db.select().from(tenants).where(eq(tenants.id, s.tenantId)).get()!;
    const manager = db.select().from(members).where(eq(members.id, s.managerId)).get()!;
    const rep = db.select().from(members).where(eq(members.id, s.repId)).get()!;
    const memberCount = db.$client.prepare('select count(*) as n from members').get() as { n: number };
    console.log(
      `\nsteward digest bench: ${fmt(ACCOUNTS)} accounts, ${fmt(memberCount.n)} members, ${fmt(s.touchpoints)} touchpoints, ${fmt(s.complaints)} open complaints, ${fmt(s.promises)} open promises, ${fmt(s.pairings)} pairings, seeded in ${fmt(seedMs / 1000, 1)} s (${file})`,
    );

    // The plain scan: the sweep's revisit query, as raw SQL, with nothing decided.
    const scan = db.$client.prepare(
      `select a.*, (select max(t.occurred_at) from touchpoints t where t.account_id = a.id and t.kind in ('visit', 'meeting', 'review')) as last
         from accounts a where a.tenant_id = ? and a.status = 'active' and a.owner_id is not null`,
    );
    let scanned = 0;
    const scanOnce = () => {
      const start = performance.now();
      scanned = (scan.all(s.tenantId) as unknown[]).length;
      return performance.now() - start;
    };
    scanOnce(); // warm-up: page cache and statement
    const scanMs = median(Array.from({ length: SCAN_RUNS }, scanOnce));

    // (1) The digest for a manager whose team owns TEAM accounts, and for one of their reps.
    const teamAccounts = (
      db.$client.prepare('select count(*) as n from accounts a join members m on m.id = a.owner_id where m.manager_id = ? or m.id = ?').get(manager.id, manager.id) as { n: number }
    ).n;
    const digestRuns = (who: typeof manager) => {
      const times: number[] = [];
      let title = '';
      for (let i = 0; i < 3 + DIGEST_RUNS; i++) {
        const start = performance.now();
        // As a command runs it (the engine's `immediate`): its prepared queries are the connection's, kept between runs.
        const r = immediate(db, (tx) => digestFor(tx, tenant, who, NOW));
        const ms = performance.now() - start;
        if (i >= 3) times.push(ms);
        title = plain(r.title ?? '');
      }
      return { times, title };
    };
    const skip = { times: [0], title: '' };
    const mgr = ONLY === 'health' ? skip : digestRuns(manager);
    const own = ONLY === 'health' ? skip : digestRuns(rep);

    // (2) Account health for every account: now and four weeks ago, with reasons, beside the same plain scan,
    // the two taken in turn so that both see the same machine (it is shared and noisy).
    let scores = new Map<number, ReturnType<typeof healthOf> extends Map<number, infer H> ? H : never>();
    const healthTimes: number[] = [];
    const scanTimes: number[] = [];
    for (let i = 0; i < (ONLY === 'digest' ? 0 : HEALTH_RUNS); i++) {
      scanTimes.push(scanOnce());
      t0 = performance.now();
      scores = immediate(db, (tx) => healthOf(tx, tenant, 'all', NOW));
      healthTimes.push(performance.now() - t0);
    }
    const healthMs = healthTimes.length ? median(healthTimes) : 0;
    const healthScanMs = scanTimes.length ? median(scanTimes) : 1;
    const bands = { healthy: 0, watch: 0, 'at-risk': 0 };
    for (const h of scores.values()) bands[h.now.band]++;

    // (3) The weekly digest run over the whole book.
    const run = ONLY ? { label: 'skipped', digests: 0, transactions: 0, longestHoldMs: 0, totalMs: 0 } : await digestRunMeasured(db, tenant);

    console.log(`\n(1) weekly digest, ${fmt(DIGEST_RUNS)} runs after 3 warm-up (ms)\n`);
    console.log(
      table([
        ['digest', 'accounts', 'p50', 'p95', 'max'],
        [`manager, team of ${fmt(teamAccounts)} accounts`, fmt(teamAccounts), fmt(median(mgr.times), 2), fmt(pct(mgr.times, 95), 2), fmt(Math.max(...mgr.times), 2)],
        [`rep, own ${fmt(PER_REP)} accounts`, fmt(PER_REP), fmt(median(own.times), 2), fmt(pct(own.times, 95), 2), fmt(Math.max(...own.times), 2)],
      ]),
    );
    console.log(`\n  "${mgr.title}"`);
    console.log(`\n(2) account health, now and four weeks ago, with reasons (median of ${HEALTH_RUNS})\n`);
    console.log(
      table([
        ['path', 'accounts', 'ms', 'ratio'],
        [`plain SQL scan, same rows and last-visit subquery (median of ${HEALTH_RUNS}, in turn with healthOf)`, fmt(scanned), fmt(healthScanMs, 1), '1.00'],
        ['healthOf, every account', fmt(scores.size), fmt(healthMs, 1), fmt(healthMs / healthScanMs, 2)],
      ]),
    );
    console.log(`\nbands: healthy ${fmt(bands.healthy)}, watch ${fmt(bands.watch)}, at risk ${fmt(bands['at-risk'])}`);
    console.log(`\n(3) the weekly digest run over ${fmt(ACCOUNTS)} accounts: ${run.label}\n`);
    console.log(
      table([
        ['run', 'digests', 'transactions', 'longest hold ms', 'whole run ms'],
        [run.label, fmt(run.digests), fmt(run.transactions), fmt(run.longestHoldMs, 1), fmt(run.totalMs, 1)],
      ]),
    );
    console.log(`\ndatabase file after the run: ${fmt(statSync(file).size / 1_048_576, 1)} MiB\n`);
    console.log(
      JSON.stringify({
        bench: 'steward-digest',
        accounts: ACCOUNTS,
        members: memberCount.n,
        scanMs: +scanMs.toFixed(2),
        digest: {
          manager: { teamAccounts, runs: DIGEST_RUNS, p50: +median(mgr.times).toFixed(3), p95: +pct(mgr.times, 95).toFixed(3), max: +Math.max(...mgr.times).toFixed(3) },
          rep: { accounts: PER_REP, runs: DIGEST_RUNS, p50: +median(own.times).toFixed(3), p95: +pct(own.times, 95).toFixed(3), max: +Math.max(...own.times).toFixed(3) },
        },
        health: { accounts: scores.size, ms: +healthMs.toFixed(2), scanMs: +healthScanMs.toFixed(2), toScanRatio: +(healthMs / healthScanMs).toFixed(3), bands },
        digestRun: { digests: run.digests, transactions: run.transactions, longestHoldMs: +run.longestHoldMs.toFixed(2), totalMs: +run.totalMs.toFixed(2) },
        node: process.version,
      }),
    );
  });
}

await main();
