// Promises renegotiated openly (DOMAIN.md: "every promise kept, or renegotiated openly"):
// a move of the due date keeps its history; the clock reminds of the date now agreed only;
// "kept on time" is judged against the date first agreed.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { members, promiseMoves, promises } from '../../db/schema.js';
import { DAY_MS, dayIn } from './dates.js';
import type { Member, Tenant } from './types.js';

export type PromiseMove = typeof promiseMoves.$inferSelect;

/** How many times each promise was moved (only the promises of `ids`). */
export async function moveCounts(tx: Tx, ids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await tx
      .select({ id: promiseMoves.promiseId, n: sql<number>`count(*)` })
      .from(promiseMoves)
      .where(inArray(promiseMoves.promiseId, ids.slice(i, i + 500)))
      .groupBy(promiseMoves.promiseId)
      .all();
    for (const r of rows) out.set(r.id, Number(r.n));
  }
  return out;
}

/** A promise's moves, oldest first, with who moved it. */
export async function movesOf(tx: Tx, promiseId: number): Promise<{ m: PromiseMove; by: string | null }[]> {
  return await tx
    .select({ m: promiseMoves, by: members.name })
    .from(promiseMoves)
    .leftJoin(members, eq(members.id, promiseMoves.byId))
    .where(eq(promiseMoves.promiseId, promiseId))
    .orderBy(asc(promiseMoves.id))
    .all();
}

/**
 * The part of a promise reminder's dedupe key that names the due date it was about: nothing
 * for the date first agreed (the keys written before promises could move), `m<n>` after the
 * n-th move. A reminder of an earlier date is never sent once the promise has moved on.
 */
export const promiseRound = (moves: number): string => (moves > 0 ? `m${moves}:` : '');

/** The round (number of moves) a promise reminder's dedupe key was written for. */
export function roundOfKey(key: string): number {
  const m = /^promise:\d+:m(\d+):/.exec(key);
  return m ? Number(m[1]) : 0;
}

/** How far back the kept-on-time rate looks: a quarter, 13 weeks. */
export const KEPT_WINDOW_DAYS = 91;

export interface KeptRate {
  /** Kept by the day first agreed (in the owner's zone). */
  onTime: number;
  /** Kept after it, moved openly or not. */
  late: number;
  broken: number;
  /** Of all these, how many were moved at least once. */
  moved: number;
}

export const keptTotal = (r: KeptRate) => r.onTime + r.late + r.broken;

/** keptRates' query, prepared once per connection: `tenant`, `owners` (a JSON array), `since` (ms). */
const keptQuery = (tx: Tx) =>
  prepared(tx, 'promises.kept', (d) =>
    d
      .select({
        id: promises.id,
        ownerId: promises.ownerId,
        status: promises.status,
        dueOn: promises.dueOn,
        closedAt: promises.closedAt,
        firstDue: sql<string | null>`(select m.from_on from promise_moves m where m.promise_id = "promises"."id" order by m.id limit 1)`,
      })
      .from(promises)
      .where(
        and(
          eq(promises.tenantId, sql.placeholder('tenant')),
          sql`${promises.ownerId} in (select value from json_each(${sql.placeholder('owners')}))`,
          inArray(promises.status, ['kept', 'broken']),
          sql`${promises.closedAt} >= ${sql.placeholder('since')}`,
        ),
      )
      .prepare(),
  );

/**
 * The promises owned by `ownerIds` closed (kept or broken) in the last KEPT_WINDOW_DAYS, per owner:
 * kept by the due date first agreed, kept later (a promise moved and kept by its new date is kept,
 * but not on time), broken.
 */
export async function keptRates(tx: Tx, tenant: Tenant, owners: Member[], now: Date): Promise<Map<number, KeptRate>> {
  const out = new Map<number, KeptRate>();
  if (owners.length === 0) return out;
  const byId = new Map(owners.map((m) => [m.id, m]));
  const since = new Date(now.getTime() - KEPT_WINDOW_DAYS * DAY_MS);
  const rows = await keptQuery(tx).all({ tenant: tenant.id, owners: JSON.stringify([...byId.keys()]), since: since.getTime() });
  for (const r of rows) {
    if (r.ownerId == null || !r.closedAt || r.closedAt > now) continue;
    const rate = out.get(r.ownerId) ?? { onTime: 0, late: 0, broken: 0, moved: 0 };
    out.set(r.ownerId, rate);
    const first = r.firstDue ?? r.dueOn;
    if (r.firstDue != null) rate.moved++;
    if (r.status === 'broken') rate.broken++;
    else if (dayIn(r.closedAt, byId.get(r.ownerId)?.timezone ?? tenant.timezone) <= first) rate.onTime++;
    else rate.late++;
  }
  return out;
}
