// Alerts that cannot wait for the next sweep or for working hours: a
// decision-maker change, a critical complaint, a second complaint on a strategic
// account within 30 days. They go at once to the owner and the paired executives
// (src/views/alerts.ts words them for each).
import { and, eq } from 'drizzle-orm';
import { members, pairings } from '../../db/schema.js';
import type { DomainCtx } from './context.js';
import type { Account, Member } from './types.js';

/** Who hears an urgent alert about `account`: its owner and its paired executives, active, each once, never the actor. */
export async function alertRecipients(ctx: DomainCtx, account: Account): Promise<Member[]> {
  const execs = (
    await ctx.db
      .select({ m: members })
      .from(pairings)
      .innerJoin(members, eq(members.id, pairings.execId))
      .where(and(eq(pairings.accountId, account.id), eq(pairings.active, true)))
      .all()
  ).map((r) => r.m);
  const owner = account.ownerId == null ? undefined : await ctx.db.select().from(members).where(eq(members.id, account.ownerId)).get();
  const seen = new Set<number>([ctx.actor.id]);
  const out: Member[] = [];
  for (const m of [owner, ...execs].filter((x): x is Member => x?.active === true)) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(m);
  }
  return out;
}
