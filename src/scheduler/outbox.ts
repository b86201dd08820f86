// Every message Steward sends on its own is first a row in `nudges`, written in
// the transaction that decided to send it, under a unique dedupe key. Delivery
// reads the row, posts it through the chat port and marks it sent, so a crash,
// a restart or a second process neither loses a message nor decides it twice.
import { and, asc, eq, gt, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import { changes, type Db, type Tx, transact, transaction } from '../../db/index.js';
import { accounts, complaints, members, nudges, pairings, promises, reviewItems, tenants, type Platform } from '../../db/schema.js';
import type { ChatPort, Destination, PostedRef } from '../chat/port.js';
import { DeliveryError } from '../chat/port.js';
import { dayIn } from '../domain/dates.js';
import { moveCounts, roundOfKey } from '../domain/promises.js';
import { fmtDateTime, personName, ref } from '../domain/format.js';
import type { Member } from '../domain/types.js';
import { viewFor } from '../domain/view.js';
import { around, inLocale, reply, text, type Reply } from '../engine/reply.js';
import { recordNudge } from '../domain/nudges.js';
import type { Logger } from 'pino';
import { currentChannelCard } from '../views/complaint.js';
import { lastPairingTouchSql, lastVisitSql, pairingDue, revisitDue, snoozeEnds } from '../domain/cadence.js';

type Nudge = typeof nudges.$inferSelect;

// src/scheduler/digest.ts records through here until the merge; recording is the domain's (src/domain/nudges.ts).

/** Only the nudges of workspaces on `platform` (the one the delivering port reaches); every workspace's when unset. */
const onPlatform = (db: Db, platform: Platform | undefined) =>
  platform === undefined ? undefined : inArray(nudges.tenantId, db.select({ id: tenants.id }).from(tenants).where(eq(tenants.platform, platform)));

/** Pending nudges whose time has come, oldest first. */
export async function dueNudges(db: Db, now: Date, limit = 500, platform?: Platform): Promise<{ id: number; tenantId: number; notBefore: Date | null }[]> {
  return await db
    .select({ id: nudges.id, tenantId: nudges.tenantId, notBefore: nudges.notBefore })
    .from(nudges)
    .where(and(eq(nudges.status, 'pending'), or(isNull(nudges.notBefore), lte(nudges.notBefore, now)), onPlatform(db, platform)))
    .orderBy(asc(nudges.id))
    .limit(limit)
    .all();
}

/**
 * Pending nudges, oldest first: of workspaces on `platform` when given, due by
 * `until` when given (what is due later is queued by a later sweep), with ids
 * above `after` when given (a page at a time).
 */
export async function pendingNudges(db: Db, opts: { platform?: Platform; until?: Date; after?: number; limit?: number } = {}): Promise<{ id: number; notBefore: Date | null }[]> {
  const q = db
    .select({ id: nudges.id, notBefore: nudges.notBefore })
    .from(nudges)
    .where(
      and(
        eq(nudges.status, 'pending'),
        opts.until ? or(isNull(nudges.notBefore), lte(nudges.notBefore, opts.until)) : undefined,
        opts.after === undefined ? undefined : gt(nudges.id, opts.after),
        onPlatform(db, opts.platform),
      ),
    )
    .orderBy(asc(nudges.id));
  return await (opts.limit === undefined ? q : q.limit(opts.limit)).all();
}

export type DeliveryResult = 'sent' | 'skipped' | 'failed';

/** The platform and workspace a nudge is for. */
async function workspaceOfNudge(db: Db, id: number): Promise<{ platform: Platform; workspaceId: string } | undefined> {
  return await read(db, (tx) =>
    tx.select({ platform: tenants.platform, workspaceId: tenants.workspaceId }).from(tenants).innerJoin(nudges, eq(nudges.tenantId, tenants.id)).where(eq(nudges.id, id)).get(),
  );
}

/**
 * Delivery's reads and writes outside a claim or a record each run in a transaction of their own, in turn
 * with the others on this connection (db/transaction.ts): a bare statement run while another flow's
 * transaction waits on an await joins that transaction, reads what it has not committed, and is undone
 * with it (a command refused, a trial, a dry run).
 */
function read<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(db, fn, { behavior: 'deferred' });
}

