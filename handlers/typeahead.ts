// Account names for a platform's type-ahead picker: the matches for what is typed so far.
import { asc, eq } from 'drizzle-orm';
import { literalLimit } from '../db/index.js';
import { accounts } from '../db/schema.js';
import { matchAccount } from '../src/domain/match.js';
import type { Ctx } from '../src/engine/spec.js';

export function accountChoices(ctx: Ctx, typed: string, limit = 50): string[] {
  if (!typed.trim()) {
    return ctx.db.select({ name: accounts.name }).from(accounts).where(eq(accounts.tenantId, ctx.tenant.id)).orderBy(asc(accounts.nameKey)).limit(literalLimit(limit)).all().map((a) => a.name);
  }
  const m = matchAccount(ctx.db, ctx.tenant.id, typed);
  return (m.kind === 'found' ? [m.item.name] : m.kind === 'ambiguous' ? m.candidates.map((a) => a.name) : m.suggestions).slice(0, limit);
}
