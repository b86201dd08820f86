// Delivery under faults, against a real SQLite file: a database that cannot
// save (its commit refused), a workspace that refuses Steward as a whole, and a
// database shared by workspaces of several platforms. Only the remote chat
// platform is replaced, by a recording ChatPort.
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { members, nudges, tenants } from '../db/schema.js';
import { DeliveryError, type Destination, type PostedRef } from '../src/chat/port.js';
import { ShellPort } from '../src/chat/shell/port.js';
import type { Reply } from '../src/engine/reply.js';
import { deliverDue, deliverNudge, releaseStale, CLAIM_LEASE_MS } from '../src/scheduler/outbox.js';
import { harness, type Harness } from './harness.js';
import { DAY, kit, plus, RecordingPort, T0 } from './kit.js';
import { mapSeq } from './async-array.js';

let h: Harness;
let locker: Database.Database | undefined;
afterEach(() => {
  locker?.close();
  locker = undefined;
  h?.close();
});
const { ok, sweep, allNudges } = kit(() => h);

const row = async (id: number) => (await h.db.select().from(nudges).where(eq(nudges.id, id)).get())!;

/** Revisit nudges for zhang's and li's accounts, decided two weeks after a visit. */
async function setup(accounts = ['Acme']) {
  h = harness({ now: T0 });
  for (const [i, name] of accounts.entries()) {
    await ok(`/account add ${name} tier:strategic owner:@${i % 2 ? 'li' : 'zhang'}`);
    await ok(`/touch ${name} visit Walked the new warehouse`, i % 2 ? 'li' : 'zhang');
  }
  const due = plus(T0, 14 * DAY);
  const ids = (await sweep(due)).ids;
  expect(ids).toHaveLength(accounts.length);
  return { due, ids };
}

/**
 * A second connection that reads inside an open transaction. In rollback-journal
 * mode a writer may change pages while a reader holds its shared lock, but its
 * COMMIT needs the exclusive lock and fails with SQLITE_BUSY: a commit the disk
 * refuses, as a full disk's would be, with real SQLite.
 */
function refuseCommits(): () => void {
  h.db.$client.pragma('journal_mode = DELETE');
  h.db.$client.pragma('busy_timeout = 20');
  locker = new Database(h.file);
  locker.exec('BEGIN');
  locker.prepare('select count(*) from nudges').get();
  return () => locker!.exec('COMMIT');
}

/** A port whose post runs `during` first (to make the database refuse while the post is out). */
class HookedPort extends RecordingPort {
  constructor(private readonly during: () => void) {
    super();
  }
  override async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    this.during();
    return super.post(to, reply, thread);
  }
}

describe('a database that cannot save', () => {
  it('posts nothing while its claim cannot be saved, and the nudge once when it can', async () => {
    const { due, ids } = await setup();
    const release = refuseCommits();
    const port = new RecordingPort();
    await expect(deliverNudge(h.db, port, ids[0]!, due)).rejects.toMatchObject({ kind: 'transient' });
    await expect(deliverNudge(h.db, port, ids[0]!, due)).rejects.toMatchObject({ kind: 'transient' });
    expect(port.posts).toHaveLength(0);
    release();
    expect((await row(ids[0]!)).status).toBe('pending');
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(port.posts.map((p) => p.to)).toEqual(['@zhang']);
  });

  it('posted but not recorded as sent: it stays claimed and the next try does not post it again; only a lapsed lease lets it go again', async () => {
    const { due, ids } = await setup();
    const errors: unknown[] = [];
    const port = new HookedPort(() => {
      if (!locker) refuseCommits();
    });
    expect(await deliverNudge(h.db, port, ids[0]!, due, undefined, { error: (o: unknown) => void errors.push(o) })).toBe('sent');
    expect(errors).toHaveLength(1);
    locker!.exec('COMMIT');
    expect(await row(ids[0]!)).toMatchObject({ status: 'sending' });
    // The queue's retry, and a whole pass of due nudges: the claim is held, nothing goes out again.
    await expect(deliverNudge(h.db, port, ids[0]!, due)).rejects.toMatchObject({ kind: 'transient' });
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(await releaseStale(h.db, new Date())).toBe(0);
    expect(port.posts).toHaveLength(1);
    // Its lease ran out (the process that held it may have died before it posted): Steward prefers a rare repeat to a lost message.
    expect(await releaseStale(h.db, new Date(Date.now() + CLAIM_LEASE_MS + 1000))).toBe(1);
    expect((await row(ids[0]!)).status).toBe('pending');
  });
});

