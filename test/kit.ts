// What the tests share: time in the harness tenant's zone, command runners that
// assert, row lookups, a recording ChatPort and a free TCP port. The helpers that
// read the database take the test file's current harness through `current`,
// since each test file opens a new one per test.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { asc, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { expect } from 'vitest';
import { accounts, members, nudges, type pairings, tenants } from '../db/schema.js';
import type { ChatPort, DeliveryError, Destination, PostedRef } from '../src/chat/port.js';
import { renderText } from '../src/engine/render-text.js';
import type { Reply } from '../src/engine/reply.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { sweepTenant, type SweepResult } from '../src/scheduler/sweep.js';
import type { Harness } from './harness.js';
import { transact } from '../db/index.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A wall-clock time in Asia/Shanghai, the harness tenant's zone. */
export const cst = (local: string) => DateTime.fromISO(local, { zone: 'Asia/Shanghai' }).toJSDate();
export const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

/** Monday 5 January 2026, 10:00 in Shanghai. */
export const T0 = cst('2026-01-05T10:00');

type NudgeRow = typeof nudges.$inferSelect;

/** What the recipient of a recorded nudge reads. */
export const nudgeText = (n: NudgeRow) => renderText(n.payload as Reply);

/**
 * Runners and lookups over the harness `current()` returns when they are called.
 * `errorTone`: a refusal must also be worded as an error (reply tone 'error').
 */
export function kit(current: () => Harness, opts: { errorTone?: boolean } = {}) {
  const db = () => current().db;

  /** Runs a command that must succeed; on failure the assertion message is the reply the user saw. */
  async function ok(text: string, user = 'alice') {
    const out = await current().run(text, user);
    expect(out.ok, `${text}\n${out.text}`).toBe(true);
    return out;
  }

  /** Runs a command that must be refused, and checks it changed nothing. */
  async function refused(text: string, user = 'alice') {
    const h = current();
    const before = h.snapshot();
    const out = await h.run(text, user);
    expect(out.ok, `${text}\n${out.text}`).toBe(false);
    if (opts.errorTone) expect(out.reply.tone).toBe('error');
    expect(h.snapshot()).toBe(before);
    return out;
  }

  /**
   * Sets the escalation channel (as alice, the admin) and delivers the note it
   * posts there on being set, to a port of its own, so a test's port hears only what follows.
   */
  async function escalationChannel(channel: string) {
    await ok(`/steward settings escalation-channel:${channel}`);
    await deliverDue(db(), new RecordingPort(), current().now);
  }

  const tenant = async () => (await db().select().from(tenants).get())!;
  const member = async (name: string) => (await db().select().from(members).where(eq(members.name, name)).get())!;
  const memberId = async (name: string) => (await member(name)).id;
  const accountId = async (name: string) => (await db().select().from(accounts).where(eq(accounts.name, name)).get())!.id;
  const nameOf = async (id: number | null) => (await db().select().from(members).where(eq(members.id, id!)).get())!.name;

  /** One sweep of the tenant as of `at`, in its own IMMEDIATE transaction, as the scheduler runs it. */
  const sweep = async (at: Date): Promise<SweepResult> => await transact(db(), async (tx) => sweepTenant(tx, await tenant(), at), { behavior: 'immediate' });

  /** Every recorded nudge, or every one of a kind, oldest first. */
  const allNudges = async (kind?: string): Promise<NudgeRow[]> =>
    await db()
      .select()
      .from(nudges)
      .where(kind === undefined ? undefined : eq(nudges.kind, kind))
      .orderBy(asc(nudges.id))
      .all();

  /**
   * Handlers let SQLite stamp `created_at` with the wall clock rather than the
   * engine's clock; a never-visited account or an untouched pairing is due from
   * that moment, so the tests pin it to the test clock.
   */
  const pinCreatedAt = (table: typeof accounts | typeof pairings, at: Date) => db().update(table).set({ createdAt: at }).run();

  return { ok, refused, escalationChannel, tenant, member, memberId, accountId, nameOf, sweep, allNudges, pinCreatedAt };
}

/** The remote chat platform: records every post, can be told to refuse the next ones. */
export class RecordingPort implements ChatPort {
  posts: { to: string; text: string; thread?: string; ts: string; reply: Reply }[] = [];
  attempts = 0;
  private refusals: DeliveryError[] = [];
  private seq = 0;
  refuseNext(...errors: DeliveryError[]) {
    this.refusals.push(...errors);
  }
  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    this.attempts++;
    const refusal = this.refusals.shift();
    if (refusal) throw refusal;
    const channel = 'channel' in to ? to.channel : `D-${to.dm.platformUserId}`;
    const ts = `1767600000.${String(++this.seq).padStart(6, '0')}`;
    this.posts.push({ to: 'channel' in to ? `#${to.channel}` : `@${to.dm.name}`, text: renderText(reply), thread: thread?.ts, ts, reply });
    return { channel: thread?.channel ?? channel, ts };
  }
  async update(): Promise<void> {}
}

/** A port nobody is listening on (on 127.0.0.1), for a server a test starts. */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
