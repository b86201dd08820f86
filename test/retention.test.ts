// What the sweep forgets (src/domain/retention.ts, src/scheduler/retention.ts): seeded books with
// old and new rows of every kind, against a real SQLite file; then the meaning of the rules through
// the real sweep, engine and Slack request check.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { seeded } from '../bench/lib.js';
import { closeDb, openDb, type Db } from '../db/index.js';
import { inboundEvents, nudges, seenRequests, tenants, touchpoints } from '../db/schema.js';
import { SIGNATURE_WINDOW_MS } from '../src/chat/replay.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { checkSlackRequest } from '../src/chat/slack/receiver.js';
import { loadConfig } from '../src/config.js';
import { AUDIT_MIN_DAYS, REQUEST_SLACK_MS } from '../src/domain/retention.js';
import { runRetention, type RetentionOptions } from '../src/scheduler/retention.js';
import { harness, type Harness } from './harness.js';
import { DAY, HOUR, kit, MINUTE, plus, T0 } from './kit.js';

const RETENTION = 400;
const EVENTS = 7;
/** Small batches and pages, no pause to speak of: many transactions over a small book. */
const SMALL: RetentionOptions = { batch: 3, maxBatch: 7, page: 40, pace: 0, holdMs: 1_000 };

const PURGED = new Set(['nudges', 'audit_log', 'inbound_events', 'seen_requests']);

let dir: string | undefined;
let db: Db | undefined;
let h: Harness | undefined;
afterEach(() => {
  if (db) closeDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
  h?.close();
  h = undefined;
});

type Row = Record<string, unknown>;
const all = (d: Db, table: string): Row[] => d.$client.prepare(`select * from "${table}" order by rowid`).all() as Row[];

/** Every table but the purged ones, without the next checks (a purged revisit, pairing or promise nudge rechecks its subject, by trigger). */
function others(d: Db): string {
  const names = (
    d.$client.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name").all() as { name: string }[]
  )
    .map((r) => r.name)
    .filter((n) => !PURGED.has(n));
  return JSON.stringify(names.map((n) => [n, all(d, n).map(({ next_check_at: _, ...r }) => r)]));
}

const FINAL = new Set(['sent', 'failed', 'skipped']);
const STATUSES = ['pending', 'sending', 'sent', 'sent', 'sent', 'failed', 'skipped'] as const;

/**
 * A book of two workspaces over three retention periods: nudges of every kind and state (revisit
 * rounds of several steps, pairings, promises open and closed, escalations, health, digests), audit
 * rows, event ids and signatures, old and new, in the order they were written.
 */
