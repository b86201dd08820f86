import { count, eq, getTableName, max, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';

/**
 * The next per-tenant number (C-<n>, P-<n>, R-<n>). Commands run in an
 * immediate transaction, so two writers never read the same maximum.
 */
export async function nextNumber(db: Tx, table: SQLiteTable & { tenantId: SQLiteColumn; number: SQLiteColumn }, tenantId: number): Promise<number> {
  // Every command that opens a complaint, a promise or a review runs it: prepared once per database and table (see db/prepared.ts).
  const query = prepared(db, `numbers.next.${getTableName(table)}`, (q) =>
    q
      .select({ n: max(table.number) })
      .from(table)
      .where(eq(table.tenantId, sql.placeholder('tenantId')))
      .prepare(),
  );
  const row = await query.get({ tenantId });
  return Number(row?.n ?? 0) + 1;
}

/** `select count(*)` that runs now (drizzle's `$count` is a builder in sync mode). */
export async function countWhere(db: Tx, table: SQLiteTable, where: SQL | undefined): Promise<number> {
  return (await db.select({ n: count() }).from(table).where(where).get())!.n;
}

/** How many rows a list reply shows before "…and N more". */
export const LIST_LIMIT = 30;

/**
 * The rows a list shows, and how many there are in all. Queries fetch one row
 * past the limit, so the count runs only when there really are more.
 */
export async function firstPage<T>(rows: T[], countAll: () => Promise<number>): Promise<{ shown: T[]; total: number }> {
  return { shown: rows.slice(0, LIST_LIMIT), total: rows.length > LIST_LIMIT ? await countAll() : rows.length };
}