/** Sets columns of one nudge, in a transaction of its own (see read). */
async function settle(db: Db, id: number, set: Partial<typeof nudges.$inferInsert>): Promise<void> {
  await transact(db, async (tx) => {
    await tx.update(nudges).set(set).where(eq(nudges.id, id)).run();
  });
}

/**
 * Posts one pending nudge. A message about a complaint posted in a channel goes
 * into the complaint's thread, and the first one becomes that thread.
 */
export async function deliverNudge(db: Db, via: ChatPort, id: number, now: Date, onQueued: () => void = () => {}, logger?: Pick<Logger, 'error'>): Promise<DeliveryResult> {
  let port = via;
  if (port.platform || port.forWorkspace) {
    const ws = await workspaceOfNudge(db, id);
    // Another platform's message (a job another process queued): it waits for a Steward that serves that platform.
    if (port.platform && ws && ws.platform !== port.platform)
      throw new DeliveryError('transient', `a ${ws.platform} workspace's message: waits for a Steward serving ${ws.platform}`);
    // Where each workspace has credentials of its own (a Slack app installed with OAuth, a Lark store app's tenants), it is reached with its own.
    if (ws && port.forWorkspace) port = port.forWorkspace(ws.workspaceId);
  }
  // Claim it first, so two workers (or a worker and the shell) never post the same nudge;
  // a claim whose lease ran out was lost with its process and may be taken over.
  // In a transaction of its own, whose COMMIT reports a failure (a full disk, a lock
  // not granted): a lone UPDATE … RETURNING commits when its statement is reset, and
  // a failure there goes unnoticed, so the post went out on a claim never saved.
  const claimedAt = new Date();
  let claimed: Nudge | undefined;
  try {
    claimed = await transact(
      db,
      async (tx) =>
        (
          await tx
            .update(nudges)
            .set({ status: 'sending', claimedAt })
            .where(
              and(eq(nudges.id, id), or(eq(nudges.status, 'pending'), and(eq(nudges.status, 'sending'), lt(nudges.claimedAt, new Date(claimedAt.getTime() - CLAIM_LEASE_MS))))),
            )
            .returning()
            .all()
        )[0],
    );
  } catch (e) {
    // Nothing is posted on a claim that was not saved.
    throw new DeliveryError('transient', `could not save the claim: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!claimed) {
    // Someone else is posting it right now: try again later, when it is either sent or its lease has run out.
    if ((await read(db, (tx) => tx.select({ s: nudges.status }).from(nudges).where(eq(nudges.id, id)).get()))?.s === 'sending')
      throw new DeliveryError('transient', 'being delivered by another process');
    return 'skipped';
  }
  const n = claimed;
  if (!(await read(db, (tx) => stillNeeded(tx, n, now)))) {
    await settle(db, id, { status: 'skipped', lastError: 'no longer needed' });
    return 'skipped';
  }
  if (n.kind === 'card') return redrawCard(db, port, n, now, logger);
  const { recipient, complaint, thread, earlier, payload } = await read(db, async (tx) => {
    const recipient = n.recipientId == null ? undefined : await tx.select().from(members).where(eq(members.id, n.recipientId)).get();
    const complaint = n.subjectType === 'complaint' && n.channel ? await tx.select().from(complaints).where(eq(complaints.id, n.subjectId)).get() : undefined;
    const thread: PostedRef | undefined =
      complaint?.threadTs && complaint.threadChannel && complaint.threadChannel === n.channel ? { channel: complaint.threadChannel, ts: complaint.threadTs } : undefined;
    const earlier = Boolean(complaint && !thread && (await earlierInChannel(tx, n)));
    const payload = await readerLocale(tx, n.payload as Reply, n.tenantId, n.channel ? undefined : recipient);
    return { recipient, complaint, thread, earlier, payload };
  });
  let to: Destination;
  if (n.channel) to = { channel: n.channel };
  else if (recipient?.active) to = { dm: { platformUserId: recipient.platformUserId, name: recipient.name } };
  else {
    await settle(db, id, { status: 'skipped', lastError: 'recipient gone' });
    return 'skipped';
  }
  if (earlier) {
    // The complaint's first post in the channel becomes its thread; what follows waits for it
    // (rungs decided together are delivered by several workers at once), or it would start a thread of its own.
    await settle(db, id, { status: 'pending', claimedAt: null });
    throw new DeliveryError('transient', "waiting for the complaint's first post in the channel");
  }
  let posted: PostedRef;
  let detour: string | null = null;
  /** Why a channel refused this for good. */
  let refused: string | undefined;
  try {
    posted = await port.post(to, payload, thread);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (await gone(db, n, e)) return 'skipped';
    if (e instanceof DeliveryError && e.kind === 'workspace') {
      // Not this message's fault: it waits, pending, for the workspace to be reachable again.
      await settle(db, id, { status: 'pending', claimedAt: null, lastError: message });
      throw e;
    }
    const permanent = e instanceof DeliveryError && e.kind === 'permanent';
    if (permanent && n.channel) refused = message;
    // A channel that refuses for good (the bot removed from it, the channel archived) must not swallow a
    // message meant for someone: an escalation rung reaches its member directly.
    const direct = refused && recipient?.active ? { dm: { platformUserId: recipient.platformUserId, name: recipient.name } } : undefined;
    try {
      if (!direct) throw e;
      posted = await port.post(direct, payload);
      detour = `#${n.channel}: ${message}; sent to ${recipient!.name} directly`;
    } catch (last) {
      const final = last === e ? permanent : last instanceof DeliveryError && last.kind === 'permanent';
      await transact(db, async (tx) => {
        await tx
          .update(nudges)
          .set({
            attempts: n.attempts + 1,
            lastError: last === e ? message : `${message}; directly: ${last instanceof Error ? last.message : String(last)}`,
            status: final ? 'failed' : 'pending',
          })
          .where(eq(nudges.id, id))
          .run();
        if (refused && (await tellChannelRefused(tx, n, refused, now))) onQueued();
      });
      throw last;
    }
  }
  try {
    await recordSent(db, n, posted, now, detour, complaint, thread, refused, recipient, onQueued);
  } catch (e) {
    // Posted, but not recorded as sent. It stays `sending` under its claim, which the normal retry
    // leaves alone; only when the lease runs out (releaseStale) may it go out again. Loud: a person may see it twice.
    logger?.error({ nudge: id, err: e }, 'posted a nudge but could not record it as sent; it stays claimed and is posted again only after its lease runs out');
  }
  return 'sent';
}