function seedBook(d: Db, seed: number, now: number) {
  const r = seeded(seed);
  const c = d.$client;
  c.prepare("insert into tenants (id, platform, workspace_id, locale, timezone) values (1, 'slack', 'T1', 'en', 'UTC'), (2, 'lark', 'L1', 'zh-CN', 'Asia/Shanghai')").run();
  c.prepare("insert into members (id, tenant_id, platform_user_id, name) values (1, 1, 'U1', 'Li'), (2, 2, 'U2', 'Wang')").run();
  const accounts = 12;
  for (let i = 1; i <= accounts; i++)
    c.prepare('insert into accounts (id, tenant_id, name, name_key, owner_id) values (?, ?, ?, ?, ?)').run(i, 1 + (i % 2), `A${i}`, `a${i}`, 1 + (i % 2));
  for (let i = 1; i <= 4; i++)
    c.prepare("insert into promises (id, tenant_id, number, account_id, text, due_on, status) values (?, ?, ?, ?, 'x', '2026-01-01', ?)").run(
      i,
      1 + (i % 2),
      i,
      i,
      r.pick(['open', 'kept', 'broken']),
    );
  for (let i = 1; i <= 4; i++) c.prepare('insert into pairings (id, tenant_id, account_id, exec_id) values (?, ?, ?, ?)').run(i, 1 + (i % 2), i, 1 + (i % 2));
  const span = 3 * RETENTION * DAY;
  const times = (n: number) => Array.from({ length: n }, () => now - Math.floor(r.next() * span)).sort((a, b) => a - b);
  // Nudges in the order they were decided, each key once.
  const keys = new Set<string>();
  const insert = c.prepare(
    'insert into nudges (tenant_id, dedupe_key, kind, subject_type, subject_id, period, status, created_at, sent_at) values (@tenant, @key, @kind, @type, @subject, @period, @status, @at, @sent)',
  );
  const rounds = new Map<number, { day: string; step: number }>();
  for (const at of times(300)) {
    const status = r.pick(STATUSES);
    // Sent a little after it was decided (or, now and then, long after: a nudge that waited).
    const sent = status === 'sent' ? at + (r.int(10) === 0 ? r.int(40) * DAY : r.int(HOUR)) : null;
    const kind = r.pick(['revisit', 'revisit', 'revisit', 'pairing', 'promise', 'promise', 'escalation', 'health', 'digest', 'checklist'] as const);
    let type = 'account';
    let subject = 1 + r.int(accounts);
    let period: string;
    if (kind === 'revisit') {
      // A new round now and then; otherwise the next step of the account's round.
      let round = rounds.get(subject);
      if (!round || r.int(4) === 0) rounds.set(subject, (round = { day: new Date(at).toISOString().slice(0, 10), step: 0 }));
      round.step++;
      period = `${round.day}:${r.int(6) === 0 ? `m${round.step}` : round.step}`;
    } else if (kind === 'pairing') {
      type = 'pairing';
      subject = 1 + r.int(4);
      period = new Date(at).toISOString().slice(0, 10);
    } else if (kind === 'promise') {
      type = 'promise';
      subject = 1 + r.int(4);
      period = `${r.int(3)}${r.pick(['eve', 'due', 'manager'])}`;
    } else if (kind === 'escalation') {
      type = 'complaint';
      period = `${1 + r.int(3)}:${r.int(1000)}`;
    } else {
      type = kind === 'health' ? 'account' : 'member';
      period = `${new Date(at).toISOString().slice(0, 10)}:${r.int(1000)}`;
    }
    // Each subject in its workspace, as the rows it is about.
    const tenant = 1 + (subject % 2);
    const key = `${kind}:${subject}:${period}`;
    if (keys.has(`${tenant}:${key}`)) continue;
    keys.add(`${tenant}:${key}`);
    insert.run({ tenant, key, kind, type, subject, period, status, at, sent });
  }
  const audit = c.prepare("insert into audit_log (tenant_id, action, entity, at) values (?, 'touch.log', 'touchpoint', ?)");
  for (const at of times(90)) audit.run(1 + r.int(2), at);
  const event = c.prepare('insert into inbound_events (platform, event_id, received_at) values (?, ?, ?)');
  // Event ids over a month, many within the last week.
  for (let i = 0; i < 120; i++) event.run(r.pick(['slack', 'lark']), `Ev${seed}-${i}`, now - Math.floor(r.next() * 30 * DAY));
  const request = c.prepare('insert into seen_requests (key, expires_at) values (?, ?)');
  for (let i = 0; i < 60; i++) request.run(`slack:v0=${seed}-${i}`, now - Math.floor((r.next() - 0.5) * 4 * SIGNATURE_WINDOW_MS));
}

/** The rows the rules keep, worked out from the rows themselves (the rules of src/domain/retention.ts, read plainly). */
function expected(d: Db, now: number) {
  const cutoff = now - RETENTION * DAY;
  const ns = all(d, 'nudges') as {
    id: number;
    tenant_id: number;
    kind: string;
    subject_type: string;
    subject_id: number;
    period: string;
    status: string;
    created_at: number;
    sent_at: number | null;
  }[];
  const open = new Set((all(d, 'promises') as { id: number; status: string }[]).filter((p) => p.status === 'open').map((p) => p.id));
  const old = (n: (typeof ns)[number]) => FINAL.has(n.status) && (n.sent_at ?? n.created_at) < cutoff;
  const group = (n: (typeof ns)[number]) => `${n.tenant_id}|${n.kind}|${n.subject_type}|${n.subject_id}`;
  const round = (n: (typeof ns)[number]) => (n.kind === 'revisit' ? n.period.slice(0, 10) : String(n.id));
  const gone = (n: (typeof ns)[number]) =>
    old(n) &&
    n.kind !== 'escalation' &&
    ns.some((m) => group(m) === group(n) && m.id > n.id && round(m) !== round(n)) &&
    ns.every((m) => group(m) !== group(n) || round(m) !== round(n) || old(m)) &&
    !(n.kind === 'promise' && open.has(n.subject_id));
  return {
    nudges: ns.filter((n) => !gone(n)).map((n) => n.id),
    audit: (all(d, 'audit_log') as { id: number; at: number }[]).filter((a) => a.at >= cutoff).map((a) => a.id),
    events: (all(d, 'inbound_events') as { event_id: string; received_at: number }[]).filter((e) => e.received_at >= now - EVENTS * DAY).map((e) => e.event_id),
    requests: (all(d, 'seen_requests') as { key: string; expires_at: number }[]).filter((q) => q.expires_at >= now - REQUEST_SLACK_MS).map((q) => q.key),
  };
}

