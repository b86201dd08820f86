// What Steward forgets, and what it must not. Four kinds of rows grow with use and are
// read only for a while: finished nudges, audit rows, inbound event ids (the dedupe of
// platform retries) and signed requests already seen (replay protection). The sweep's
// retention step (src/scheduler/retention.ts) deletes what these rules call old, a
// small batch per short write transaction; the rules are here.
//
// Never forgotten, whatever the setting:
// - a nudge not yet final (pending, or being sent): it is the outbox;
// - an escalation: the nudges of kind `escalation` are the complaint's ladder, the only
//   record of who was told when (its history, src/domain/complaint-life.ts, reads them);
// - the newest nudge of each subject and kind: the sweep's memory of how far it got (a
//   pairing's last due day told, a reminder step...). A revisit's round (its nudges of one
//   due day: `revisit:<account>:<day>:<step>`) goes whole or not at all, and never while it
//   is the account's latest round: the sweep counts a round's steps to key the next one;
// - the nudges of an open promise (its `due` step tells the sweep the owner was told);
// - an event id younger than EVENT_MIN_DAYS (Lark redelivers for hours), a signature not
//   yet a window past its expiry, an audit row younger than AUDIT_MIN_DAYS (the health
//   score reads handovers, assignments and tier changes that far back).
import { and, eq, exists, gt, inArray, isNotNull, isNull, lt, lte, ne, notExists, or, sql } from 'drizzle-orm';
import { alias, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { changes, type Tx } from '../../db/index.js';
import { auditLog, inboundEvents, nudges, promises, seenRequests, type Platform } from '../../db/schema.js';
import { DAY_MS } from './dates.js';
import { REACH_DAYS } from './health.js';

/** How long each kind is kept, in days; undefined keeps it for ever. */
export interface Retention {
  /** Finished nudges and audit rows (RETENTION_DAYS). */
  days?: number;
  /** Inbound event ids (EVENT_RETENTION_DAYS). */
  eventDays?: number;
}

export const RETENTION_DEFAULT_DAYS = 400;
export const EVENT_RETENTION_DEFAULT_DAYS = 7;
/** The health score reads audit rows this far back (handovers, assignments, tier changes): a shorter retention would change scores. */
export const AUDIT_MIN_DAYS = REACH_DAYS;
/**
 * An event id is kept at least this long: Slack retries within minutes, Lark redelivers an
 * unanswered event for hours (the last try about 7 hours after the first), and a form's key
 * (`form:<view>`) guards a modal submitted twice. A day leaves room for a process down meanwhile.
 */
export const EVENT_MIN_DAYS = 1;

/** How long after its expiry a signature is kept: one signature window (SIGNATURE_WINDOW_MS of src/chat/replay.ts, which the domain may not import). */
export const REQUEST_SLACK_MS = 5 * 60_000;

/** The states a nudge ends in: delivered, given up, or no longer needed. */
const FINAL = ['sent', 'failed', 'skipped'] as const;

/** Kinds never forgotten: the complaint's ladder is its record. */
const KEPT_KINDS = ['escalation'];

const newer = alias(nudges, 'newer');
const same = alias(nudges, 'same');

/** The round of a revisit nudge: its due day, the first ten characters of its period (`<YYYY-MM-DD>:<step>`). */
const roundOf = (period: SQLiteColumn) => sql`substr(${period}, 1, 10)`;

/** Told before `cutoff`: sent then, or (never sent) decided then. */
const toldBefore = (t: typeof nudges | typeof same, cutoff: Date) => or(and(isNotNull(t.sentAt), lt(t.sentAt, cutoff)), and(isNull(t.sentAt), lt(t.createdAt, cutoff)));

/**
 * The nudges with ids in (`after`, `upTo`] that retention may delete as of `cutoff` (see the
 * rules above). Read-only: run it in a read transaction, outside the write lock.
 */
export async function purgeableNudges(tx: Tx, cutoff: Date, after: number, upTo: number): Promise<number[]> {
  const one = sql`1`;
  return (
    await tx
      .select({ id: nudges.id })
      .from(nudges)
      .where(
        and(
          gt(nudges.id, after),
          lte(nudges.id, upTo),
          inArray(nudges.status, [...FINAL]),
          toldBefore(nudges, cutoff),
          sql`${nudges.kind} not in (${sql.join(
            KEPT_KINDS.map((k) => sql`${k}`),
            sql`, `,
          )})`,
          // Not the newest of its subject and kind: for a revisit, a later round of the account's exists.
          exists(
            tx
              .select({ one })
              .from(newer)
              .where(
                and(
                  eq(newer.subjectType, nudges.subjectType),
                  eq(newer.subjectId, nudges.subjectId),
                  eq(newer.kind, nudges.kind),
                  eq(newer.tenantId, nudges.tenantId),
                  gt(newer.id, nudges.id),
                  or(ne(nudges.kind, 'revisit'), ne(roundOf(newer.period), roundOf(nudges.period))),
                ),
              ),
          ),
          // A revisit's round whole: every nudge of it final and old.
          or(
            ne(nudges.kind, 'revisit'),
            notExists(
              tx
                .select({ one })
                .from(same)
                .where(
                  and(
                    eq(same.subjectType, nudges.subjectType),
                    eq(same.subjectId, nudges.subjectId),
                    eq(same.kind, nudges.kind),
                    eq(same.tenantId, nudges.tenantId),
                    eq(roundOf(same.period), roundOf(nudges.period)),
                    or(sql`${same.status} not in ('sent', 'failed', 'skipped')`, sql`not (${toldBefore(same, cutoff)})`),
                  ),
                ),
            ),
          ),
          // A promise's reminders while it is open.
          or(
            ne(nudges.kind, 'promise'),
            notExists(
              tx
                .select({ one })
                .from(promises)
                .where(and(eq(promises.id, nudges.subjectId), eq(promises.status, 'open'))),
            ),
          ),
        ),
      )
      .orderBy(nudges.id)
      .all()
  ).map((r) => r.id);
}

/** The first nudge id after `after` and when it was decided, to tell where the old ones end. */
export async function nudgeAfter(tx: Tx, after: number): Promise<{ id: number; createdAt: Date } | undefined> {
  return await tx.select({ id: nudges.id, createdAt: nudges.createdAt }).from(nudges).where(gt(nudges.id, after)).orderBy(nudges.id).limit(1).get();
}

/** Deletes these nudges (from purgeableNudges) that are still final; how many went. */
export async function deleteNudges(tx: Tx, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  return changes(
    await tx
      .delete(nudges)
      .where(and(inArray(nudges.id, [...ids]), inArray(nudges.status, [...FINAL])))
      .run(),
  );
}

/** Deletes up to `limit` of the tenant's audit rows older than `cutoff`, oldest first, through the (tenant, at) index; how many went. */
export async function purgeAudit(tx: Tx, tenantId: number, cutoff: Date, limit: number): Promise<number> {
  const ids = tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), lt(auditLog.at, cutoff)))
    .orderBy(auditLog.at)
    .limit(limit);
  return changes(await tx.delete(auditLog).where(inArray(auditLog.id, ids)).run());
}