async function recordSent(
  db: Db,
  n: Nudge,
  posted: PostedRef,
  now: Date,
  detour: string | null,
  complaint: typeof complaints.$inferSelect | undefined,
  thread: PostedRef | undefined,
  refused: string | undefined,
  recipient: Member | undefined,
  onQueued: () => void,
): Promise<void> {
  const id = n.id;
  await transact(db, async (tx) => {
    await tx
      .update(nudges)
      .set({ status: 'sent', sentAt: now, attempts: n.attempts + 1, postedChannel: posted.channel, postedTs: posted.ts, ...(detour ? { lastError: detour } : {}) })
      .where(eq(nudges.id, id))
      .run();
    if (complaint && !thread && !detour) {
      await tx
        .update(complaints)
        .set({ threadPlatform: null, threadChannel: n.channel, threadTs: posted.ts })
        .where(and(eq(complaints.id, complaint.id), isNull(complaints.threadTs)))
        .run();
    }
    if (refused && (await tellChannelRefused(tx, n, refused, now, recipient))) onQueued();
  });
}

/**
 * Redraws a complaint's card in the escalation channel (a row of kind `card`, which the database records
 * whenever a complaint with a card there changes: see migration complaint_card_redraw) from the complaint
 * as it is now, in the workspace's language, so two quick changes show the later. A card still to be
 * posted is waited for; a complaint whose card never made it to the channel has nothing to redraw.
 * Failing never undoes the change that asked for it: the row stays pending and is tried again.
 */
