// When the clock's decisions run, and in what pieces: the rules are src/domain/sweep.ts's,
// the messages src/views/nudges.ts's. The clock's job (runSweep) takes them batch by batch,
// each batch its own IMMEDIATE transaction, all or nothing and safe to redo (the dedupe keys
// decide nothing twice), so no batch holds SQLite's one write lock for long and a command
// waiting for it waits a batch, not a sweep.
import { performance } from 'node:perf_hooks';
import { transact, type Db, type Tx } from '../../db/index.js';
import {
  addResult,
  claimAccounts,
  decideAccounts,
  dueAccountIds,
  dueComplaintIds,
  duePromiseIds,
  emptyCounts,
  recordAccounts,
  sweepChecklists,
  sweepEscalations,
  sweepPromises,
  sweepReviews,
  sweepTenant as decide,
  watchHealth as watch,
  type SweepResult,
} from '../domain/sweep.js';
import type { Tenant } from '../domain/types.js';
import { nudgeViews } from '../views/nudges.js';
import { leaveFree, pause, timedWrite, walBetweenWrites } from './paced.js';

export type { SweepCounts, SweepResult } from '../domain/sweep.js';

/** Every decision for one tenant in the caller's transaction (a command's run, its dry run, tests). */
export async function sweepTenant(tx: Tx, tenant: Tenant, now: Date, only?: { complaintId: number }): Promise<SweepResult> {
  return await decide(tx, tenant, now, nudgeViews, only);
}

/** Once a workspace day, news of each account's health (see src/domain/sweep.ts watchHealth). */
export async function watchHealth(tx: Tx, tenant: Tenant, now: Date): Promise<number[]> {
  return await watch(tx, tenant, now, nudgeViews);
}

export interface SweepRunOptions {
  /** Accounts decided and recorded together (the first batch; later ones grow or shrink to keep each hold under `holdMs`). */
  batch?: number;
  /** How long a batch may hold the write lock, as a target (ms): short, so a command waits little. */
  holdMs?: number;
  /** The lock left free after each write transaction at least this many times as long as it held it (SWEEP_PACE). */
  pace?: number;
  /** Stop after this many write transactions (tests: a sweep cut short, to be run again). */
  stopAfter?: number;
}

export interface SweepRun extends SweepResult {
  /** How many write transactions the sweep took, and the longest one held the write lock (ms). */
  batches: number;
  longestHoldMs: number;
  /** Time inside the sweep's write transactions (ms). */
  heldMs: number;
  /** Each transaction's hold (ms), from BEGIN IMMEDIATE's return to COMMIT's, in order. */
  holds: number[];
  /** The COMMIT of each (ms), part of its hold. */
  commits: number[];
  /** Each WAL checkpoint the sweep ran between batches, outside any transaction (ms). */
  checkpoints: number[];
  /** When each transaction held the lock: [start, end] as epoch ms (performance.timeOrigin + performance.now()). */
  spans: [number, number][];
  /** Whether it stopped early (stopAfter). */
  stopped: boolean;
}

/**
 * The sweep's pace: after each of its write transactions it leaves SQLite's one write lock free
 * at least this many times as long as it held it (deciding the next batch counts), so it holds
 * the lock at most 1 / (1 + SWEEP_PACE) of its time and a command rarely finds it taken. A first
 * sweep of a large book takes that much longer (every account due at once), a sweep with little
 * due hardly longer; the schedule's period (SWEEP_EVERY_MS, 15 minutes) is far above either.
 */
export const SWEEP_PACE = 4;

/** How long one write transaction of the sweep aims to hold the lock (ms): a command that meets one waits about that, rounded up to its busy handler's next try. */
export const SWEEP_HOLD_MS = 5;

class Stop extends Error {}

/**
 * The clock's sweep for one tenant: every decision of sweepTenant, in batches. What is
 * due is read first, outside any write transaction, through indexes (accounts by
 * next_check_at, promises by due day, complaints by deadline).
 *
 * Accounts, the bulk of it, are decided OUTSIDE the write lock: a short write claims a
 * batch (its next check set to this sweep's claim), the batch is read, decided and its
 * messages composed in a read transaction, and a short write records it (nudges, review
 * items, next checks) for the accounts still claimed, claiming the next batch in the same
 * transaction. A command that changes an account in between lowers its check through the
 * triggers, so the stale plan for it is dropped and the account decided again; the dedupe
 * keys make a redo (a crash, a second sweep) decide nothing twice.
 *
 * Promises, reviews, checklists and escalations are few: each batch is decided in its own
 * IMMEDIATE transaction, and the lock is left free a while after each.
 *
 * The sweep's connection checkpoints the WAL itself between batches (PASSIVE, outside any
 * transaction) instead of on a COMMIT, so no commit carries a checkpoint.
 */