/** Deletes up to `limit` inbound event ids received before `cutoff`, oldest first, through their time index; how many went. */
export async function purgeEvents(tx: Tx, cutoff: Date, limit: number): Promise<number> {
  const old = await tx
    .select({ platform: inboundEvents.platform, eventId: inboundEvents.eventId })
    .from(inboundEvents)
    .where(lt(inboundEvents.receivedAt, cutoff))
    .orderBy(inboundEvents.receivedAt)
    .limit(limit)
    .all();
  const byPlatform = new Map<Platform, string[]>();
  for (const e of old) byPlatform.set(e.platform, [...(byPlatform.get(e.platform) ?? []), e.eventId]);
  let n = 0;
  for (const [platform, ids] of byPlatform)
    n += changes(
      await tx
        .delete(inboundEvents)
        .where(and(eq(inboundEvents.platform, platform), inArray(inboundEvents.eventId, ids)))
        .run(),
    );
  return n;
}

/**
 * Deletes up to `limit` signed requests whose signature expired more than a window before
 * `now`: a replay of one is refused by its timestamp already (the window is checked on
 * Steward's clock), and the window's slack covers instances whose clocks differ a little.
 */
export async function purgeRequests(tx: Tx, now: Date, limit: number): Promise<number> {
  const cutoff = new Date(now.getTime() - REQUEST_SLACK_MS);
  const keys = tx.select({ key: seenRequests.key }).from(seenRequests).where(lt(seenRequests.expiresAt, cutoff)).orderBy(seenRequests.expiresAt).limit(limit);
  return changes(await tx.delete(seenRequests).where(inArray(seenRequests.key, keys)).run());
}

/** The instant before which rows of `days` are old, or undefined when kept for ever. */
export const cutoffOf = (now: Date, days: number | undefined): Date | undefined => (days === undefined ? undefined : new Date(now.getTime() - days * DAY_MS));
