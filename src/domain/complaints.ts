// Opening a complaint: its number, its owner, its deadline, and whether it
// cannot wait for the next sweep (critical, or a repeat on a strategic account).
import { and, count, eq, gte, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { complaints } from '../../db/schema.js';
import { complaintSpanEnd } from './ladder.js';
import type { DomainCtx } from './context.js';
import { DAY_MS } from './dates.js';
import { nextNumber } from './numbers.js';
import { memberById } from './permissions.js';
import type { Account, Complaint } from './types.js';

/** A second complaint on a strategic account within this many days alerts at once. */
export const REPEAT_WINDOW_DAYS = 30;

export interface NewComplaint {
  account: Account;
  severity?: Complaint['severity'];
  category?: Complaint['category'];
  summary: string;
}

export interface Opened {
  complaint: Complaint;
  /** Why the owner and paired executives are told at once, if they are. */
  alert?: { kind: 'critical' } | { kind: 'repeat'; recent: number };
}

// Every /complaint runs these: prepared once per database (see db/prepared.ts).
const ph = sql.placeholder;
const insertComplaint = (db: Tx) =>
  prepared(db, 'complaints.insert', (q) =>
    q
      .insert(complaints)
      .values({
        tenantId: ph('tenantId'),
        number: ph('number'),
        accountId: ph('accountId'),
        severity: ph('severity'),
        category: ph('category'),
        summary: ph('summary'),
        ownerId: ph('ownerId'),
        reporterId: ph('reporterId'),
        openedAt: ph('openedAt'),
        deadlineAt: ph('deadlineAt'),
      })
      .returning()
      .prepare(),
  );
const recentComplaints = (db: Tx) =>
  prepared(db, 'complaints.recent', (q) =>
    q
      .select({ n: count() })
      .from(complaints)
      .where(and(eq(complaints.accountId, ph('accountId')), gte(complaints.openedAt, ph('since'))))
      .prepare(),
  );

/**
 * Opens a complaint on the account, owned by the account's owner (or, when they
 * have left, by whoever reports it), due after the severity's span.
 */
export async function openComplaint(ctx: DomainCtx, input: NewComplaint): Promise<Opened> {
  const { account } = input;
  const severity = input.severity ?? 'medium';
  const category = input.category ?? 'other';
  const owner = await memberById(ctx, account.ownerId);
  const complaint = (await insertComplaint(ctx.db).get({
    tenantId: ctx.tenant.id,
    number: await nextNumber(ctx.db, complaints, ctx.tenant.id),
    accountId: account.id,
    severity,
    category,
    summary: input.summary,
    ownerId: owner?.active ? owner.id : ctx.actor.id,
    reporterId: ctx.actor.id,
    openedAt: ctx.now,
    // The severity's hours on the workspace's working clock (a day of it is a working day), a critical one's on the wall clock.
    deadlineAt: complaintSpanEnd(ctx.tenant, severity, ctx.now),
  }))!;
  await ctx.audit('complaint.open', 'complaint', complaint.id, { account: account.name, severity, category });
  if (severity === 'critical') return { complaint, alert: { kind: 'critical' } };
  if (account.tier !== 'strategic') return { complaint };
  // The placeholder takes the stored value: opened_at in epoch ms.
  const recent = (await recentComplaints(ctx.db).get({ accountId: account.id, since: ctx.now.getTime() - REPEAT_WINDOW_DAYS * DAY_MS }))!.n;
  return recent >= 2 ? { complaint, alert: { kind: 'repeat', recent } } : { complaint };
}