async function redrawCard(db: Db, port: ChatPort, n: Nudge, now: Date, logger?: Pick<Logger, 'error'>): Promise<DeliveryResult> {
  const seen = await read(db, async (tx) => {
    const c = await tx.select().from(complaints).where(eq(complaints.id, n.subjectId)).get();
    const tenant = await tx.select().from(tenants).where(eq(tenants.id, n.tenantId)).get();
    if (!c || !tenant) return { skip: 'complaint gone' } as const;
    if (!c.threadTs || !c.threadChannel) {
      const waiting = await tx
        .select({ id: nudges.id })
        .from(nudges)
        .where(
          and(
            eq(nudges.tenantId, n.tenantId),
            eq(nudges.subjectType, 'complaint'),
            eq(nudges.subjectId, c.id),
            eq(nudges.kind, 'notice'),
            isNull(nudges.recipientId),
            lt(nudges.id, n.id),
            inArray(nudges.status, ['pending', 'sending']),
          ),
        )
        .get();
      return waiting ? ({ waiting: true } as const) : ({ skip: 'no card in the channel to redraw' } as const);
    }
    return { c, at: { channel: c.threadChannel, ts: c.threadTs }, card: await currentChannelCard(tx, tenant, c, now) };
  });
  if ('skip' in seen) {
    await settle(db, n.id, { status: 'skipped', lastError: seen.skip });
    return 'skipped';
  }
  if ('waiting' in seen) {
    await settle(db, n.id, { status: 'pending', claimedAt: null });
    throw new DeliveryError('transient', "waiting for the complaint's card to be posted");
  }
  const { c, at, card } = seen;
  try {
    await port.update(at, card);
  } catch (e) {
    if (await gone(db, n, e)) return 'skipped';
    const message = e instanceof Error ? e.message : String(e);
    const final = e instanceof DeliveryError && e.kind === 'permanent';
    await settle(db, n.id, { attempts: n.attempts + 1, lastError: message, status: final ? 'failed' : 'pending', claimedAt: null });
    logger?.error(
      { nudge: n.id, complaint: c.id, err: e },
      final ? "could not redraw a complaint's card in the escalation channel; giving up" : "could not redraw a complaint's card in the escalation channel; will try again",
    );
    throw e;
  }
  await settle(db, n.id, { status: 'sent', sentAt: now, attempts: n.attempts + 1, postedChannel: at.channel, postedTs: at.ts });
  return 'sent';
}

/**
 * A workspace Steward is no longer installed in (the app uninstalled, its token revoked) takes
 * nothing more: the nudge is skipped, not failed or retried, and nothing pauses. Whether `e` said so.
 */
async function gone(db: Db, n: Nudge, e: unknown): Promise<boolean> {
  if (!(e instanceof DeliveryError && e.kind === 'gone')) return false;
  await settle(db, n.id, { status: 'skipped', claimedAt: null, lastError: e.message });
  return true;
}

/** Whether an earlier message about the same complaint, for the same channel, is still to be posted. */
async function earlierInChannel(db: Tx, n: Nudge): Promise<boolean> {
  return Boolean(
    await db
      .select({ id: nudges.id })
      .from(nudges)
      .where(
        and(
          eq(nudges.tenantId, n.tenantId),
          eq(nudges.subjectType, 'complaint'),
          eq(nudges.subjectId, n.subjectId),
          eq(nudges.channel, n.channel!),
          lt(nudges.id, n.id),
          inArray(nudges.status, ['pending', 'sending']),
        ),
      )
      .get(),
  );
}

/**
 * A channel that refuses Steward for good (the bot not in it, the channel
 * archived or gone) must not fail in silence: the workspace's admins hear of
 * it, once a day per channel, and whoever opened a complaint whose card it
 * refused hears that the complaint was not shared. `detouredTo`: the member
 * the refused message reached directly instead. Returns whether it recorded anything.
 */