function remaining(d: Db) {
  return {
    nudges: (all(d, 'nudges') as { id: number }[]).map((n) => n.id),
    audit: (all(d, 'audit_log') as { id: number }[]).map((a) => a.id),
    events: (all(d, 'inbound_events') as { event_id: string }[]).map((e) => e.event_id),
    requests: (all(d, 'seen_requests') as { key: string }[]).map((q) => q.key),
  };
}

function book(seed: number, now: number): Db {
  dir = mkdtempSync(join(tmpdir(), 'steward-retention-'));
  db = openDb(join(dir, 'steward.db'));
  seedBook(db, seed, now);
  return db;
}

const NOW = Date.parse('2026-11-23T02:00:00Z');
const tenantsOf = (d: Db) => d.select().from(tenants).all();

describe('retention over seeded books', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: exactly the old rows the rules allow go, in bounded batches; nothing else changes; a second run deletes nothing', async (seed) => {
    const d = book(seed, NOW);
    const want = expected(d, NOW);
    const before = others(d);
    const counts = { nudges: all(d, 'nudges').length, audit: all(d, 'audit_log').length };
    const r = await runRetention(d, await tenantsOf(d), new Date(NOW), { days: RETENTION, eventDays: EVENTS }, SMALL);
    expect(remaining(d)).toEqual(want);
    // Something of each kind went, and something of each stayed: the seeds make books worth testing.
    expect(r.deleted.nudges).toBe(counts.nudges - want.nudges.length);
    expect(r.deleted.nudges).toBeGreaterThan(0);
    expect(want.nudges.length).toBeGreaterThan(0);
    expect(r.deleted.audit).toBe(counts.audit - want.audit.length);
    expect(r.deleted.events).toBeGreaterThan(0);
    expect(r.deleted.requests).toBeGreaterThan(0);
    // Never more than a batch a transaction.
    expect(Math.max(...r.rows)).toBeLessThanOrEqual(SMALL.maxBatch!);
    expect(r.rows.reduce((a, b) => a + b, 0)).toBe(r.deleted.nudges + r.deleted.audit + r.deleted.events + r.deleted.requests);
    expect(others(d)).toBe(before);
    const again = await runRetention(d, await tenantsOf(d), new Date(NOW), { days: RETENTION, eventDays: EVENTS }, SMALL);
    expect(again.deleted).toEqual({ nudges: 0, audit: 0, events: 0, requests: 0 });
    expect(remaining(d)).toEqual(want);
  });

  it('a run cut short after any number of batches, run again, ends where one whole run ends', async () => {
    const d = book(11, NOW);
    const want = expected(d, NOW);
    // Runs cut short after 1, 2, 3... write transactions, one after the other, until one is not.
    let runs = 0;
    for (let stop = 1; ; stop++) {
      const r = await runRetention(d, await tenantsOf(d), new Date(NOW), { days: RETENTION, eventDays: EVENTS }, { ...SMALL, stopAfter: stop });
      runs++;
      if (!r.stopped) break;
      expect(r.batches).toBe(stop);
    }
    expect(runs).toBeGreaterThan(3);
    expect(remaining(d)).toEqual(want);
  });

  it('a run out of its time budget starts no write and says it stopped; the next run goes on', async () => {
    const d = book(9, NOW);
    const want = expected(d, NOW);
    const before = remaining(d);
    const r = await runRetention(d, await tenantsOf(d), new Date(NOW), { days: RETENTION, eventDays: EVENTS }, { ...SMALL, budgetMs: -1 });
    expect(r).toMatchObject({ batches: 0, stopped: true, deleted: { nudges: 0, audit: 0, events: 0, requests: 0 } });
    expect(remaining(d)).toEqual(before);
    expect((await runRetention(d, await tenantsOf(d), new Date(NOW), { days: RETENTION, eventDays: EVENTS }, SMALL)).stopped).toBe(false);
    expect(remaining(d)).toEqual(want);
  });

  it('off keeps everything but expired signatures, which are never worth keeping', async () => {
    const d = book(5, NOW);
    const want = expected(d, NOW);
    const before = remaining(d);
    const r = await runRetention(d, await tenantsOf(d), new Date(NOW), {}, SMALL);
    expect(r.deleted).toEqual({ nudges: 0, audit: 0, events: 0, requests: before.requests.length - want.requests.length });
    expect(remaining(d)).toEqual({ ...before, requests: want.requests });
  });

  it('a larger batch is still bounded by the largest batch, and the batches grow from the first while they are quick', async () => {
    const d = book(3, NOW);
    const r = await runRetention(d, await tenantsOf(d), new Date(NOW), { days: RETENTION, eventDays: EVENTS }, { batch: 2, maxBatch: 16, page: 1_000, pace: 0, holdMs: 1_000 });
    expect(r.rows[0]).toBeLessThanOrEqual(2);
    expect(Math.max(...r.rows)).toBeLessThanOrEqual(16);
    expect(Math.max(...r.rows)).toBeGreaterThan(2);
  });
});

