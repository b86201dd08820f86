// The weekly digest job: when it runs is the scheduler's (scheduler.ts, digestClock); who gets a
// digest and what it holds are the domain's (src/domain/digest.ts); its cards are src/views/digest.ts.
import type { Db, Tx } from '../../db/index.js';
import { recordWeeklyDigests, recordWeeklyDigestsInBatches, type ComposeDigest, type DigestRunStats, type RecordDigest } from '../domain/digest.js';
import type { Tenant } from '../domain/types.js';
import type { Reply } from '../engine/reply.js';
import { weeklyDigest } from '../views/digest.js';
import { recordNudge } from './outbox.js';

/** Digests composed and recorded per write transaction by the batched run. */
export const DIGEST_BATCH = 10;

/** A digest as an outbox row, under its dedupe key (one per member and week). */
export const recordDigest: RecordDigest = (tx, due, payload) =>
  recordNudge(tx, {
    tenantId: due.member.tenantId,
    dedupeKey: due.dedupeKey,
    kind: 'digest',
    subjectType: 'member',
    subjectId: due.member.id,
    recipientId: due.member.id,
    period: due.week,
    payload: payload as Reply,
    notBefore: due.notBefore,
  });

/** The organisation's part is composed once per language and zone within a run. */
export function digestComposer(tenant: Tenant, now: Date): ComposeDigest {
  const orgCache = new Map<string, Reply>();
  return (tx, due) => weeklyDigest(tx, tenant, due.member, now, orgCache);
}

/** Records this week's digests within the caller's transaction (a dry run, a test); returns the new nudges. */
export function digestAll(tx: Tx, tenant: Tenant, now: Date): number[] {
  return recordWeeklyDigests(tx, tenant, now, digestComposer(tenant, now), recordDigest);
}

/** The weekly digest job: every digest due, in batches, each its own IMMEDIATE transaction (see recordWeeklyDigestsInBatches). */
export function digestRun(db: Db, tenant: Tenant, now: Date, batch = DIGEST_BATCH): DigestRunStats {
  return recordWeeklyDigestsInBatches(db, tenant, now, digestComposer(tenant, now), recordDigest, batch);
}