async function tellChannelRefused(tx: Tx, n: Nudge, reason: string, now: Date, detouredTo?: Member): Promise<boolean> {
  const tenant = await tx.select().from(tenants).where(eq(tenants.id, n.tenantId)).get();
  if (!tenant || !n.channel) return false;
  const day = now.toISOString().slice(0, 10);
  const told = new Map<number, { member: Member; key: string }>();
  for (const admin of await tx
    .select()
    .from(members)
    .where(and(eq(members.tenantId, tenant.id), eq(members.role, 'admin'), eq(members.active, true)))
    .all()) {
    told.set(admin.id, { member: admin, key: `channel-refused:${n.channel}:${day}:${admin.id}` });
  }
  // The card that opens a complaint's thread (a notice to the channel for nobody in particular).
  const card =
    n.kind === 'notice' && n.subjectType === 'complaint' && n.recipientId == null ? await tx.select().from(complaints).where(eq(complaints.id, n.subjectId)).get() : undefined;
  const account = card && (await tx.select({ name: accounts.name }).from(accounts).where(eq(accounts.id, card.accountId)).get());
  const opener = card?.reporterId == null ? undefined : await tx.select().from(members).where(eq(members.id, card.reporterId)).get();
  if (opener?.active) told.set(opener.id, { member: opener, key: `channel-refused:${n.channel}:${card!.id}:${opener.id}` });
  let recorded = false;
  for (const { member, key } of told.values()) {
    const { t, locale } = viewFor(tenant, member, now);
    const sections = [text(t.nudge.channelRefusedWhy(reason))];
    if (card && account) sections.push(text(t.nudge.channelRefusedCard(ref('C', card.number), account.name)));
    if (detouredTo) sections.push(text(t.nudge.channelRefusedDetour(personName(t, tenant.platform, detouredTo))));
    sections.push(text([`${t.nudge.channelRefusedFix} `, { code: t.nudge.channelRefusedCommand }]));
    const payload = inLocale(reply('warning', around(t.nudge.channelRefused, { channel: n.channel }), ...sections), locale);
    const id = await recordNudge(tx, {
      tenantId: tenant.id,
      dedupeKey: key,
      kind: 'channel-refused',
      subjectType: card ? 'complaint' : 'none',
      subjectId: card?.id ?? 0,
      recipientId: member.id,
      period: day,
      payload,
      notBefore: now,
      createdAt: now,
    });
    recorded ||= id !== undefined;
  }
  return recorded;
}

/**
 * Tells the workspace's admins, once per outage, that it refuses Steward as a whole (`reason`, since
 * `since`): one notice each, in their language, delivered when the workspace works again. A notice of
 * an earlier refusal still waiting means this outage was told already (by this or another process).
 * Returns whether it recorded anything.
 */
export async function tellDeliveryPaused(db: Db, tenantId: number, reason: string, since: Date): Promise<boolean> {
  return await transact(db, async (tx) => {
    const tenant = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!tenant) return false;
    const waiting = await tx
      .select({ id: nudges.id })
      .from(nudges)
      .where(and(eq(nudges.tenantId, tenantId), eq(nudges.kind, 'delivery-paused'), inArray(nudges.status, ['pending', 'sending'])))
      .get();
    if (waiting) return false;
    let recorded = false;
    for (const admin of await tx
      .select()
      .from(members)
      .where(and(eq(members.tenantId, tenantId), eq(members.role, 'admin'), eq(members.active, true)))
      .all()) {
      const v = viewFor(tenant, admin, since);
      const { t } = v;
      const payload = inLocale(
        reply('warning', t.nudge.deliveryPaused, text(t.nudge.deliveryPausedWhy(fmtDateTime(v, since), reason)), text(t.nudge.deliveryPausedHeld), text(t.nudge.deliveryPausedFix)),
        v.locale,
      );
      const key = `delivery-paused:${tenantId}:${since.toISOString()}:${admin.id}`;
      const id = await recordNudge(tx, {
        tenantId,
        dedupeKey: key,
        kind: 'delivery-paused',
        subjectType: 'none',
        subjectId: 0,
        recipientId: admin.id,
        period: since.toISOString(),
        payload,
        notBefore: since,
        createdAt: since,
      });
      recorded ||= id !== undefined;
    }
    return recorded;
  });
}