describe('a workspace that refuses Steward as a whole', () => {
  it('invalid_auth keeps every nudge pending, asks the platform once per pass, tells the admin once, and all go out when it is fixed', async () => {
    const { due, ids } = await setup(['Acme', 'Beta', 'Gamma']);
    const port = new RecordingPort();
    port.refuseNext(new DeliveryError('workspace', 'Slack: invalid_auth'));
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(port.attempts).toBe(1);
    expect(await mapSeq(ids, async (id) => (await row(id)).status)).toEqual(['pending', 'pending', 'pending']);
    expect((await row(ids[0]!)).lastError).toBe('Slack: invalid_auth');
    // Refused again in a later pass: the admin's notice of this outage is still waiting, and is not recorded twice.
    port.refuseNext(new DeliveryError('workspace', 'Slack: invalid_auth'));
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 4, skipped: 0, failed: 0 });
    expect(port.posts.map((p) => `${p.to} ${p.text.split('\n')[0]}`).sort()).toEqual([
      '@alice ! Steward could not post to this workspace',
      '@li ! Beta (strategic) is due for a revisit',
      '@zhang ! Acme (strategic) is due for a revisit',
      '@zhang ! Gamma (strategic) is due for a revisit',
    ]);
  });
});

describe('one database, several platforms', () => {
  it('a shell on a Slack deployment’s database neither prints nor marks sent the Slack workspace’s nudges', async () => {
    const { due, ids } = await setup();
    await h.db.update(tenants).set({ platform: 'slack', workspaceId: 'T123' }).run();
    let printed = '';
    const shell = new ShellPort(new Writable({ write: (chunk, _enc, done) => ((printed += String(chunk)), done()) }));
    expect(await deliverDue(h.db, shell, due)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    await expect(deliverNudge(h.db, shell, ids[0]!, due)).rejects.toMatchObject({ kind: 'transient' });
    expect(printed).toBe('');
    expect((await row(ids[0]!)).status).toBe('pending');
    // The Slack process delivers it.
    const slack = Object.assign(new RecordingPort(), { platform: 'slack' as const });
    expect(await deliverDue(h.db, slack, due)).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect((await allNudges()).map((n) => n.status)).toEqual(['sent']);
  });
});

describe('one connection, another flow in a transaction', () => {
  it("a delivery's own writes are not undone with a command refused meanwhile on the same connection", async () => {
    const { due, ids } = await setup();
    // zhang left: the nudge is skipped, not posted.
    await h.db.update(members).set({ active: false }).where(eq(members.name, 'zhang')).run();
    const port = new RecordingPort();
    // The delivery's claim first; a command refused after its reads takes the connection's turn next.
    const [result, refused] = await Promise.all([deliverNudge(h.db, port, ids[0]!, due), h.run('/touch Nowhere visit Walked the floor', 'li')]);
    expect(refused.ok).toBe(false);
    expect(result).toBe('skipped');
    expect(port.posts).toHaveLength(0);
    expect(await row(ids[0]!)).toMatchObject({ status: 'skipped', lastError: 'recipient gone' });
  });

  it('a lost claim released while a command refused meanwhile holds the connection stays released', async () => {
    const { due, ids } = await setup();
    await h.db
      .update(nudges)
      .set({ status: 'sending', claimedAt: plus(due, -2 * CLAIM_LEASE_MS) })
      .run();
    const [refused, released] = await Promise.all([h.run('/touch Nowhere visit Walked the floor', 'li'), releaseStale(h.db, due)]);
    expect(refused.ok).toBe(false);
    expect(released).toBe(1);
    expect((await row(ids[0]!)).status).toBe('pending');
  });
});
