// The weekly digest job: when it runs is the scheduler's (scheduler.ts, digestClock); who gets a
// digest and what it holds are the domain's (src/domain/digest.ts); its cards are src/views/digest.ts.
import type { Db, Tx } from '../../db/index.js';
import { recordDigest, recordWeeklyDigests, recordWeeklyDigestsInBatches, type DigestRunStats } from '../domain/digest.js';
import type { Tenant } from '../domain/types.js';
import { digestComposer } from '../views/digest.js';

/** Digests composed and recorded per write transaction by the batched run. */
export const DIGEST_BATCH = 10;

/** Records this week's digests within the caller's transaction (a dry run, a test); returns the new nudges. */
export async function digestAll(tx: Tx, tenant: Tenant, now: Date): Promise<number[]> {
  return await recordWeeklyDigests(tx, tenant, now, digestComposer(tenant, now), recordDigest);
}

/** The weekly digest job: every digest due, in batches, each its own IMMEDIATE transaction (see recordWeeklyDigestsInBatches). */
export async function digestRun(db: Db, tenant: Tenant, now: Date, batch = DIGEST_BATCH): Promise<DigestRunStats> {
  return await recordWeeklyDigestsInBatches(db, tenant, now, digestComposer(tenant, now), recordDigest, batch);
}