describe('what the rules keep, through the real sweep and engine', () => {
  const ago = (days: number) => plus(T0, days * DAY);

  it('an account overdue longer than the retention keeps its round whole: the owner is still reminded weekly, one step after the other', async () => {
    h = harness({ now: T0 });
    const { ok, sweep } = kit(() => h!);
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    // Reminded weekly for 60 weeks, never visited.
    let at = ago(14);
    for (let w = 0; w < 60; w++, at = plus(at, 7 * DAY)) await sweep(at);
    await h.db.update(nudges).set({ status: 'sent' }).run();
    const steps = await h.db.select().from(nudges).where(eq(nudges.kind, 'revisit')).all();
    expect(steps.length).toBeGreaterThan(55);
    const r = await runRetention(h.db, await tenantsOf(h.db), at, { days: RETENTION, eventDays: EVENTS }, SMALL);
    expect(r.deleted.nudges).toBe(0);
    const next = await sweep(at);
    const keys = (await h.db.select({ key: nudges.dedupeKey }).from(nudges).where(eq(nudges.kind, 'revisit')).all()).map((n) => n.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(next.counts.revisit).toBe(1);
    expect(keys.at(-1)).toMatch(new RegExp(`:${steps.filter((s) => /:\d+$/.test(s.dedupeKey)).length + 1}$`));
  });

  it('an account visited since: its old round goes once it is all past the retention, and the sweep after decides nothing again', async () => {
    h = harness({ now: T0 });
    const { ok, sweep } = kit(() => h!);
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    await sweep(ago(14));
    await sweep(ago(21));
    await h.db.update(nudges).set({ status: 'sent' }).run();
    h.now = ago(22);
    await ok('/touch Acme visit Back again', 'zhang');
    await sweep(ago(36));
    await h.db.update(nudges).set({ status: 'sent' }).run();
    const before = (await h.db.select({ key: nudges.dedupeKey }).from(nudges).all()).map((n) => n.key);
    expect(before).toHaveLength(3);
    // 400 days after the first round's last step, before the second round's: only the first round goes.
    const at = plus(ago(21), RETENTION * DAY + HOUR);
    const r = await runRetention(h.db, await tenantsOf(h.db), at, { days: RETENTION, eventDays: EVENTS }, SMALL);
    expect(r.deleted.nudges).toBe(2);
    expect((await h.db.select({ key: nudges.dedupeKey }).from(nudges).all()).map((n) => n.key)).toEqual([before[2]]);
    // The purge rechecks the account (a trigger); deciding it again, as of the second round's next step only.
    expect((await sweep(plus(ago(36), 7 * DAY))).counts.revisit).toBe(1);
  });

  it('a platform redelivery within its retry window after a retention run is still one command', async () => {
    h = harness({ now: T0 });
    const { ok } = kit(() => h!);
    await ok('/account add Acme tier:key owner:@zhang');
    const send = () =>
      h!.engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('zhang'), text: '/touch Acme call Redelivered', dedupeKey: 'ev-1' }, async (m) =>
        shellUser(m),
      );
    await send();
    // Lark's last redelivery comes about 7 hours later; retention ran in between (the shortest setting is a day).
    h.now = plus(T0, 7 * HOUR);
    await runRetention(h.db, await tenantsOf(h.db), h.now, { days: RETENTION, eventDays: 1 }, SMALL);
    expect((await send()).duplicate).toBe(true);
    expect(await h.db.select().from(touchpoints).where(eq(touchpoints.note, 'Redelivered')).all()).toHaveLength(1);
    // Past the setting the id is forgotten: no platform redelivers that late, so it would be a new event.
    h.now = plus(T0, 8 * DAY);
    const r = await runRetention(h.db, await tenantsOf(h.db), h.now, { days: RETENTION, eventDays: EVENTS }, SMALL);
    expect(r.deleted.events).toBe(1);
    expect(await h.db.select().from(inboundEvents).all()).toEqual([]);
  });

  it('a signed Slack request replayed after its signature is forgotten is refused by its timestamp; until then by the store', async () => {
    h = harness({ now: T0 });
    const secret = 'shhh';
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const body = Buffer.from('token=x&command=%2Ftouch&text=Acme+call');
    const headers = {
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex')}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const first = (key: string, expiresAt: Date, at: Date) => h!.engine.firstRequest(key, expiresAt, at);
    expect(await checkSlackRequest(secret, body, headers, first, now)).toEqual({ ok: true });
    // A retention run a minute later keeps it: still inside its window.
    await runRetention(h.db, [], new Date(now + MINUTE), {}, SMALL);
    expect(await h.db.select().from(seenRequests).all()).toHaveLength(1);
    expect(await checkSlackRequest(secret, body, headers, first, now + MINUTE)).toMatchObject({ ok: false, reason: 'replayed request' });
    // A window past its expiry it is forgotten; the replay is refused all the same.
    const later = now + 2 * SIGNATURE_WINDOW_MS + MINUTE;
    expect((await runRetention(h.db, [], new Date(later), {}, SMALL)).deleted.requests).toBe(1);
    expect(await checkSlackRequest(secret, body, headers, first, later)).toMatchObject({ ok: false, reason: 'timestamp outside the 5-minute window' });
  });

  it('the slack a signature is kept after its expiry is one signature window', () => {
    expect(REQUEST_SLACK_MS).toBe(SIGNATURE_WINDOW_MS);
  });
});

describe('settings', () => {
  it('RETENTION_DAYS and EVENT_RETENTION_DAYS: defaults, off, and a floor each', () => {
    expect(loadConfig({})).toMatchObject({ RETENTION_DAYS: 400, EVENT_RETENTION_DAYS: 7 });
    expect(loadConfig({ RETENTION_DAYS: 'off', EVENT_RETENTION_DAYS: '0' })).toMatchObject({ RETENTION_DAYS: null, EVENT_RETENTION_DAYS: null });
    expect(loadConfig({ RETENTION_DAYS: '730', EVENT_RETENTION_DAYS: '2' })).toMatchObject({ RETENTION_DAYS: 730, EVENT_RETENTION_DAYS: 2 });
    expect(() => loadConfig({ RETENTION_DAYS: '90' })).toThrow(
      `RETENTION_DAYS: expected at least ${AUDIT_MIN_DAYS} days (the health score reads audit rows that far back), or off, got "90"`,
    );
    expect(() => loadConfig({ EVENT_RETENTION_DAYS: 'soon' })).toThrow('EVENT_RETENTION_DAYS: expected a number of days, or off, got "soon"');
  });
});