export async function runSweep(db: Db, tenant: Tenant, now: Date, opts: SweepRunOptions = {}): Promise<SweepRun> {
  const target = opts.holdMs ?? SWEEP_HOLD_MS;
  const pace = opts.pace ?? SWEEP_PACE;
  const out: SweepRun = { counts: emptyCounts(), ids: [], batches: 0, longestHoldMs: 0, heldMs: 0, holds: [], commits: [], checkpoints: [], spans: [], stopped: false };
  const wal = walBetweenWrites(db);
  /** One write transaction; its hold, and the lock left free after it unless `free` is 0. */
  const write = async (fn: (tx: Tx) => Promise<SweepResult | undefined>, free = true): Promise<number> => {
    if (opts.stopAfter !== undefined && out.batches >= opts.stopAfter) throw new Stop();
    const { value: r, start, end, held, commit } = await timedWrite(db, fn);
    out.commits.push(commit);
    out.longestHoldMs = Math.max(out.longestHoldMs, held);
    out.heldMs += held;
    out.holds.push(held);
    out.spans.push([performance.timeOrigin + start, performance.timeOrigin + end]);
    out.batches++;
    if (r) addResult(out, r);
    const checkpointed = wal.checkpoint();
    if (checkpointed !== undefined) out.checkpoints.push(checkpointed);
    if (free) await leaveFree(pace, held);
    return held;
  };
  /** A read transaction: one snapshot, no lock a writer waits for. */
  const read = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => Promise.resolve(await transact(db, fn, { behavior: 'deferred' }));
  const inBatches = async (ids: number[], fn: (tx: Tx, ids: number[]) => Promise<SweepResult>) => {
    // A promise or a rung costs about a millisecond (its message composed, its working hours
    // reckoned): a first batch of 100 held the lock for 100-180 ms. Small first, then grown.
    let size = 16;
    for (let i = 0; i < ids.length; ) {
      const part = ids.slice(i, i + size);
      i += part.length;
      const held = await write((tx) => fn(tx, part));
      if (held > target / 2) size = Math.max(10, Math.floor(size / 2));
      else if (held < target / 4) size = Math.min(1_000, size * 2);
    }
  };
  try {
    // A claim of its own, below 0 so that a claimed account is still due should the sweep stop.
    const claim = -1 - Math.floor(Math.random() * 2 ** 48);
    let due = await dueAccountIds(db, tenant.id, now);
    let size = opts.batch ?? 250;
    // Accounts changed between their claim and their recording are decided again, a few rounds at most.
    for (let round = 0; round < 3 && due.length > 0; round++) {
      const dropped: number[] = [];
      let part = due.slice(0, size);
      let i = part.length;
      let lastHeld = part.length > 0 ? await write(async (tx) => void (await claimAccounts(tx, tenant.id, now, part, claim)), false) : 0;
      let released = performance.now();
      while (part.length > 0) {
        const decided = part;
        const plan = await read((tx) => decideAccounts(tx, tenant, now, nudgeViews, decided, claim));
        // Changed between the claim and this read: not decided (its check is no longer the claim), so decided again.
        for (const id of decided) if (!plan.next.has(id)) dropped.push(id);
        part = due.slice(i, i + size);
        i += part.length;
        const next = part;
        // The lock left free pace times as long as the last write held it; deciding this batch counts.
        await pause(Math.max(0, pace * lastHeld - (performance.now() - released)));
        const held = await write(async (tx) => {
          const r = await recordAccounts(tx, tenant, plan, claim);
          dropped.push(...r.dropped);
          await claimAccounts(tx, tenant.id, now, next, claim);
          return r;
        }, false);
        released = performance.now();
        lastHeld = held;
        if (held > target / 2) size = Math.max(20, Math.floor(size / 2));
        else if (held < target / 4) size = Math.min(2_000, size * 2);
      }
      due = dropped;
    }
    await inBatches(await duePromiseIds(db, tenant, now), (tx, ids) => sweepPromises(tx, tenant, now, nudgeViews, ids));
    await write((tx) => sweepReviews(tx, tenant, now, nudgeViews));
    await write((tx) => sweepChecklists(tx, tenant, now, nudgeViews));
    await inBatches(await dueComplaintIds(db, tenant.id, now), (tx, ids) => sweepEscalations(tx, tenant, now, nudgeViews, ids));
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    out.stopped = true;
  } finally {
    wal.restore();
  }
  return out;
}
