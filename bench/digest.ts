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
//   BENCH_HEALTH_RUNS=5          measured health passes, each after a scan (medians of wall and CPU time)
//   BENCH_HEALTH_GC=1            a full GC before each scan and each health pass. Off by default: it does not
//                                lower healthOf's cost but raises it (about 2.0x the scan's CPU with it, 1.5-1.7x
//                                without, in turn on one machine), as the pass then regrows a heap V8 has shrunk
//   BENCH_KEEP=1                 keep the temp SQLite file (its path is printed)
//   BENCH_DIGEST_ONLY=health     run only part 2 (or =digest: only part 1); for profiling
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eq } from 'drizzle-orm';
import { type Db, transact } from '../db/index.js';
import { members, tenants } from '../db/schema.js';
import { plain } from '../src/engine/reply.js';
import { healthOf } from '../src/domain/health.js';
import { digestRun } from '../src/scheduler/digest.js';
import { digestFor } from '../src/views/digest.js';
import type { Tenant } from '../src/domain/types.js';
import { ascending, fmt, int, median, NOW, percentile, seedBook, table, withTempDb, bookScan } from './lib.js';

const ACCOUNTS = int('BENCH_SCHED_ACCOUNTS', 100_000, 1);
const TEAM = int('BENCH_SCHED_TEAM', 1_000, 1);
const DIGEST_RUNS = int('BENCH_DIGEST_RUNS', 20, 1);
const HEALTH_RUNS = int('BENCH_HEALTH_RUNS', 5, 1);
const SCAN_RUNS = 3;
const PER_REP = Math.min(100, TEAM);
const ONLY = process.env.BENCH_DIGEST_ONLY ?? '';

/**
 * BENCH_HEALTH_GC=1: a full garbage collection, through V8's public flag: `--expose-gc` set at run time gives a
 * new context its `gc`, so this works however the bench is started (`npm run bench`, `npx tsx bench/digest.ts`).
 */
const fullGc = process.env.BENCH_HEALTH_GC === '1' ? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void) : () => {};

const pct = (xs: number[], p: number) => percentile(ascending(xs), p);

/** The digest run as the clock runs it (digestRun: in batches); every write transaction's hold of the write lock. */
async function digestRunMeasured(db: Db, tenant: Tenant) {
  const start = performance.now();
  const { ids, holds } = await digestRun(db, tenant, NOW);
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
    const s = seedBook(db, { accounts: ACCOUNTS, team: TEAM, workspace: 'bench-digest' });
    const seedMs = performance.now() - t0;
    const tenant = (await db.select().from(tenants).where(eq(tenants.id, s.tenantId)).get())!;
    const manager = (await db.select().from(members).where(eq(members.id, s.managerId)).get())!;
    const rep = (await db.select().from(members).where(eq(members.id, s.repId)).get())!;
    const memberCount = db.$client.prepare('select count(*) as n from members').get() as { n: number };
    console.log(
      `\nsteward digest bench: ${fmt(ACCOUNTS)} accounts, ${fmt(memberCount.n)} members, ${fmt(s.touchpoints)} touchpoints, ${fmt(s.complaints)} open complaints, ${fmt(s.promises)} open promises, ${fmt(s.pairings)} pairings, seeded in ${fmt(seedMs / 1000, 1)} s (${file})`,
    );

    // The plain scan: the sweep's revisit query, as raw SQL, with nothing decided.
    const scan = bookScan(db, s.tenantId);
    const scanMs = median(Array.from({ length: SCAN_RUNS }, scan.once));

    // (1) The digest for a manager whose team owns TEAM accounts, and for one of their reps.
    const teamAccounts = (
      db.$client.prepare('select count(*) as n from accounts a join members m on m.id = a.owner_id where m.manager_id = ? or m.id = ?').get(manager.id, manager.id) as { n: number }
    ).n;
    const digestRuns = async (who: typeof manager) => {
      const times: number[] = [];
      let title = '';
      for (let i = 0; i < 3 + DIGEST_RUNS; i++) {
        const start = performance.now();
        // As a command runs it (the engine's `immediate`): its prepared queries are the connection's, kept between runs.
        const r = await transact(db, (tx) => digestFor(tx, tenant, who, NOW));
        const ms = performance.now() - start;
        if (i >= 3) times.push(ms);
        title = plain(r.title ?? '');
      }
      return { times, title };
    };
    const skip = { times: [0], title: '' };
    const mgr = ONLY === 'health' ? skip : await digestRuns(manager);
    const own = ONLY === 'health' ? skip : await digestRuns(rep);

    // (2) Account health for every account: now and four weeks ago, with reasons, beside the same plain scan,
    // the two taken in turn so that both see the same machine (it is shared and noisy).
    let scores = new Map<number, Awaited<ReturnType<typeof healthOf>> extends Map<number, infer H> ? H : never>();
    const healthTimes: number[] = [];
    const scanTimes: number[] = [];
    // CPU time of each too (this process's, user and system): on a shared machine it varies less than wall time.
    const healthCpu: number[] = [];
    const scanCpu: number[] = [];
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    for (let i = 0; i < (ONLY === 'digest' ? 0 : HEALTH_RUNS); i++) {
      scores = new Map();
      fullGc();
      let c0 = cpuMs();
      scanTimes.push(scan.once());
      scanCpu.push(cpuMs() - c0);
      fullGc();
      c0 = cpuMs();
      t0 = performance.now();
      scores = await transact(db, (tx) => healthOf(tx, tenant, 'all', NOW));
      healthTimes.push(performance.now() - t0);
      healthCpu.push(cpuMs() - c0);
    }
    const healthMs = healthTimes.length ? median(healthTimes) : 0;
    const healthScanMs = scanTimes.length ? median(scanTimes) : 1;
    const healthCpuMs = healthCpu.length ? median(healthCpu) : 0;
    const scanCpuMs = scanCpu.length ? median(scanCpu) : 1;
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
        ['path', 'accounts', 'ms', 'ratio', 'CPU ms', 'CPU ratio'],
        [
          `plain SQL scan, same rows and last-visit subquery (median of ${HEALTH_RUNS}, in turn with healthOf)`,
          fmt(scan.rows),
          fmt(healthScanMs, 1),
          '1.00',
          fmt(scanCpuMs, 1),
          '1.00',
        ],
        ['healthOf, every account', fmt(scores.size), fmt(healthMs, 1), fmt(healthMs / healthScanMs, 2), fmt(healthCpuMs, 1), fmt(healthCpuMs / scanCpuMs, 2)],
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
        health: {
          accounts: scores.size,
          ms: +healthMs.toFixed(2),
          scanMs: +healthScanMs.toFixed(2),
          toScanRatio: +(healthMs / healthScanMs).toFixed(3),
          cpuMs: +healthCpuMs.toFixed(2),
          scanCpuMs: +scanCpuMs.toFixed(2),
          cpuToScanRatio: +(healthCpuMs / scanCpuMs).toFixed(3),
          bands,
        },
        digestRun: { digests: run.digests, transactions: run.transactions, longestHoldMs: +run.longestHoldMs.toFixed(2), totalMs: +run.totalMs.toFixed(2) },
        node: process.version,
      }),
    );
  });
}

await main();