/**
 * What is delivered says which language it is in, so the platform's renderer
 * words its own cut markers alike. Nudges, digests and notices written since
 * replies carry a locale keep theirs; an older one is in its recipient's
 * language, or the workspace's for a channel (as viewFor decided when it was written).
 */
async function readerLocale(db: Tx, payload: Reply, tenantId: number, recipient: typeof members.$inferSelect | undefined): Promise<Reply> {
  if (payload.locale) return payload;
  const locale = recipient?.locale ?? (await db.select({ locale: tenants.locale }).from(tenants).where(eq(tenants.id, tenantId)).get())?.locale;
  return locale ? inLocale(payload, locale) : payload;
}

/** Longer than any post takes (the chat clients time out at 10 s), so an older claim was lost with its process. */
export const CLAIM_LEASE_MS = 30_000;

/**
 * A nudge left `sending` by a process that died mid-post goes back to pending
 * once its lease has run out; a claim another live process holds is left alone.
 * The platform may or may not have shown it; Steward prefers a rare repeat to a lost message.
 */
export async function releaseStale(db: Db, now = new Date()): Promise<number> {
  // In a transaction of its own (see read).
  return await transaction(db, async (tx) =>
    changes(
      await tx
        .update(nudges)
        .set({ status: 'pending', claimedAt: null })
        .where(and(eq(nudges.status, 'sending'), or(isNull(nudges.claimedAt), lt(nudges.claimedAt, new Date(now.getTime() - CLAIM_LEASE_MS)))))
        .run(),
    ),
  );
}

/**
 * A nudge that waited (for working hours, a retry) may have been overtaken: the
 * complaint resolved, the promise closed, the review held, the account visited
 * or snoozed (a visit logged late, with its earlier date, counts), the pairing
 * ended or its executive's visit made.
 */
