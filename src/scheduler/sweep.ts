// When the clock's decisions run, and in what pieces: the rules are src/domain/sweep.ts's,
// the messages src/views/nudges.ts's. The clock's job (runSweep) takes them batch by batch,
// each batch its own IMMEDIATE transaction, all or nothing and safe to redo (the dedupe keys
// decide nothing twice), so no batch holds SQLite's one write lock for long and a command
// waiting for it waits a batch, not a sweep.
import { performance } from 'node:perf_hooks';
import type { Db, Tx } from '../../db/index.js';
import {
  addResult,
  dueAccountIds,
  dueComplaintIds,
  duePromiseIds,
  emptyCounts,
  sweepAccounts,
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

export type { SweepCounts, SweepResult } from '../domain/sweep.js';

/** Every decision for one tenant in the caller's transaction (a command's run, its dry run, tests). */
export function sweepTenant(tx: Tx, tenant: Tenant, now: Date, only?: { complaintId: number }): SweepResult {
  return decide(tx, tenant, now, nudgeViews, only);
}

/** Once a workspace day, news of each account's health (see src/domain/sweep.ts watchHealth). */
export function watchHealth(tx: Tx, tenant: Tenant, now: Date): number[] {
  return watch(tx, tenant, now, nudgeViews);
}

export interface SweepRunOptions {
  /** Rows in the first batch of each step; later batches grow or shrink to keep each under `holdMs`. */
  batch?: number;
  /** How long a batch may hold the write lock, as a target (ms): short, so a command waits little. */
  holdMs?: number;
}

export interface SweepRun extends SweepResult {
  /** How many write transactions the sweep took, and the longest one held the write lock (ms). */
  batches: number;
  longestHoldMs: number;
  /** Time inside the sweep's write transactions (ms). */
  heldMs: number;
  /** Each transaction's hold (ms), in order. */
  holds: number[];
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The clock's sweep for one tenant: every decision of sweepTenant, in batches. What is
 * due is read first, outside any write transaction, through indexes (accounts by
 * next_check_at, promises by due day, complaints by deadline); each batch then reads its
 * rows again under the lock and decides from them as they are. Between batches the lock
 * is left free for as long as the last batch held it, so a command waiting for it gets in
 * (SQLite's busy handler polls at growing intervals and would miss a gap of a moment).
 */
export async function runSweep(db: Db, tenant: Tenant, now: Date, opts: SweepRunOptions = {}): Promise<SweepRun> {
  const target = opts.holdMs ?? 5;
  const out: SweepRun = { counts: emptyCounts(), ids: [], batches: 0, longestHoldMs: 0, heldMs: 0, holds: [] };
  const write = async (fn: (tx: Tx) => SweepResult): Promise<number> => {
    // Held from the moment BEGIN IMMEDIATE got the lock (the callback starts) to the end of COMMIT.
    let start = 0;
    const r = db.transaction(
      (tx) => {
        start = performance.now();
        return fn(tx);
      },
      { behavior: 'immediate' },
    );
    const held = performance.now() - start;
    out.longestHoldMs = Math.max(out.longestHoldMs, held);
    out.heldMs += held;
    out.holds.push(held);
    out.batches++;
    addResult(out, r);
    // The lock left free a while, longer than a waiting command's busy handler sleeps between
    // tries early on (1, 2, 5 ms...), and never in step with it (a jitter).
    await pause(Math.max(8, Math.ceil(1.5 * held)) + Math.floor(Math.random() * 4));
    return held;
  };
  const inBatches = async (ids: number[], fn: (tx: Tx, ids: number[]) => SweepResult) => {
    let size = opts.batch ?? 100;
    for (let i = 0; i < ids.length; ) {
      const part = ids.slice(i, i + size);
      i += part.length;
      const held = await write((tx) => fn(tx, part));
      if (held > target) size = Math.max(10, Math.floor(size / 2));
      else if (held < target / 2) size = Math.min(5_000, size * 2);
    }
  };
  const read = db as unknown as Tx;
  await inBatches(dueAccountIds(read, tenant.id, now), (tx, ids) => sweepAccounts(tx, tenant, now, nudgeViews, ids));
  await inBatches(duePromiseIds(read, tenant, now), (tx, ids) => sweepPromises(tx, tenant, now, nudgeViews, ids));
  await write((tx) => sweepReviews(tx, tenant, now, nudgeViews));
  await write((tx) => sweepChecklists(tx, tenant, now, nudgeViews));
  await inBatches(dueComplaintIds(read, tenant.id, now), (tx, ids) => sweepEscalations(tx, tenant, now, nudgeViews, ids));
  return out;
}

// src/scheduler/digest.ts reads the season from here until the merge; new code imports it from src/domain/review.ts.
