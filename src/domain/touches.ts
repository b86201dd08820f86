// Recording a touchpoint: what happened with a customer, when, with whom. The
// one place the rules of a touchpoint live: chat's /touch and the CSV import of
// touchpoints both check a date with checkTouchDate, and /touch writes through
// recordTouch.
import { and, count, eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { accounts, complaints, touchpointParticipants, touchpoints } from '../../db/schema.js';
import { lastVisitSql, resetsRevisit } from './cadence.js';
import type { DomainCtx } from './context.js';
import { addDays, dayIn } from './dates.js';
import { fmtDay } from './format.js';
import { Refusal } from './refusal.js';
import { cadenceFor } from './settings.js';
import type { Account, Contact, Member } from './types.js';
import type { View } from './view.js';

/** A touchpoint dated further back is a typo, not history worth logging. */
export const MAX_TOUCH_AGE_YEARS = 5;

/** A clock a minute ahead of ours is not a touchpoint from the future. */
const CLOCK_SKEW_MS = 60_000;

export type TouchKind = (typeof touchpoints.$inferInsert)['kind'];

/**
 * When a touchpoint may be dated: once it has happened, and not more than five
 * years back. `wholeDay`: only the day was given (a CSV `2026-11-24`), so any
 * time that day has happened once the day has begun.
 */
export function checkTouchDate(view: View, at: DateTime, wholeDay = false): void {
  const now = DateTime.fromJSDate(view.now, { zone: view.zone });
  const future = wholeDay ? at.setZone(view.zone).startOf('day') > now.startOf('day') : at.toMillis() > now.toMillis() + CLOCK_SKEW_MS;
  if (future) throw new Refusal('touch.future', fmtDay(view, at));
  if (at < now.minus({ years: MAX_TOUCH_AGE_YEARS })) throw new Refusal('touch.tooOld', fmtDay(view, at));
}

export interface TouchInput {
  account: Account;
  kind: TouchKind;
  /** When it happened; now when not given. */
  at?: DateTime;
  contact?: Contact;
  /** Colleagues who were there besides the actor (the actor and repeats are dropped). */
  colleagues?: Member[];
  note: string;
  /** Where it was recorded from (a message's id), when there is one. */
  sourceRef?: string | null;
}

export interface RecordedTouch {
  id: number;
  occurredAt: Date;
  colleagues: Member[];
  /** The day the next revisit falls due, when this kind resets the revisit clock. */
  nextRevisit?: string;
  /** Complaints still open on the account. */
  openComplaints: number;
}

// /touch runs these: prepared once per connection (see db/prepared.ts).
const ph = sql.placeholder;
const insertTouch = (db: Tx) =>
  prepared(db, 'touch.insert', (q) =>
    q
      .insert(touchpoints)
      .values({
        tenantId: ph('tenantId'),
        accountId: ph('accountId'),
        memberId: ph('memberId'),
        ourLevel: ph('ourLevel'),
        contactId: ph('contactId'),
        kind: ph('kind'),
        occurredAt: ph('occurredAt'),
        note: ph('note'),
        sourcePlatform: ph('sourcePlatform'),
        sourceRef: ph('sourceRef'),
      })
      .returning({ id: touchpoints.id })
      .prepare(),
  );
const openComplaints = (db: Tx) =>
  prepared(db, 'touch.openComplaints', (q) =>
    q
      .select({ n: count() })
      .from(complaints)
      .where(and(eq(complaints.accountId, ph('accountId')), eq(complaints.status, 'open')))
      .prepare(),
  );
const insertParticipant = (db: Tx) =>
  prepared(db, 'touch.participant', (q) =>
    q
      .insert(touchpointParticipants)
      .values({ touchpointId: ph('touchpointId'), memberId: ph('memberId'), ourLevel: ph('ourLevel') })
      .prepare(),
  );
const lastVisit = (db: Tx) =>
  prepared(db, 'touch.lastVisit', (q) =>
    q
      .select({ at: lastVisitSql })
      .from(accounts)
      .where(eq(accounts.id, ph('accountId')))
      .prepare(),
  );

/** Records a touchpoint by the actor, with the colleagues who were there; refuses a date it may not have. */
export async function recordTouch(ctx: DomainCtx, input: TouchInput): Promise<RecordedTouch> {
  const { account, kind } = input;
  if (input.at) checkTouchDate(ctx, input.at);
  const occurredAt = input.at ? input.at.toJSDate() : ctx.now;
  const colleagues = [...new Map((input.colleagues ?? []).filter((m) => m.id !== ctx.actor.id).map((c) => [c.id, c])).values()];
  const touch = (await insertTouch(ctx.db).get({
    tenantId: ctx.tenant.id,
    accountId: account.id,
    memberId: ctx.actor.id,
    ourLevel: ctx.actor.function,
    contactId: input.contact?.id ?? null,
    kind,
    occurredAt,
    note: input.note,
    sourcePlatform: ctx.tenant.platform,
    sourceRef: input.sourceRef ?? null,
  }))!;
  for (const m of colleagues) {
    await insertParticipant(ctx.db).run({ touchpointId: touch.id, memberId: m.id, ourLevel: m.function });
  }
  await ctx.audit('touch.log', 'touchpoint', touch.id, { account: account.name, kind });
  let nextRevisit: string | undefined;
  if (resetsRevisit(kind)) {
    const occurred = dayIn(occurredAt, ctx.zone);
    // A visit logged late (on:) may not be the latest: the clock runs from the latest, as the sweep's does.
    const latest = input.at ? (await lastVisit(ctx.db).get({ accountId: account.id }))?.at : undefined;
    nextRevisit = addDays(latest != null && latest > occurredAt.getTime() ? dayIn(new Date(latest), ctx.zone) : occurred, cadenceFor(ctx.tenant, account));
  }
  return { id: touch.id, occurredAt, colleagues, nextRevisit, openComplaints: (await openComplaints(ctx.db).get({ accountId: account.id }))!.n };
}
