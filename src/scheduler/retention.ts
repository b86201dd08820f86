// When and in what pieces Steward forgets (the rules are src/domain/retention.ts's): after
// the sweep, each kind in small batches, each batch its own short IMMEDIATE transaction,
// the lock left free SWEEP_PACE times as long as it was held, as the sweep does. A run
// cut short (a crash, a stop) leaves nothing half done: the next run goes on from the oldest.
import { performance } from 'node:perf_hooks';
import { transact, type Db, type Tx } from '../../db/index.js';
import { cutoffOf, deleteNudges, nudgeAfter, purgeableNudges, purgeAudit, purgeEvents, purgeRequests, type Retention } from '../domain/retention.js';
import type { Tenant } from '../domain/types.js';
import { leaveFree, timedWrite, walBetweenWrites } from './paced.js';
import { SWEEP_HOLD_MS, SWEEP_PACE } from './sweep.js';

export type { Retention } from '../domain/retention.js';

export interface RetentionOptions {
  /** Rows deleted by the first write transaction (later ones grow or shrink to keep each hold under `holdMs`). */
  batch?: number;
  /** Largest batch, in rows. */
  maxBatch?: number;
  /** How long a write transaction aims to hold the lock (ms), as the sweep's SWEEP_HOLD_MS. */
  holdMs?: number;
  /** The lock left free after each write at least this many times as long as it was held (SWEEP_PACE). */
  pace?: number;
  /** Nudge ids read per read transaction when looking for old ones. */
  page?: number;
  /** Stop after this many write transactions (tests: a run cut short). */
  stopAfter?: number;
  /** Stop starting write transactions after this long (ms): a backlog is worked through over several runs, the sweep job not held up by one. */
  budgetMs?: number;
}

export interface RetentionRun {
  /** Rows deleted, by kind. */
  deleted: { nudges: number; audit: number; events: number; requests: number };
  /** Write transactions, the rows each deleted, and how long each held the lock (ms). */
  batches: number;
  rows: number[];
  holds: number[];
  /** The COMMIT of each (ms), part of its hold. */
  commits: number[];
  /** Each read transaction looking for old nudges (ms): the event loop waits on it, as on a write. */
  reads: number[];
  /** Each WAL checkpoint run between the writes, outside any transaction (ms). */
  checkpoints: number[];
  longestHoldMs: number;
  /** It stopped early (stopAfter, budgetMs): the next run goes on. */
  stopped: boolean;
}

/** Rows the first batch deletes; grown or shrunk from there as the sweep's batches are. */
export const RETENTION_BATCH = 50;
export const RETENTION_MAX_BATCH = 2_000;
/** How long one run may go on starting write transactions (ms). */
export const RETENTION_BUDGET_MS = 60_000;
/** Nudge ids looked at per read transaction: 5 000 took 180-220 ms on a book of 100 000 accounts, the event loop waiting all along. */
export const RETENTION_PAGE = 1_000;

class Stop extends Error {}

/**
 * Deletes what is old as of `now` under `retention`: finished nudges and audit rows of these
 * tenants, inbound event ids, expired signatures. Old nudges are found in read transactions,
 * a page of ids at a time, outside the write lock; each delete is a write transaction of at
 * most one batch.
 */
export async function runRetention(db: Db, tenants: readonly Tenant[], now: Date, retention: Retention, opts: RetentionOptions = {}): Promise<RetentionRun> {
  const target = opts.holdMs ?? SWEEP_HOLD_MS;
  const pace = opts.pace ?? SWEEP_PACE;
  const max = opts.maxBatch ?? RETENTION_MAX_BATCH;
  const out: RetentionRun = {
    deleted: { nudges: 0, audit: 0, events: 0, requests: 0 },
    batches: 0,
    rows: [],
    holds: [],
    commits: [],
    reads: [],
    checkpoints: [],
    longestHoldMs: 0,
    stopped: false,
  };
  const began = performance.now();
  const budget = opts.budgetMs ?? RETENTION_BUDGET_MS;
  // As the sweep: the WAL checkpointed between the writes, outside any transaction, so no COMMIT carries a checkpoint.
  const wal = walBetweenWrites(db);
  let size = Math.min(opts.batch ?? RETENTION_BATCH, max);
  /** One write transaction deleting at most `size` rows; the rows it deleted. */
  const write = async (fn: (tx: Tx, limit: number) => Promise<number>): Promise<number> => {
    if ((opts.stopAfter !== undefined && out.batches >= opts.stopAfter) || performance.now() - began > budget) throw new Stop();
    const { value: n, held, commit } = await timedWrite(db, (tx) => fn(tx, size));
    out.commits.push(commit);
    out.batches++;
    out.rows.push(n);
    out.holds.push(held);
    out.longestHoldMs = Math.max(out.longestHoldMs, held);
    if (held > target / 2) size = Math.max(10, Math.floor(size / 2));
    else if (held < target / 4 && n >= size) size = Math.min(max, size * 2);
    const checkpointed = wal.checkpoint();
    if (checkpointed !== undefined) out.checkpoints.push(checkpointed);
    await leaveFree(pace, held);
    return n;
  };
  /** Deletes in batches until a batch finds fewer than it could take. */
  const drain = async (fn: (tx: Tx, limit: number) => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      const limit = size;
      const n = await write(fn);
      total += n;
      if (n < limit) return total;
    }
  };
  const read = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await transact(db, fn, { behavior: 'deferred' });
    } finally {
      out.reads.push(performance.now() - start);
    }
  };
  try {
    // The cheap kinds first, through their time indexes: a backlog of nudges does not hold them up.
    out.deleted.requests += await drain((tx, limit) => purgeRequests(tx, now, limit));
    const events = cutoffOf(now, retention.eventDays);
    if (events) out.deleted.events += await drain((tx, limit) => purgeEvents(tx, events, limit));
    const old = cutoffOf(now, retention.days);
    if (old) {
      for (const t of tenants) out.deleted.audit += await drain((tx, limit) => purgeAudit(tx, t.id, old, limit));
      // Nudge ids grow with time: pages of ids from the first, until the next nudge was decided after the cutoff.
      const page = opts.page ?? RETENTION_PAGE;
      for (let after = 0; ; ) {
        const upTo = after + page;
        const ids = await read((tx) => purgeableNudges(tx, old, after, upTo));
        for (let i = 0; i < ids.length; ) {
          const part = ids.slice(i, i + size);
          i += part.length;
          out.deleted.nudges += await write((tx) => deleteNudges(tx, part));
        }
        const next = await read((tx) => nudgeAfter(tx, upTo));
        if (!next || next.createdAt >= old) break;
        after = next.id - 1;
      }
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    out.stopped = true;
  } finally {
    wal.restore();
  }
  return out;
}
