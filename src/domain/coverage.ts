// Coverage (立体式对接): who of ours has met whom of theirs, and when (one rule, read by /coverage and by
// the supplier-review preparation); and coverage across a team: the accounts known by one thread, as the
// health score's single-thread rule finds them (health.ts, written once there), listed for /risk and the digest (src/views/coverage.ts words the list).
import { and, eq, max, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { contacts, FUNCTIONS, touchpointParticipants, touchpoints, type OurFunction } from '../../db/schema.js';
import type { Tier } from '../../db/schema.js';
import type { Health } from './health.js';

/** coverageCells' queries, prepared once per database (see db/prepared.ts). */
const cellQueries = (db: Tx) =>
  prepared(db, 'coverage.cells', (q) => {
    const accountId = sql.placeholder('accountId');
    return {
      lead: q
        .select({ ours: touchpoints.ourLevel, theirs: contacts.level, at: max(touchpoints.occurredAt) })
        .from(touchpoints)
        .innerJoin(contacts, eq(contacts.id, touchpoints.contactId))
        // Someone of theirs who has left is no thread into the account any more.
        .where(and(eq(touchpoints.accountId, accountId), eq(contacts.active, true)))
        .groupBy(touchpoints.ourLevel, contacts.level)
        .prepare(),
      along: q
        .select({ ours: touchpointParticipants.ourLevel, theirs: contacts.level, at: sql<number>`max(${touchpoints.occurredAt})` })
        .from(touchpointParticipants)
        .innerJoin(touchpoints, eq(touchpoints.id, touchpointParticipants.touchpointId))
        .innerJoin(contacts, eq(contacts.id, touchpoints.contactId))
        .where(and(eq(touchpoints.accountId, accountId), eq(contacts.active, true)))
        .groupBy(touchpointParticipants.ourLevel, contacts.level)
        .prepare(),
    };
  });

/** The last touch in each cell: our side × their level, counting colleagues who came along. */
export async function coverageCells(db: Tx, accountId: number): Promise<Map<string, number>> {
  const cell = (ours: string, theirs: string) => `${ours}|${theirs}`;
  const cells = new Map<string, number>();
  const keep = (ours: string, theirs: string, at: number | null) => {
    if (at != null && at > (cells.get(cell(ours, theirs)) ?? 0)) cells.set(cell(ours, theirs), at);
  };
  const { lead, along } = cellQueries(db);
  for (const r of await lead.all({ accountId })) keep(r.ours, r.theirs, r.at?.getTime() ?? null);
  for (const r of await along.all({ accountId })) keep(r.ours, r.theirs, r.at);
  return cells;
}

/** Our levels (executive, sales, operations, finance, technical) with no thread at all to anyone of theirs still there. */
export function uncoveredFunctions(cells: Map<string, number>): OurFunction[] {
  const ours = new Set([...cells.keys()].map((k) => k.split('|')[0]));
  return FUNCTIONS.filter((f) => !ours.has(f));
}

export interface ThreadRow {
  name: string;
  tier: Tier;
  owner: string | null;
  health: Health;
}

/** The rows the single-thread rule flags, as the score reads them now. */
export function singleThreaded<T extends ThreadRow>(rows: T[]): T[] {
  return rows.filter((r) => r.health.reasons.some((x) => x.key === 'single-threaded'));
}
