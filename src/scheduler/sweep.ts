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

/** Accounts, promises and complaints per batch: a batch's transaction stays well under 100 ms. */
export const SWEEP_BATCH = 500;

export interface SweepRun extends SweepResult {
  /** How many write transactions the sweep took, and the longest one held the write lock (ms). */
  batches: number;
  longestHoldMs: number;
}

/**
 * The clock's sweep for one tenant: every decision of sweepTenant, in batches. What is
 * due is read first, outside any write transaction, through indexes (accounts by
 * next_check_at, promises by due day, complaints by deadline); each batch then reads its
 * rows again under the lock and decides from them as they are.
 */
export function runSweep(db: Db, tenant: Tenant, now: Date, batch = SWEEP_BATCH): SweepRun {
  const out: SweepRun = { counts: emptyCounts(), ids: [], batches: 0, longestHoldMs: 0 };
  const write = (fn: (tx: Tx) => SweepResult) => {
    const start = performance.now();
    const r = db.transaction(fn, { behavior: 'immediate' });
    out.longestHoldMs = Math.max(out.longestHoldMs, performance.now() - start);
    out.batches++;
    addResult(out, r);
  };
  const inBatches = (ids: number[], fn: (tx: Tx, ids: number[]) => SweepResult) => {
    for (let i = 0; i < ids.length; i += batch) write((tx) => fn(tx, ids.slice(i, i + batch)));
  };
  inBatches(dueAccountIds(db as unknown as Tx, tenant.id, now), (tx, ids) => sweepAccounts(tx, tenant, now, nudgeViews, ids));
  inBatches(duePromiseIds(db as unknown as Tx, tenant, now), (tx, ids) => sweepPromises(tx, tenant, now, nudgeViews, ids));
  write((tx) => sweepReviews(tx, tenant, now, nudgeViews));
  write((tx) => sweepChecklists(tx, tenant, now, nudgeViews));
  inBatches(dueComplaintIds(db as unknown as Tx, tenant.id, now), (tx, ids) => sweepEscalations(tx, tenant, now, nudgeViews, ids));
  return out;
}

// src/scheduler/digest.ts reads the season from here until the merge; new code imports it from src/domain/review.ts.
export { reviewSeason } from '../domain/review.js';
