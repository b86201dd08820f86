// `npm run bench` (after bench/run.ts): the clock's sweep over a large book.
//
//   1. A plain SQL scan of the whole book (every account with its last visit), the baseline.
//   2. The first sweep, where every account is due for a revisit: runSweep as the clock runs
//      it, in batches, each its own IMMEDIATE transaction; the longest hold of the write lock.
//      Recording alone (recordNudges, several rows an INSERT) is timed beside it.
//   3. The sweep a quarter of an hour later, with nothing new to decide: it reads only the
//      accounts whose next check has come (none), the promises and complaints past due.
//   4. A command's latency at rest, while the first sweep runs, and while sweeps with nothing
//      new due run: real /touch commands through Steward's engine thread as production starts
//      it (bench/touch-client.ts, on a thread of its own), paced, each timed from when it was
//      asked for to its answer. The sweep runs on the main thread as the scheduler runs it
//      (runSweep on the main connection). Beside them: the sweep's lock duty cycle (time in its
//      write transactions over its wall time), the share of commands whose wait overlapped one
//      of its write transactions, and the main thread's event-loop delay (in production the
//      adapter that acknowledges Slack's requests shares that loop).
//
// Figures and ratios only; no thresholds. Redis is not involved.
//
//   BENCH_SCHED_ACCOUNTS=100000  accounts (every one due, every one owned)
//   BENCH_CMD_EVERY_MS=5         pace of the commands (one asked for every so many ms)
//   BENCH_SWEEP_PACE, BENCH_SWEEP_HOLD_MS  the sweep's pace and hold target (defaults: production's)
//   BENCH_QUIET_MS=3000          how long the nothing-due sweeps run back to back, with commands
//   BENCH_KEEP=1                 keep the temp SQLite file (its path is printed)
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eq } from 'drizzle-orm';
import { transact, type Tx } from '../db/index.js';
import { tenants } from '../db/schema.js';
import { recordNudges, type NewNudge } from '../src/domain/nudges.js';
import { runSweep, SWEEP_HOLD_MS, SWEEP_PACE } from '../src/scheduler/sweep.js';
import { ascending, fmt, int, median, NOW, percentile, seedBook, table, TIMEZONE, withTempDb, bookScan } from './lib.js';
import { TouchLoad, type Stream } from './touch-load.js';

const ACCOUNTS = int('BENCH_SCHED_ACCOUNTS', 100_000, 1);
const TEAM = 1_000;
const CMD_EVERY_MS = int('BENCH_CMD_EVERY_MS', 5, 1);
/** The sweep's pace and hold target (src/scheduler/sweep.ts SWEEP_PACE, SWEEP_HOLD_MS) for an A/B run; production's by default. */
const SWEEP = {
  ...(process.env.BENCH_SWEEP_PACE ? { pace: Number(process.env.BENCH_SWEEP_PACE) } : {}),
  ...(process.env.BENCH_SWEEP_HOLD_MS ? { holdMs: Number(process.env.BENCH_SWEEP_HOLD_MS) } : {}),
};
const QUIET_MS = int('BENCH_QUIET_MS', 3_000, 1);
const SCAN_RUNS = 3;

const pct = (xs: number[], p: number) => percentile(ascending(xs), p);

/** Commands whose wait (from asked for to answered) overlapped one of the sweeps' write transactions. */
function metABatch(s: Stream, spans: [number, number][]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let n = 0;
  for (let i = 0; i < s.times.length; i++) {
    const from = s.starts[i]!;
    const to = from + s.times[i]!;
    if (sorted.some(([a, b]) => a < to && b > from)) n++;
  }
  return n;
}

/** A latency row of the command table, and its JSON. */
function stream(s: Stream, restP99: number, held?: { ms: number; wallMs: number; spans: [number, number][] }) {
  const sorted = ascending(s.times);
  const met = held ? metABatch(s, held.spans) : 0;
  return {
    n: s.times.length,
    failed: s.failed,
    p50: +percentile(sorted, 50).toFixed(3),
    p99: +percentile(sorted, 99).toFixed(3),
    max: +(sorted.at(-1) ?? NaN).toFixed(3),
    p99Ratio: +(percentile(sorted, 99) / restP99).toFixed(3),
    ...(held ? { dutyCycle: +(held.ms / held.wallMs).toFixed(4), metABatch: met, metABatchShare: +(met / Math.max(1, s.times.length)).toFixed(4) } : {}),
  };
}

