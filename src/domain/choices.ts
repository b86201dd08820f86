// Accounts for a platform's type-ahead picker: the matches for what is typed so far (plain data; the
// adapters draw them as their pickers' options).
import { and, asc, eq, inArray } from 'drizzle-orm';
import { accounts } from '../../db/schema.js';
import type { DomainCtx } from './context.js';
import { matchAccount } from './match.js';

export interface AccountChoice {
  id: number;
  name: string;
}

type Reader = Pick<DomainCtx, 'db' | 'tenant'>;

export async function accountChoices(ctx: Reader, typed: string, limit = 50): Promise<AccountChoice[]> {
  const pick = { id: accounts.id, name: accounts.name };
  if (!typed.trim()) {
    return await ctx.db.select(pick).from(accounts).where(eq(accounts.tenantId, ctx.tenant.id)).orderBy(asc(accounts.nameKey)).limit(limit).all();
  }
  const m = await matchAccount(ctx.db, ctx.tenant.id, typed);
  if (m.kind === 'found') return [{ id: m.item.id, name: m.item.name }];
  if (m.kind === 'ambiguous') return m.candidates.slice(0, limit).map((a) => ({ id: a.id, name: a.name }));
  // Suggestions are names, closest first: their ids, in that order.
  const names = m.suggestions.slice(0, limit);
  if (names.length === 0) return [];
  const found = await ctx.db
    .select(pick)
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.tenant.id), inArray(accounts.name, names)))
    .all();
  return names.flatMap((n) => found.filter((a) => a.name === n).slice(0, 1));
}

/** The name of the tenant's account `id`, if there is one. */
export async function accountNameById(ctx: Reader, id: number): Promise<string | undefined> {
  return (
    await ctx.db
      .select({ name: accounts.name })
      .from(accounts)
      .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.id, id)))
      .get()
  )?.name;
}