async function stillNeeded(db: Tx, n: Nudge, now: Date): Promise<boolean> {
  switch (n.kind) {
    // Nothing more is said about a lost account's complaints, promises, review or revisits.
    case 'escalation': {
      const row = await db
        .select({ s: complaints.status, account: accounts.status, reopens: complaints.reopenCount })
        .from(complaints)
        .innerJoin(accounts, eq(accounts.id, complaints.accountId))
        .where(eq(complaints.id, n.subjectId))
        .get();
      // A rung of a life the complaint has left (resolved, then reopened before it went out) is not this one's.
      const life = Number(/:r(\d+)$/.exec(n.dedupeKey)?.[1] ?? 0);
      return row?.s === 'open' && row.account === 'active' && life === row.reopens;
    }
    case 'promise': {
      const row = await db
        .select({ s: promises.status, account: accounts.status })
        .from(promises)
        .innerJoin(accounts, eq(accounts.id, promises.accountId))
        .where(eq(promises.id, n.subjectId))
        .get();
      // A reminder of a date the promise has since moved from is not about it any more.
      return row?.s === 'open' && row.account === 'active' && roundOfKey(n.dedupeKey) === ((await moveCounts(db, [n.subjectId])).get(n.subjectId) ?? 0);
    }
    case 'review': {
      // The season's closing summary: said once, as it was when the deadline passed.
      if (n.subjectType !== 'review') return true;
      const row = await db
        .select({ s: reviewItems.status, dueOn: reviewItems.dueOn, account: accounts.status, zone: tenants.timezone })
        .from(reviewItems)
        .innerJoin(accounts, eq(accounts.id, reviewItems.accountId))
        .innerJoin(tenants, eq(tenants.id, reviewItems.tenantId))
        .where(eq(reviewItems.id, n.subjectId))
        .get();
      // A weekly card still waiting when the deadline passed is left to the season's last summary.
      return row !== undefined && row.s !== 'held' && row.account === 'active' && dayIn(now, row.zone) <= row.dueOn;
    }
    case 'revisit': {
      const tenant = await db.select().from(tenants).where(eq(tenants.id, n.tenantId)).get();
      const row = await db.select({ a: accounts, last: lastVisitSql }).from(accounts).where(eq(accounts.id, n.subjectId)).get();
      if (!tenant || row?.a.status !== 'active') return false;
      // A nudge meant for the owner (its key ends in a count) whose account changed hands is the new owner's now.
      if (/:\d+$/.test(n.dedupeKey) && n.recipientId !== row.a.ownerId) return false;
      const snoozed = (await snoozeEnds(db, tenant.id, 'revisit', [row.a.id])).get(row.a.id) ?? 0;
      return Math.max(revisitDue(tenant, row.a, row.last), snoozed) <= now.getTime();
    }
    case 'pairing': {
      const row = await db
        .select({ p: pairings, account: accounts.status, last: lastPairingTouchSql })
        .from(pairings)
        .innerJoin(accounts, eq(accounts.id, pairings.accountId))
        .where(eq(pairings.id, n.subjectId))
        .get();
      return Boolean(row?.p.active) && row!.account === 'active' && pairingDue(row!.p, row!.last) <= now.getTime();
    }
    case 'health':
      // News of an account's health is not worth reading once the account is lost.
      return (await db.select({ s: accounts.status }).from(accounts).where(eq(accounts.id, n.subjectId)).get())?.s === 'active';
    case 'card':
      // A later change's redraw draws the same complaint as it is then: this one has nothing to add.
      return !(await db
        .select({ id: nudges.id })
        .from(nudges)
        .where(
          and(
            eq(nudges.tenantId, n.tenantId),
            eq(nudges.kind, 'card'),
            eq(nudges.subjectType, 'complaint'),
            eq(nudges.subjectId, n.subjectId),
            gt(nudges.id, n.id),
            inArray(nudges.status, ['pending', 'sending', 'sent']),
          ),
        )
        .get());
    case 'digest':
      // A week's digest caught up late (by a weekend sweep) and still waiting when the next week's
      // is written says nothing that one does not: the reader gets the newer one only.
      return !(await db
        .select({ id: nudges.id })
        .from(nudges)
        .where(and(eq(nudges.tenantId, n.tenantId), eq(nudges.kind, 'digest'), eq(nudges.recipientId, n.recipientId!), gt(nudges.id, n.id)))
        .get());
    default:
      return true;
  }
}

/**
 * Delivers every due nudge now, in order; used where there is no queue (shell without Redis, tests).
 * Only the port's platform's workspaces; a workspace that refuses Steward as a whole is
 * not asked again in this call, and its nudges stay pending.
 */
export async function deliverDue(db: Db, port: ChatPort, now: Date, logger?: Pick<Logger, 'error'>): Promise<Record<DeliveryResult, number>> {
  const counts: Record<DeliveryResult, number> = { sent: 0, skipped: 0, failed: 0 };
  const refusing = new Set<number>();
  // What delivering records (a channel's refusal, told to people) is delivered in the same call: a pass takes only newer nudges than the last.
  for (let after = 0; ; ) {
    const due = (await dueNudges(db, now, 500, port.platform)).filter((n) => n.id > after);
    if (due.length === 0) return counts;
    for (const { id, tenantId } of due) {
      after = id;
      if (refusing.has(tenantId)) continue;
      try {
        counts[await deliverNudge(db, port, id, now, undefined, logger)]++;
      } catch (e) {
        // Only a permanent refusal fails a nudge; anything else stays pending for the next try.
        if (e instanceof DeliveryError && e.kind === 'permanent') counts.failed++;
        if (e instanceof DeliveryError && e.kind === 'workspace') {
          refusing.add(tenantId);
          await tellDeliveryPaused(db, tenantId, e.message, now);
        }
      }
    }
  }
}
