// `npm run bench` (after bench/run.ts): the clock's sweep over a large book.
//
//   1. A plain SQL scan of the whole book (every account with its last visit), the baseline.
//   2. The first sweep, where every account is due for a revisit: runSweep as the clock runs
//      it, in batches, each its own IMMEDIATE transaction; the longest hold of the write lock.
//      Recording alone (recordNudges, several rows an INSERT) is timed beside it.
//   3. The sweep a quarter of an hour later, with nothing new to decide: it reads only the
//      accounts whose next check has come (none), the promises and complaints past due.
//   4. A command's latency at rest and while the first sweep runs: a worker thread with its
//      own connection to the same file writes as /touch does (reads the account, inserts a
//      touchpoint, in an IMMEDIATE transaction), paced, and times each from start to commit.
//
// Figures and ratios only; no thresholds. Redis is not involved.
//
//   BENCH_SCHED_ACCOUNTS=100000  accounts (every one due, every one owned)
//   BENCH_CMD_EVERY_MS=5         pace of the command worker
//   BENCH_KEEP=1                 keep the temp SQLite file (its path is printed)
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { eq } from 'drizzle-orm';
import { immediate, type Tx } from '../db/index.js';
import { tenants } from '../db/schema.js';
import { recordNudges, type NewNudge } from '../src/domain/nudges.js';
import { runSweep } from '../src/scheduler/sweep.js';
import { ascending, DAY, fmt, int, median, NOW, percentile, seedBook, table, withTempDb, bookScan } from './lib.js';

const ACCOUNTS = int('BENCH_SCHED_ACCOUNTS', 100_000, 1);
const TEAM = 1_000;
const CMD_EVERY_MS = int('BENCH_CMD_EVERY_MS', 5, 1);
const SCAN_RUNS = 3;

const pct = (xs: number[], p: number) => percentile(ascending(xs), p);

/**
 * A command from another thread: its own connection to the file, as a second process would
 * have, writing what /touch writes (the account read, a touchpoint inserted) in an IMMEDIATE
 * transaction, every CMD_EVERY_MS, while `flag` is 1; each timed from its start to its commit.
 */
