// The revisit and leadership clocks, written once: which touches reset them,
// when an account or a pairing falls due, and the SQL that reads the last such
// touch. The sweep, the digest, /risk, /account, /touch, App Home and the health
// score all read these, so they can never disagree about what is due.
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { nudgeSnoozes, type pairings, type TOUCH_KINDS } from '../../db/schema.js';
import { DAY_MS } from './dates.js';
import { cadenceFor } from './settings.js';
import type { Account, Tenant } from './types.js';

const DAY = DAY_MS;

/** The owner is reminded weekly; their manager gets a copy once it is two weeks overdue, then every four weeks. */
export const REVISIT_REMIND_DAYS = 7;
export const REVISIT_MANAGER_DAYS = 14;
export const REVISIT_MANAGER_REPEAT_DAYS = 28;

/** A visit, a meeting or a business review by anyone of ours resets an account's revisit clock; a call or a message does not. */
export const REVISIT_KINDS = ['visit', 'meeting', 'review'] as const satisfies readonly (typeof TOUCH_KINDS)[number][];

export function resetsRevisit(kind: string): boolean {
  return (REVISIT_KINDS as readonly string[]).includes(kind);
}

/** REVISIT_KINDS as an SQL list, for `kind in ...`. */
export const REVISIT_KINDS_SQL = sql.raw(`(${REVISIT_KINDS.map((k) => `'${k}'`).join(', ')})`);

/** When the account is next due for a revisit, from the last visit, meeting or review by anyone of ours. */
export function revisitDue(tenant: Tenant, a: Pick<Account, 'tier' | 'cadenceDays' | 'createdAt'>, lastVisit: number | null): number {
  return (lastVisit ?? a.createdAt.getTime()) + cadenceFor(tenant, a) * DAY;
}

/**
 * The outer query's account id, always qualified: drizzle leaves columns bare in
 * a single-table select, and a bare "id" inside a subquery means the subquery's own table.
 */
export const OUTER_ACCOUNT_ID = sql.raw('"accounts"."id"');

/** The last touch of any kind on the outer query's account. */
export const lastTouchSql = sql<number | null>`(select max(t.occurred_at) from touchpoints t where t.account_id = ${OUTER_ACCOUNT_ID})`;

export const lastVisitSql = sql<number | null>`(select max(t.occurred_at) from touchpoints t where t.account_id = ${OUTER_ACCOUNT_ID} and t.kind in ${REVISIT_KINDS_SQL})`;

/** Last touch on the account by `memberId`, as the one who logged it or as a colleague along. */
export const lastTouchBySql = (memberId: unknown, accountId: unknown) =>
  sql<
    number | null
  >`(select max(t.occurred_at) from touchpoints t where t.account_id = ${accountId} and (t.member_id = ${memberId} or exists (select 1 from touchpoint_participants p where p.touchpoint_id = t.id and p.member_id = ${memberId})))`;

/**
 * The outer query's pairing columns, always qualified (as OUTER_ACCOUNT_ID): in a
 * single-table select drizzle leaves them bare, and inside lastTouchBySql's subquery a
 * bare "account_id" is the touchpoint's own, so any touch by the executive would count.
 */
export const OUTER_PAIRING_EXEC_ID = sql.raw('"pairings"."exec_id"');
export const OUTER_PAIRING_ACCOUNT_ID = sql.raw('"pairings"."account_id"');
/** The pairing executive's last touch on the paired account, for a select from pairings (joined or not). */
export const lastPairingTouchSql = lastTouchBySql(OUTER_PAIRING_EXEC_ID, OUTER_PAIRING_ACCOUNT_ID);

/** When a pairing's executive is due at the account: a cadence after their last touch there, or after the pairing began. */
export function pairingDue(p: Pick<typeof pairings.$inferSelect, 'createdAt' | 'cadenceDays'>, lastTouch: number | null): number {
  return (lastTouch ?? p.createdAt.getTime()) + p.cadenceDays * DAY;
}

/** Until when each subject's nudges of `kind` are snoozed (the latest snooze's end), per subject id. */
export async function snoozeEnds(tx: Tx, tenantId: number, kind: string, subjects?: number[]): Promise<Map<number, number>> {
  const rows = subjects ? await snoozeQuery(tx, true).all({ tenantId, kind, ids: JSON.stringify(subjects) }) : await snoozeQuery(tx, false).all({ tenantId, kind });
  return new Map(rows.map((r) => [r.id, r.until]));
}

/**
 * snoozeEnds' query, prepared once per database (see db/prepared.ts), for the whole tenant or
 * for the subjects in `ids`: one JSON parameter, so one statement for any number of subjects.
 */
const snoozeQuery = (tx: Tx, scoped: boolean) =>
  prepared(tx, `cadence.snoozeEnds.${scoped ? 'ids' : 'all'}`, (q) =>
    q
      .select({ id: nudgeSnoozes.subjectId, until: sql<number>`max(${nudgeSnoozes.until})` })
      .from(nudgeSnoozes)
      .where(
        and(
          eq(nudgeSnoozes.tenantId, sql.placeholder('tenantId')),
          eq(nudgeSnoozes.kind, sql.placeholder('kind')),
          scoped ? sql`${nudgeSnoozes.subjectId} in (select value from json_each(${sql.placeholder('ids')}))` : undefined,
        ),
      )
      .groupBy(nudgeSnoozes.subjectId)
      .prepare(),
  );

/**
 * The accounts of `book` overdue for a revisit (most overdue first) and those that
 * would be but are snoozed, with the snooze's end: the sweep's rule (revisitDue, snoozes), for the digest and /risk.
 */
export async function overdueRevisits<T extends { a: Pick<Account, 'id' | 'tier' | 'cadenceDays' | 'createdAt'>; last: number | null }>(
  tx: Tx,
  tenant: Tenant,
  book: T[],
  now: Date,
) {
  // A large book (the organisation's) reads every snooze of the tenant: one parameter per account would pass SQLite's limit.
  const ends = !book.length
    ? new Map<number, number>()
    : book.length > 500
      ? await snoozeEnds(tx, tenant.id, 'revisit')
      : await snoozeEnds(
          tx,
          tenant.id,
          'revisit',
          book.map((b) => b.a.id),
        );
  const overdue: (T & { days: number })[] = [];
  const snoozed: (T & { until: number })[] = [];
  for (const b of book) {
    const due = revisitDue(tenant, b.a, b.last);
    if (due > now.getTime()) continue;
    const until = ends.get(b.a.id) ?? 0;
    if (until > now.getTime()) snoozed.push({ ...b, until });
    else overdue.push({ ...b, days: Math.floor((now.getTime() - due) / DAY) });
  }
  return { overdue: overdue.sort((x, y) => y.days - x.days), snoozed: snoozed.sort((x, y) => x.until - y.until) };
}