async function main(): Promise<void> {
  await withTempDb('steward-bench-schedule-', async (db, file) => {
    let t0 = performance.now();
    const s = seedBook(db, { accounts: ACCOUNTS, team: TEAM, workspace: 'bench-schedule' });
    const seedMs = performance.now() - t0;
    const tenant = (await db.select().from(tenants).where(eq(tenants.id, s.tenantId)).get())!;
    const memberCount = db.$client.prepare('select count(*) as n from members').get() as { n: number };
    console.log(
      `\nsteward schedule bench: ${fmt(ACCOUNTS)} accounts (all due, all owned), ${fmt(memberCount.n)} members, ${fmt(s.touchpoints)} touchpoints, ${fmt(s.complaints)} open complaints, ${fmt(s.promises)} open promises, ${fmt(s.pairings)} pairings, seeded in ${fmt(seedMs / 1000, 1)} s (${file})`,
    );

    // (1) The plain scan: every account of the book with its last visit, as raw SQL, nothing decided.
    const scan = bookScan(db, s.tenantId);
    const scanMs = median(Array.from({ length: SCAN_RUNS }, scan.once));

    // (4a) Commands at rest, for three seconds.
    const commands = await TouchLoad.start({ file, workspace: 'bench-schedule', accounts: ACCOUNTS, everyMs: CMD_EVERY_MS, timezone: TIMEZONE });
    await commands.during(() => new Promise((resolve) => setTimeout(resolve, 500))); // warm-up
    const rest = await commands.during(() => new Promise((resolve) => setTimeout(resolve, 3_000)));

    // (2) The first sweep, as the clock runs it, with the commands going on.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    t0 = performance.now();
    const first = await commands.during(() => runSweep(db, tenant, NOW, SWEEP));
    const sweepMs = performance.now() - t0;
    loopDelay.disable();
    const result = first.result;
    const recorded = (db.$client.prepare('select count(*) as n from nudges').get() as { n: number }).n;
    if (recorded !== result.ids.length) throw new Error(`the sweep reported ${result.ids.length} new nudges but ${recorded} are in the database`);
    if (result.counts.revisit < ACCOUNTS) throw new Error(`expected every account to be due, got ${result.counts.revisit} revisit nudges for ${ACCOUNTS} accounts`);

    // (3) The next sweep a quarter of an hour later: nothing new is due.
    const later = new Date(NOW.getTime() + 15 * 60_000);
    const dueLater = (db.$client.prepare('select count(*) as n from accounts where tenant_id = ? and next_check_at <= ?').get(s.tenantId, later.getTime()) as { n: number }).n;
    t0 = performance.now();
    const again = await runSweep(db, tenant, later, SWEEP);
    const resweepMs = performance.now() - t0;
    // (3b) And a quarter of an hour after that: no command has touched anything since.
    const later2 = new Date(later.getTime() + 15 * 60_000);
    const dueLater2 = (db.$client.prepare('select count(*) as n from accounts where tenant_id = ? and next_check_at <= ?').get(s.tenantId, later2.getTime()) as { n: number }).n;
    t0 = performance.now();
    const quiet = await runSweep(db, tenant, later2, SWEEP);
    const quietMs = performance.now() - t0;

    // (4c) Sweeps with nothing new due (what the commands touched aside), one after another for QUIET_MS, with commands.
    let quietSweeps = 0;
    const quietSpans: [number, number][] = [];
    let quietHeld = 0;
    t0 = performance.now();
    const quietRun = await commands.during(async () => {
      while (performance.now() - t0 < QUIET_MS) {
        const r = await runSweep(db, tenant, new Date(later2.getTime() + ++quietSweeps * 15 * 60_000), SWEEP);
        quietSpans.push(...r.spans);
        quietHeld += r.heldMs;
      }
    });
    const quietRunMs = performance.now() - t0;
    await commands.close();

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
    for (let i = 0; i < fresh.length; i += 2_000) await transact(db, (tx: Tx) => recordNudges(tx, fresh.slice(i, i + 2_000)));
    const recordMs = performance.now() - t0;

    const nudgesPerSec = (result.ids.length / sweepMs) * 1000;
    const nudgesPerHeldSec = (result.ids.length / result.heldMs) * 1000;
    const recordPerSec = (fresh.length / recordMs) * 1000;
    const restP99 = pct(rest.times, 99);
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
    const restStats = stream(rest, restP99);
    const firstStats = stream(first, restP99, { ms: result.heldMs, wallMs: sweepMs, spans: result.spans });
    const quietStats = stream(quietRun, restP99, { ms: quietHeld, wallMs: quietRunMs, spans: quietSpans });
    const row = (when: string, x: ReturnType<typeof stream>) => [
      when,
      fmt(x.n),
      fmt(x.failed),
      fmt(x.p50, 2),
      fmt(x.p99, 2),
      fmt(x.max, 2),
      fmt(x.p99Ratio, 2),
      x.dutyCycle === undefined ? '—' : `${fmt(100 * x.dutyCycle, 1)}%`,
      x.metABatchShare === undefined ? '—' : `${fmt(100 * x.metABatchShare, 1)}%`,
    ];
    console.log(
      `\n(4) /touch through the engine thread (Slack finisher), one asked for every ${CMD_EVERY_MS} ms, from asked for to answered (ms); sweep pace ${SWEEP.pace ?? SWEEP_PACE}, hold target ${SWEEP.holdMs ?? SWEEP_HOLD_MS} ms\n`,
    );
    console.log(
      table([
        ['when', 'commands', 'failed', 'p50', 'p99', 'max', 'p99 ratio', 'lock duty', 'met a batch'],
        row('at rest (3 s)', restStats),
        row('while the first sweep runs', firstStats),
        row(`nothing-due sweeps back to back (${fmt(quietSweeps)} in ${fmt(quietRunMs / 1000, 1)} s)`, quietStats),
      ]),
    );
    console.log(
      `\nthe main thread's event-loop delay while the first sweep ran (the adapter shares it in production): p50 ${fmt(loopDelay.percentile(50) / 1e6, 1)} ms, p99 ${fmt(loopDelay.percentile(99) / 1e6, 1)} ms, max ${fmt(loopDelay.max / 1e6, 1)} ms`,
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
          rest: restStats,
          duringSweep: firstStats,
          duringQuietSweeps: { sweeps: quietSweeps, ...quietStats },
          p99Ratio: firstStats.p99Ratio,
          sweep: { pace: SWEEP.pace ?? SWEEP_PACE, holdMs: SWEEP.holdMs ?? SWEEP_HOLD_MS },
          sweepLoopDelayP99Ms: +(loopDelay.percentile(99) / 1e6).toFixed(2),
        },
        node: process.version,
      }),
    );
  });
}

await main();