const COMMANDS = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const read = db.prepare('select id, owner_id from accounts where id = ?');
const ins = db.prepare("insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', 'call', ?, 'bench', 'shell', ?)");
const touch = db.transaction((id, at) => { const a = read.get(id); ins.run(workerData.tenantId, id, a.owner_id, at, at); });
const flag = new Int32Array(workerData.flag);
const sleep = new Int32Array(new SharedArrayBuffer(4));
let n = 0;
let failed = 0;
parentPort.on('message', () => {
  const times = [];
  failed = 0;
  while (Atomics.load(flag, 0) !== 1) Atomics.wait(flag, 0, 0, 50);
  while (Atomics.load(flag, 0) === 1) {
    const id = 1 + ((n++ * 7919) % workerData.accounts);
    const start = performance.now();
    try {
      touch.immediate(id, workerData.at);
      times.push(performance.now() - start);
    } catch (e) {
      // SQLITE_BUSY after busy_timeout: the command failed; counted as the longest wait there is.
      failed++;
      times.push(performance.now() - start);
    }
    Atomics.wait(sleep, 0, 0, workerData.every);
  }
  parentPort.postMessage({ times, failed });
});
`;

class Commands {
  private readonly flag = new SharedArrayBuffer(4);
  private readonly worker: Worker;
  constructor(file: string, tenantId: number) {
    this.worker = new Worker(COMMANDS, {
      eval: true,
      workerData: {
        file,
        tenantId,
        accounts: ACCOUNTS,
        at: NOW.getTime() - DAY,
        every: CMD_EVERY_MS,
        flag: this.flag,
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
      },
    });
  }
  /** Runs commands while `body` runs; their latencies (ms). */
  async during<T>(body: () => Promise<T>): Promise<{ result: T; times: number[]; failed: number }> {
    const times = new Promise<{ times: number[]; failed: number }>((resolve) => this.worker.once('message', resolve));
    this.worker.postMessage('go');
    Atomics.store(new Int32Array(this.flag), 0, 1);
    Atomics.notify(new Int32Array(this.flag), 0);
    const result = await body();
    Atomics.store(new Int32Array(this.flag), 0, 2);
    const out = await times;
    Atomics.store(new Int32Array(this.flag), 0, 0);
    return { result, ...out };
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

async function main(): Promise<void> {
  await withTempDb('steward-bench-schedule-', async (db, file) => {
    let t0 = performance.now();
    const s = seedBook(db, { accounts: ACCOUNTS, team: TEAM, workspace: 'bench-schedule' });
    const seedMs = performance.now() - t0;
    const tenant = db.select().from(tenants).where(eq(tenants.id, s.tenantId)).get()!;
    const memberCount = db.$client.prepare('select count(*) as n from members').get() as { n: number };
    console.log(
      `\nsteward schedule bench: ${fmt(ACCOUNTS)} accounts (all due, all owned), ${fmt(memberCount.n)} members, ${fmt(s.touchpoints)} touchpoints, ${fmt(s.complaints)} open complaints, ${fmt(s.promises)} open promises, ${fmt(s.pairings)} pairings, seeded in ${fmt(seedMs / 1000, 1)} s (${file})`,
    );

    // (1) The plain scan: every account of the book with its last visit, as raw SQL, nothing decided.
    const scan = bookScan(db, s.tenantId);
    const scanMs = median(Array.from({ length: SCAN_RUNS }, scan.once));

    // (4a) Commands at rest, for three seconds.
    const commands = new Commands(file, s.tenantId);
    const rest = await commands.during(() => new Promise((resolve) => setTimeout(resolve, 3_000)));

    // (2) The first sweep, as the clock runs it, with the commands going on.
    t0 = performance.now();
    const first = await commands.during(() => runSweep(db, tenant, NOW));
    const sweepMs = performance.now() - t0;
    const result = first.result;
    const recorded = (db.$client.prepare('select count(*) as n from nudges').get() as { n: number }).n;
    if (recorded !== result.ids.length) throw new Error(`the sweep reported ${result.ids.length} new nudges but ${recorded} are in the database`);
    if (result.counts.revisit < ACCOUNTS) throw new Error(`expected every account to be due, got ${result.counts.revisit} revisit nudges for ${ACCOUNTS} accounts`);
    await commands.close();

    // (3) The next sweep a quarter of an hour later: nothing new is due.
    const later = new Date(NOW.getTime() + 15 * 60_000);
    const dueLater = (db.$client.prepare('select count(*) as n from accounts where tenant_id = ? and next_check_at <= ?').get(s.tenantId, later.getTime()) as { n: number }).n;
    t0 = performance.now();
    const again = await runSweep(db, tenant, later);
    const resweepMs = performance.now() - t0;
    // (3b) And a quarter of an hour after that: no command has touched anything since.
    const later2 = new Date(later.getTime() + 15 * 60_000);
    const dueLater2 = (db.$client.prepare('select count(*) as n from accounts where tenant_id = ? and next_check_at <= ?').get(s.tenantId, later2.getTime()) as { n: number }).n;
    t0 = performance.now();
    const quiet = await runSweep(db, tenant, later2);
    const quietMs = performance.now() - t0;

    // (2b) Recording alone: as many nudges again, several rows an INSERT, in batches of 2 000.
    const payload = JSON.parse(db.$client.prepare('select payload from nudges limit 1').pluck().get() as string) as object;
    const fresh: NewNudge[] = Array.from({ length: result.ids.length }, (_, i) => ({
      tenantId: s.tenantId,
      dedupeKey: `bench:${i}`,
      kind: 'bench',
      subjectType: 'account',
      subjectId: 1 + (i % ACCOUNTS),
      recipientId: s.repId,
      period: 'bench',
      payload,
      notBefore: NOW,
      createdAt: NOW,
    }));
    t0 = performance.now();
    for (let i = 0; i < fresh.length; i += 2_000) immediate(db, (tx: Tx) => recordNudges(tx, fresh.slice(i, i + 2_000)));
    const recordMs = performance.now() - t0;

    const nudgesPerSec = (result.ids.length / sweepMs) * 1000;
    const nudgesPerHeldSec = (result.ids.length / result.heldMs) * 1000;
    const recordPerSec = (fresh.length / recordMs) * 1000;
    const restP99 = pct(rest.times, 99);
    const busyP99 = pct(first.times, 99);
    console.log(`\n(1-3) sweeps over ${fmt(ACCOUNTS)} accounts, fixed clock, one SQLite file in WAL mode (synchronous=NORMAL)\n`);
    console.log(
      table([
        ['path', 'rows read', 'nudges', 'batches', 'longest hold ms', 'ms', 'ratio'],
        [`plain SQL scan of the book (median of ${SCAN_RUNS})`, fmt(scan.rows), '—', '—', '—', fmt(scanMs, 1), '1.00'],
        [
          'first sweep, every account due (runSweep, batched)',
          fmt(ACCOUNTS),
          fmt(result.ids.length),
          fmt(result.batches),
          fmt(result.longestHoldMs, 1),
          fmt(sweepMs, 1),
          fmt(sweepMs / scanMs, 2),
        ],
        ['  of which inside its write transactions', '', '', '', '', fmt(result.heldMs, 1), fmt(result.heldMs / scanMs, 2)],
        [
          'sweep 15 min later (accounts the commands touched)',
          fmt(dueLater),
          fmt(again.ids.length),
          fmt(again.batches),
          fmt(again.longestHoldMs, 1),
          fmt(resweepMs, 1),
          fmt(resweepMs / scanMs, 2),
        ],
        [
          'sweep 30 min later, nothing touched since',
          fmt(dueLater2),
          fmt(quiet.ids.length),
          fmt(quiet.batches),
          fmt(quiet.longestHoldMs, 1),
          fmt(quietMs, 1),
          fmt(quietMs / scanMs, 2),
        ],
        [
          `recordNudges alone, ${fmt(fresh.length)} rows, 2 000 a transaction`,
          '—',
          fmt(fresh.length),
          fmt(Math.ceil(fresh.length / 2_000)),
          '—',
          fmt(recordMs, 1),
          fmt(recordMs / scanMs, 2),
        ],
      ]),
    );
    const holds = ascending(result.holds);
    console.log(
      `\nthe first sweep's write transactions: ${fmt(holds.length)}, hold p50 ${fmt(percentile(holds, 50), 2)} ms, p99 ${fmt(percentile(holds, 99), 2)} ms, max ${fmt(holds.at(-1) ?? 0, 2)} ms; ${fmt(holds.filter((x) => x > 100).length)} over 100 ms`,
    );
    const commits = ascending(result.commits);
    const checkpoints = ascending(result.checkpoints);
    console.log(
      `  of each hold, its COMMIT: p50 ${fmt(percentile(commits, 50), 2)} ms, p99 ${fmt(percentile(commits, 99), 2)} ms, max ${fmt(commits.at(-1) ?? 0, 2)} ms; WAL checkpoints between batches (outside the lock): ${fmt(checkpoints.length)}, p50 ${fmt(percentile(checkpoints, 50), 2)} ms, max ${fmt(checkpoints.at(-1) ?? 0, 2)} ms`,
    );
    const slow = result.holds.map((h, i) => ({ h, c: result.commits[i]!, i })).filter((x) => x.h > 100);
    // Which transaction (1-based, of all of them): the last few are the promises', reviews', checklists' and rungs'.
    if (slow.length)
      console.log(`  holds over 100 ms (hold/commit ms, #transaction of ${fmt(result.holds.length)}): ${slow.map((x) => `${fmt(x.h, 0)}/${fmt(x.c, 0)} #${x.i + 1}`).join(', ')}`);
    console.log(
      `\nnudges decided: ${Object.entries(result.counts)
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(
          ', ',
        )}; ${fmt(nudgesPerSec)} nudges/s over the sweep's wall time, ${fmt(nudgesPerHeldSec)} nudges/s inside its transactions, ${fmt(recordPerSec)} nudges/s recording alone`,
    );
    console.log(`\n(4) a command from another thread (read the account, insert a touchpoint, IMMEDIATE), every ${CMD_EVERY_MS} ms (ms)\n`);
    console.log(
      table([
        ['when', 'commands', 'failed', 'p50', 'p99', 'max', 'p99 ratio'],
        ['at rest (3 s)', fmt(rest.times.length), fmt(rest.failed), fmt(median(rest.times), 2), fmt(restP99, 2), fmt(Math.max(...rest.times), 2), '1.00'],
        [
          'while the first sweep runs',
          fmt(first.times.length),
          fmt(first.failed),
          fmt(median(first.times), 2),
          fmt(busyP99, 2),
          fmt(Math.max(...first.times), 2),
          fmt(busyP99 / restP99, 2),
        ],
      ]),
    );

    console.log(`\ndatabase file after the run: ${fmt(statSync(file).size / 1_048_576, 1)} MiB\n`);
    console.log(
      JSON.stringify({
        bench: 'steward-schedule',
        accounts: ACCOUNTS,
        members: memberCount.n,
        touchpoints: s.touchpoints,
        seedSeconds: +(seedMs / 1000).toFixed(2),
        scanMs: +scanMs.toFixed(2),
        scanRows: scan.rows,
        sweepMs: +sweepMs.toFixed(2),
        sweepHeldMs: +result.heldMs.toFixed(2),
        sweepBatches: result.batches,
        sweepLongestHoldMs: +result.longestHoldMs.toFixed(2),
        sweepHoldP50: +percentile(holds, 50).toFixed(3),
        sweepHoldP99: +percentile(holds, 99).toFixed(3),
        sweepHoldsOver100ms: holds.filter((x) => x > 100).length,
        sweepCommitP99: +percentile(commits, 99).toFixed(3),
        sweepCommitMax: +(commits.at(-1) ?? 0).toFixed(3),
        sweepCheckpointMax: +(checkpoints.at(-1) ?? 0).toFixed(3),
        sweepNudges: result.ids.length,
        sweepCounts: result.counts,
        sweepToScanRatio: +(sweepMs / scanMs).toFixed(3),
        sweepNudgesPerSec: +nudgesPerSec.toFixed(1),
        sweepNudgesPerHeldSec: +nudgesPerHeldSec.toFixed(1),
        recordNudgesPerSec: +recordPerSec.toFixed(1),
        resweepMs: +resweepMs.toFixed(2),
        resweepAccountsRead: dueLater,
        resweepNudges: again.ids.length,
        resweepLongestHoldMs: +again.longestHoldMs.toFixed(2),
        resweepToScanRatio: +(resweepMs / scanMs).toFixed(3),
        quietSweepMs: +quietMs.toFixed(2),
        quietSweepAccountsRead: dueLater2,
        quietSweepNudges: quiet.ids.length,
        quietSweepToScanRatio: +(quietMs / scanMs).toFixed(3),
        command: {
          everyMs: CMD_EVERY_MS,
          rest: { n: rest.times.length, p50: +median(rest.times).toFixed(3), p99: +restP99.toFixed(3) },
          duringSweep: { n: first.times.length, failed: first.failed, p50: +median(first.times).toFixed(3), p99: +busyP99.toFixed(3), max: +Math.max(...first.times).toFixed(3) },
          p99Ratio: +(busyP99 / restP99).toFixed(3),
        },
        node: process.version,
      }),
    );
  });
}

await main();
