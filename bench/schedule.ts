// `npm run bench` (after bench/run.ts): the clock's two heavy reads.
//
//   1. The sweep over a large book where every account is due for a revisit:
//      sweepTenant in one IMMEDIATE transaction, deciding and recording every due
//      nudge (first nudge, reminder, manager) beside a plain SQL scan of the same
//      rows with the same last-visit subquery and no decisions.
//   (The weekly digest is measured in bench/digest.ts.)
//
// Figures only; no thresholds. Redis is not involved: enqueueing is bullmq's
// business and is not measured here.
//
//   BENCH_SCHED_ACCOUNTS=100000  accounts (every one due, every one owned)
//   BENCH_SCHED_TEAM=1000        accounts in each manager's team (reps own 100 each)
//   BENCH_KEEP=1                 keep the temp SQLite file (its path is printed)
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tenants } from '../db/schema.js';
import { healthOf } from '../src/domain/health.js';
import { sweepTenant, type SweepResult } from '../src/scheduler/sweep.js';
import { DAY, fmt, int, median, NOW, rng, table, tierOf, TIMEZONE, withTempDb } from './lib.js';

const ACCOUNTS = int('BENCH_SCHED_ACCOUNTS', 100_000, 1);
const TEAM = int('BENCH_SCHED_TEAM', 1_000, 1);
const SCAN_RUNS = 3;
const PER_REP = Math.min(100, TEAM);

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
  const tenantId = Number(c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('shell', 'bench-schedule', 'Bench Logistics', 'en', ?)").run(TIMEZONE).lastInsertRowid);
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function, manager_id) values (?, ?, ?, ?, ?, ?)');
  const insAccount = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare("insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, '', 'shell', ?)");
  const insComplaint = c.prepare(
    "insert into complaints (tenant_id, number, account_id, severity, category, summary, owner_id, reporter_id, status, opened_at, deadline_at) values (?, ?, ?, ?, 'delay', 'Late delivery', ?, ?, 'open', ?, ?)",
  );
  const insPromise = c.prepare("insert into promises (tenant_id, number, account_id, owner_id, text, due_on, status, created_at) values (?, ?, ?, ?, 'Send the quote', ?, 'open', ?)");
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
  return out;
}

async function main(): Promise<void> {
  await withTempDb('steward-bench-schedule-', (db, file) => {
    let t0 = performance.now();
    const s = seed(db);
    const seedMs = performance.now() - t0;
    const tenant = db.select().from(tenants).where(eq(tenants.id, s.tenantId)).get()!;
    const memberCount = db.$client.prepare('select count(*) as n from members').get() as { n: number };
    console.log(
      `\nsteward schedule bench: ${fmt(ACCOUNTS)} accounts (all due, all owned), ${fmt(memberCount.n)} members, ${fmt(s.touchpoints)} touchpoints, ${fmt(s.complaints)} open complaints, ${fmt(s.promises)} open promises, ${fmt(s.pairings)} pairings, seeded in ${fmt(seedMs / 1000, 1)} s (${file})`,
    );

    // (1a) The plain scan: the sweep's revisit query, as raw SQL, with nothing decided.
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

    // (1b) The sweep, once, as the clock runs it: one IMMEDIATE transaction that decides and records everything due.
    t0 = performance.now();
    const result: SweepResult = db.transaction((tx) => sweepTenant(tx, tenant, NOW), { behavior: 'immediate' });
    const sweepMs = performance.now() - t0;
    const recorded = (db.$client.prepare('select count(*) as n from nudges').get() as { n: number }).n;
    if (recorded !== result.ids.length) throw new Error(`the sweep reported ${result.ids.length} new nudges but ${recorded} are in the database`);
    if (result.counts.revisit < ACCOUNTS) throw new Error(`expected every account to be due, got ${result.counts.revisit} revisit nudges for ${ACCOUNTS} accounts`);

    // (1c) The next sweep a quarter of an hour later: everything is decided already; the dedupe keys turn every insert away.
    t0 = performance.now();
    const again = db.transaction((tx) => sweepTenant(tx, tenant, new Date(NOW.getTime() + 15 * 60_000)), { behavior: 'immediate' });
    const resweepMs = performance.now() - t0;

    // (3) Account health for every account: now and four weeks ago, with reasons, beside the same plain scan.
    t0 = performance.now();
    const scores = db.transaction((tx) => healthOf(tx, tenant, 'all', NOW));
    const healthMs = performance.now() - t0;
    const bands = { healthy: 0, watch: 0, 'at-risk': 0 };
    for (const h of scores.values()) bands[h.now.band]++;

    const nudgesPerSec = (result.ids.length / sweepMs) * 1000;
    console.log(`\n(1) sweep over ${fmt(ACCOUNTS)} due accounts, fixed clock, one SQLite file in WAL mode (synchronous=NORMAL)\n`);
    console.log(
      table([
        ['path', 'rows', 'nudges', 'ms', 'ratio'],
        [`plain SQL scan, same rows and last-visit subquery (median of ${SCAN_RUNS})`, fmt(scanned), '—', fmt(scanMs, 1), '1.00'],
        ['sweepTenant, one transaction: decide and record', fmt(ACCOUNTS), fmt(result.ids.length), fmt(sweepMs, 1), fmt(sweepMs / scanMs, 2)],
        ['sweepTenant again 15 min later (all decided, all deduped)', fmt(ACCOUNTS), fmt(again.ids.length), fmt(resweepMs, 1), fmt(resweepMs / scanMs, 2)],
      ]),
    );
    console.log(
      `\nnudges decided: ${Object.entries(result.counts)
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(', ')}; ${fmt(nudgesPerSec)} nudges/s recorded`,
    );
    console.log(`\n(3) account health, now and four weeks ago, with reasons\n`);
    console.log(
      table([
        ['path', 'accounts', 'ms', 'ratio'],
        [`plain SQL scan (as in 1)`, fmt(scanned), fmt(scanMs, 1), '1.00'],
        ['healthOf, every account', fmt(scores.size), fmt(healthMs, 1), fmt(healthMs / scanMs, 2)],
      ]),
    );
    console.log(`\nbands: healthy ${fmt(bands.healthy)}, watch ${fmt(bands.watch)}, at risk ${fmt(bands['at-risk'])}`);
    console.log(`\ndatabase file after the run: ${fmt(statSync(file).size / 1_048_576, 1)} MiB; nudges table ${fmt((db.$client.prepare('select count(*) as n from nudges').get() as { n: number }).n)} rows\n`);
    console.log(
      JSON.stringify({
        bench: 'steward-schedule',
        accounts: ACCOUNTS,
        members: memberCount.n,
        touchpoints: s.touchpoints,
        seedSeconds: +(seedMs / 1000).toFixed(2),
        scanMs: +scanMs.toFixed(2),
        scanRows: scanned,
        sweepMs: +sweepMs.toFixed(2),
        sweepNudges: result.ids.length,
        sweepCounts: result.counts,
        sweepToScanRatio: +(sweepMs / scanMs).toFixed(3),
        sweepNudgesPerSec: +nudgesPerSec.toFixed(1),
        resweepMs: +resweepMs.toFixed(2),
        resweepNudges: again.ids.length,
        resweepToScanRatio: +(resweepMs / scanMs).toFixed(3),
        health: { accounts: scores.size, ms: +healthMs.toFixed(2), toScanRatio: +(healthMs / scanMs).toFixed(3), bands },
        node: process.version,
      }),
    );
  });
}

await main();
