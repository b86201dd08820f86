// Churn rate = lost accounts / all accounts over a period (DESIGN.md): the book a period is read
// against and its losses, written once for /churn and the organisation's digest, for any team.
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../../db/index.js';
import { accountLosses, accounts } from '../../db/schema.js';

export type ChurnSpan = 'quarter' | 'year';

export interface ChurnBook {
  /** Every account in the book over the period, with its owner (whose team it counts in). */
  accounts: { id: number; ownerId: number | null; revenue: number | null }[];
  /** Each loss in the period (a win-back is a new event: the loss stays where it happened), newest first. */
  losses: { accountId: number; ownerId: number | null; reason: string; revenue: number | null; lostAt: Date }[];
}

export interface ChurnFigures {
  book: number;
  bookRevenue: number;
  lost: number;
  lostRevenue: number;
  byCount: number;
  byRevenue: number;
  reasons: string[];
}

/** The period a span reads back from `end`. */
export function churnStart(span: ChurnSpan, end: Date): Date {
  return DateTime.fromJSDate(end)
    .minus(span === 'year' ? { years: 1 } : { months: 3 })
    .toJSDate();
}

/**
 * The book over the period: accounts there at its start (not lost by then, or won back) and those added
 * during it, so a loss is never counted against a book that leaves it out; and the losses in it.
 */
export async function churnBook(tx: Tx, tenantId: number, start: Date, end: Date): Promise<ChurnBook> {
  const lostBefore = sql`exists (select 1 from account_losses l where l.account_id = ${sql.raw('"accounts"."id"')} and l.lost_at < ${start.getTime()} and (l.won_back_at is null or l.won_back_at >= ${start.getTime()}))`;
  const book = await tx
    .select({ id: accounts.id, ownerId: accounts.ownerId, revenue: accounts.annualRevenue })
    .from(accounts)
    .where(and(eq(accounts.tenantId, tenantId), lte(accounts.createdAt, end), sql`not ${lostBefore}`))
    .all();
  const losses = await tx
    .select({ accountId: accountLosses.accountId, ownerId: accounts.ownerId, reason: accountLosses.reason, revenue: accountLosses.revenue, lostAt: accountLosses.lostAt })
    .from(accountLosses)
    .innerJoin(accounts, eq(accounts.id, accountLosses.accountId))
    .where(and(eq(accountLosses.tenantId, tenantId), gte(accountLosses.lostAt, start), lte(accountLosses.lostAt, end)))
    .orderBy(sql`${accountLosses.lostAt} desc`)
    .all();
  return { accounts: book, losses };
}

/** The rates of the part of a book whose owners `keep` accepts (all of it without). */
export function churnFigures(book: ChurnBook, keep: (ownerId: number | null) => boolean = () => true): ChurnFigures {
  const inBook = book.accounts.filter((a) => keep(a.ownerId));
  const losses = book.losses.filter((l) => keep(l.ownerId));
  const bookRevenue = inBook.reduce((s, a) => s + (a.revenue ?? 0), 0);
  const lostRevenue = losses.reduce((s, l) => s + (l.revenue ?? 0), 0);
  return {
    book: inBook.length,
    bookRevenue,
    lost: losses.length,
    lostRevenue,
    byCount: inBook.length ? losses.length / inBook.length : 0,
    byRevenue: bookRevenue ? lostRevenue / bookRevenue : 0,
    reasons: losses.map((l) => l.reason),
  };
}
