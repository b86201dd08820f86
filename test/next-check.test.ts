// The sweep reads only accounts whose next check has come (accounts.next_check_at, src/domain/sweep.ts).
// Sound only if every change that can bring an account due sooner lowers its check: each test below
// makes one such change after a sweep has put the account's check in the future, and asserts that the
// next sweep decides exactly what a sweep reading the whole book (every check reset) decides, and that
// this is not nothing. A property test then runs random books and random writes, the clock's batched
// sweep against the whole-book one, step by step.
import { and, eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, complaints, members, nudges, pairings, promises, reviewItems, tenants, touchpoints } from '../db/schema.js';
import { claimAccounts, decideAccounts, recordAccounts, sweepTenant } from '../src/domain/sweep.js';
import { runSweep } from '../src/scheduler/sweep.js';
import { nudgeViews } from '../src/views/nudges.js';
import { harness, type Harness } from './harness.js';
import { seeded } from '../bench/lib.js';
import { cst, DAY, kit, plus } from './kit.js';
import { transact } from '../db/index.js';
import { mapSeq } from './async-array.js';

let h: Harness;
const { ok } = kit(() => h);
afterEach(() => h?.close());

class Rollback {}
const tenant = async () => (await h.db.select().from(tenants).get())!;
const keysOf = async (ids: number[]) =>
  ids.length
    ? await byAccount(
        h.db,
        (await h.db.select({ k: nudges.dedupeKey }).from(nudges).where(inArray(nudges.id, ids)).all()).map((r) => r.k),
      )
    : [];

/**
 * Keys with each review item's id read as its account's (review:<item>:<week> -> review:account <id>:<week>): an item's id
 * is the order in which sweeps made the season's items, which differs between two sweeps at once and one whole-book sweep.
 */
async function byAccount(tx: Pick<typeof h.db, 'select'>, keys: string[]): Promise<string[]> {
  return (
    await mapSeq(keys, async (k) => {
      const m = /^review:(\d+):(.*)$/.exec(k);
      if (!m) return k;
      const item = await tx
        .select({ a: reviewItems.accountId })
        .from(reviewItems)
        .where(eq(reviewItems.id, Number(m[1])))
        .get();
      return `review:account ${item?.a}:${m[2]}`;
    })
  ).sort();
}

/** What a sweep over the whole book (every account's check reset) decides at `at`; nothing of it is kept. */
async function fromScratch(at: Date): Promise<string[]> {
  let keys: string[] = [];
  try {
    await transact(h.db, async (tx) => {
      await tx.update(accounts).set({ nextCheckAt: 0 }).run();
      await tx.update(promises).set({ nextCheckAt: 0 }).run();
      await tx.update(complaints).set({ nextCheckAt: 0 }).run();
      const r = await sweepTenant(tx, await tenant(), at, nudgeViews);
      keys = await byAccount(
        tx,
        (
          await tx
            .select({ k: nudges.dedupeKey })
            .from(nudges)
            .where(r.ids.length ? inArray(nudges.id, r.ids) : eq(nudges.id, -1))
            .all()
        ).map((x) => x.k),
      );
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  return keys;
}

/** The sweep with the maintained checks, as the clock runs it; asserts it decides what the whole-book sweep decides. */
async function sweepAgrees(at: Date): Promise<string[]> {
  const expected = await fromScratch(at);
  const ids: number[] = [];
  // Cut short (a crash, a restart) after some write transactions, then run again from the start.
  const stopAfter = cutAfter?.();
  if (stopAfter !== undefined) ids.push(...(await runSweep(h.db, await tenant(), at, { batch: 2, stopAfter })).ids);
  if (overlapping) {
    // Two sweeps at once, at different paces and batch sizes (one overtaken by the next, or a second process's).
    const [a, b] = await Promise.all([runSweep(h.db, await tenant(), at, { batch: 2, pace: 3 }), runSweep(h.db, await tenant(), at, { batch: 3, pace: 0 })]);
    ids.push(...a.ids, ...b.ids);
  } else ids.push(...(await runSweep(h.db, await tenant(), at, { batch: 2 })).ids);
  // Each nudge decided once: no id twice, and no key twice.
  expect(new Set(ids).size).toBe(ids.length);
  const got = await keysOf(ids);
  expect(new Set(got).size).toBe(got.length);
  expect(got).toEqual(expected);
  return got;
}

/** When set, each sweepAgrees first runs a sweep stopped after this many write transactions. */
let cutAfter: (() => number) | undefined;
/** When set, each sweepAgrees runs two sweeps at once (after the cut one, if any) instead of one. */
let overlapping = false;

const accountId = async (name: string) => (await h.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.name, name)).get())!.id;
const memberId = async (name: string) => (await h.db.select({ id: members.id }).from(members).where(eq(members.name, name)).get())!.id;
const checkOf = async (name: string) => (await h.db.select({ at: accounts.nextCheckAt }).from(accounts).where(eq(accounts.name, name)).get())!.at;

/** Monday 5 January 2026 10:00: Acme (standard, zhang's, manager li) visited today; due in 90 days. */
async function book() {
  h = harness({ now: cst('2026-01-05T10:00') });
  await ok('/steward team @zhang manager:@li');
  await ok('/steward role @chen exec');
  await ok('/account add Acme tier:standard owner:@zhang');
  await ok('/touch Acme visit Kick-off', 'zhang');
}

/** A sweep now, after which Acme's check is in the future (later than `by`). */
async function settled(by: Date) {
  await sweepAgrees(h.now);
  expect(await checkOf('Acme')).toBeGreaterThan(by.getTime());
}

describe('what lowers an account’s next check', () => {
  it('a new account is checked at once', async () => {
    await book();
    h.now = plus(h.now, 91 * DAY);
    h.db.$client
      .prepare("insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at) values (?, 'Beta', 'beta', 'strategic', ?, ?)")
      .run((await tenant()).id, await memberId('zhang'), h.now.getTime() - 30 * DAY);
    expect(await sweepAgrees(h.now)).toContainEqual(expect.stringMatching(new RegExp(`^revisit:${await accountId('Beta')}:`)));
  });

  it('a tier change (/account set tier)', async () => {
    await book();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await ok('/account set Acme tier:strategic');
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });

  it('a cadence of its own (/account set cadence)', async () => {
    await book();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await ok('/account set Acme cadence:10');
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });

  it("the workspace's cadence settings (/steward settings cadence-standard)", async () => {
    await book();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await ok('/steward settings cadence-standard:10d cadence-key:10d cadence-strategic:10d');
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });

  it("the workspace's time zone (a day's period is the workspace's)", async () => {
    await book();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await h.db.update(tenants).set({ timezone: 'America/New_York' }).run();
    expect(await checkOf('Acme')).toBe(0);
  });

  it('the last visit deleted', async () => {
    await book();
    await h.db
      .update(accounts)
      .set({ createdAt: plus(h.now, -200 * DAY) })
      .where(eq(accounts.id, await accountId('Acme')))
      .run();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await h.db
      .delete(touchpoints)
      .where(eq(touchpoints.accountId, await accountId('Acme')))
      .run();
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });

  it('the last visit moved earlier, or turned into a call', async () => {
    await book();
    await h.db
      .update(accounts)
      .set({ createdAt: plus(h.now, -200 * DAY) })
      .where(eq(accounts.id, await accountId('Acme')))
      .run();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await h.db
      .update(touchpoints)
      .set({ occurredAt: plus(h.now, -100 * DAY) })
      .where(eq(touchpoints.accountId, await accountId('Acme')))
      .run();
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
    h.now = plus(h.now, DAY);
    await ok('/touch Acme visit Back again', 'zhang');
    await settled(plus(h.now, 60 * DAY));
    await h.db
      .update(touchpoints)
      .set({ kind: 'call' })
      .where(eq(touchpoints.accountId, await accountId('Acme')))
      .run();
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });

  it('a snooze taken back', async () => {
    await book();
    h.now = plus(h.now, 91 * DAY);
    expect(await sweepAgrees(h.now)).toHaveLength(1);
    // Told Monday 6 April 10:00; then snoozed for three weeks (as "not needed" would, for longer).
    const told = h.now;
    h.db.$client
      .prepare("insert into nudge_snoozes (tenant_id, kind, subject_id, member_id, until, created_at) values (?, 'revisit', ?, ?, ?, ?)")
      .run((await tenant()).id, await accountId('Acme'), await memberId('zhang'), plus(told, 21 * DAY).getTime(), told.getTime());
    h.now = plus(h.now, DAY);
    await settled(plus(h.now, 10 * DAY));
    h.db.$client.prepare('delete from nudge_snoozes').run();
    // Without the snooze, the week's reminder is due a week after the owner was told.
    expect(await sweepAgrees(plus(told, 7 * DAY + 60_000))).toEqual([expect.stringMatching(/:2$/)]);
  });

  it('a handover (/account set owner): the new owner hears at once', async () => {
    await book();
    h.now = plus(h.now, 91 * DAY);
    await settled(h.now);
    await ok('/account set Acme owner:@wang');
    const keys = await sweepAgrees(plus(h.now, 60_000));
    expect(keys).toHaveLength(1);
    expect((await h.db.select({ to: nudges.recipientId }).from(nudges).where(eq(nudges.dedupeKey, keys[0]!)).get())!.to).toBe(await memberId('wang'));
  });

  it('an owner who had left comes back', async () => {
    await book();
    await h.db.update(members).set({ active: false }).where(eq(members.name, 'zhang')).run();
    h.now = plus(h.now, 91 * DAY);
    expect(await sweepAgrees(h.now)).toEqual([]);
    expect(await checkOf('Acme')).toBeGreaterThan(h.now.getTime());
    await h.db.update(members).set({ active: true }).where(eq(members.name, 'zhang')).run();
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });

  it('a manager given to an owner whose account is long overdue (/steward team)', async () => {
    await book();
    await h.db.update(members).set({ managerId: null }).where(eq(members.name, 'zhang')).run();
    // Due Sunday 5 April 10:00; the owner is told on the Mondays 6, 13 and 20 April.
    for (const day of ['2026-04-06T10:00', '2026-04-13T10:00', '2026-04-20T10:00']) {
      h.now = cst(day);
      expect(await sweepAgrees(h.now)).toHaveLength(1);
    }
    // Two weeks overdue and told three times: only a manager is missing.
    h.now = plus(h.now, 60_000);
    await settled(plus(h.now, 5 * DAY));
    await ok('/steward team @zhang manager:@li');
    const keys = await sweepAgrees(plus(h.now, 60_000));
    expect(keys).toEqual([expect.stringMatching(/:m1$/)]);
  });

  it('a pairing begun, and its executive’s visit taken back', async () => {
    await book();
    h.now = plus(h.now, 20 * DAY);
    await settled(plus(h.now, 60 * DAY));
    await h.db
      .insert(pairings)
      .values({
        tenantId: (await tenant()).id,
        accountId: await accountId('Acme'),
        execId: await memberId('chen'),
        cadenceDays: 30,
        active: true,
        createdAt: plus(h.now, -40 * DAY),
      })
      .run();
    expect(await sweepAgrees(plus(h.now, 60_000))).toEqual([expect.stringMatching(/^pairing:/)]);
    h.now = plus(h.now, DAY);
    await ok('/touch Acme visit Dinner with their CEO', 'chen');
    await settled(plus(h.now, 20 * DAY));
    await h.db
      .delete(touchpoints)
      .where(eq(touchpoints.memberId, await memberId('chen')))
      .run();
    // The pairing's round is the same as before (due on the same day): decided already, nothing new, as from scratch.
    await sweepAgrees(plus(h.now, 60_000));
    await h.db.update(pairings).set({ cadenceDays: 10 }).run();
    expect(await sweepAgrees(plus(h.now, 120_000))).toEqual([expect.stringMatching(/^pairing:/)]);
  });

  it('a review item deleted in the season is made again', async () => {
    h = harness({ now: cst('2026-09-07T10:00') });
    await ok('/account add Acme tier:key owner:@zhang');
    await ok('/touch Acme visit Kick-off', 'zhang');
    await sweepAgrees(h.now);
    expect(await h.db.select().from(reviewItems).all()).toHaveLength(1);
    h.now = plus(h.now, DAY);
    expect(await checkOf('Acme')).toBeGreaterThan(h.now.getTime());
    await h.db.delete(reviewItems).run();
    await sweepAgrees(h.now);
    expect(await h.db.select().from(reviewItems).all()).toHaveLength(1);
  });

  it('a revisit nudge taken back is decided again', async () => {
    await book();
    h.now = plus(h.now, 91 * DAY);
    await settled(h.now);
    await h.db.delete(nudges).where(eq(nudges.kind, 'revisit')).run();
    expect(await sweepAgrees(plus(h.now, 60_000))).toHaveLength(1);
  });
});

describe('the clock decides a batch outside the write lock', () => {
  it('an account visited after its batch was decided and before it was recorded: the stale plan is dropped, and it is decided from the visit', async () => {
    await book();
    await ok('/account add Beta tier:standard owner:@zhang');
    h.now = plus(h.now, 91 * DAY);
    const at = h.now;
    const ids = [await accountId('Acme'), await accountId('Beta')];
    const claim = -12345;
    // The clock's steps, in turn: claim (a write), decide (a read), then a command, then record (a write).
    await transact(h.db, async (tx) => claimAccounts(tx, (await tenant()).id, at, ids, claim));
    const plan = await transact(h.db, async (tx) => decideAccounts(tx, await tenant(), at, nudgeViews, ids, claim));
    expect(plan.nudges.map((n) => n.subjectId).sort()).toEqual([...ids].sort());
    await ok('/touch Acme visit Follow-up', 'zhang');
    const r = await transact(h.db, async (tx) => recordAccounts(tx, await tenant(), plan, claim));
    // Beta's nudge is recorded; Acme's, decided before the visit, is not, and Acme is due again.
    expect(await keysOf(r.ids)).toEqual([expect.stringMatching(new RegExp(`^revisit:${await accountId('Beta')}:`))]);
    expect(r.dropped).toEqual([await accountId('Acme')]);
    expect(await checkOf('Acme')).toBe(0);
    expect(await checkOf('Beta')).toBeGreaterThan(at.getTime());
    // Decided again from the visit: nothing due for it, as a whole-book sweep says.
    expect(await sweepAgrees(at)).toEqual([]);
    expect(await checkOf('Acme')).toBeGreaterThan(at.getTime());
  });
});

describe('the batched sweep with maintained checks decides what a whole-book sweep decides', () => {
  it('over random books and random writes', async () => {
    await randomBooks([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);

  it('a sweep stopped after some batches and run again decides each nudge once, as a whole-book sweep does', async () => {
    const r = seeded(99);
    cutAfter = () => r.int(6);
    try {
      await randomBooks([11, 12, 13, 14, 15]);
    } finally {
      cutAfter = undefined;
    }
  }, 120_000);

  it('two paced sweeps at once, the first after one cut short, decide each nudge once between them, as a whole-book sweep does', async () => {
    const r = seeded(77);
    cutAfter = () => r.int(6);
    overlapping = true;
    try {
      await randomBooks([21, 22, 23, 24, 25]);
    } finally {
      cutAfter = undefined;
      overlapping = false;
    }
  }, 120_000);
});

async function randomBooks(seeds: number[]) {
  for (const seed of seeds) {
    const r = seeded(seed);
    h = harness({ now: cst('2026-08-03T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/steward team @wang manager:@li');
    await ok('/steward role @chen exec');
    const people = await mapSeq(['zhang', 'wang', 'li'], memberId);
    const chen = await memberId('chen');
    const t = (await tenant()).id;
    const tiers = ['strategic', 'key', 'standard'] as const;
    const insAccount = h.db.$client.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at) values (?, ?, ?, ?, ?, ?)');
    const insTouch = h.db.$client.prepare(
      "insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, '', 'shell', ?)",
    );
    for (let i = 0; i < 12; i++) insAccount.run(t, `A${i}`, `a${i}`, r.pick(tiers), r.next() < 0.9 ? r.pick(people) : null, h.now.getTime() - r.int(120) * DAY);
    const ids = async () => (await h.db.select({ id: accounts.id }).from(accounts).all()).map((x) => x.id);
    const touches = async () => (await h.db.select({ id: touchpoints.id }).from(touchpoints).all()).map((x) => x.id);
    const ops: (() => unknown)[] = [
      async () =>
        insTouch.run(t, r.pick(await ids()), r.next() < 0.2 ? chen : r.pick(people), r.pick(['visit', 'call', 'meeting']), h.now.getTime() - r.int(60) * DAY, h.now.getTime()),
      async () => {
        const all = await touches();
        if (all.length)
          await h.db
            .delete(touchpoints)
            .where(eq(touchpoints.id, r.pick(all)))
            .run();
      },
      async () => {
        const all = await touches();
        if (all.length)
          await h.db
            .update(touchpoints)
            .set({ occurredAt: new Date(h.now.getTime() - r.int(150) * DAY) })
            .where(eq(touchpoints.id, r.pick(all)))
            .run();
      },
      async () =>
        h.db
          .update(accounts)
          .set({ tier: r.pick(tiers) })
          .where(eq(accounts.id, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(accounts)
          .set({ cadenceDays: r.next() < 0.5 ? null : 1 + r.int(40) })
          .where(eq(accounts.id, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(accounts)
          .set({ ownerId: r.next() < 0.9 ? r.pick(people) : null })
          .where(eq(accounts.id, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(accounts)
          .set({ status: r.next() < 0.8 ? 'active' : 'lost' })
          .where(eq(accounts.id, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(members)
          .set({ active: r.next() < 0.7 })
          .where(eq(members.id, r.pick(people)))
          .run(),
      async () =>
        h.db
          .update(members)
          .set({ managerId: r.next() < 0.5 ? null : await memberId('li') })
          .where(and(eq(members.id, r.pick(people)), eq(members.role, 'rep')))
          .run(),
      async () =>
        h.db.$client
          .prepare("insert into nudge_snoozes (tenant_id, kind, subject_id, until, created_at) values (?, 'revisit', ?, ?, ?)")
          .run(t, r.pick(await ids()), h.now.getTime() + r.int(10) * DAY, h.now.getTime()),
      () => h.db.$client.prepare('delete from nudge_snoozes where id = (select max(id) from nudge_snoozes)').run(),
      async () =>
        h.db.$client
          .prepare('insert into pairings (tenant_id, account_id, exec_id, cadence_days, active, created_at) values (?, ?, ?, ?, 1, ?)')
          .run(t, r.pick(await ids()), chen, 10 + r.int(60), h.now.getTime() - r.int(90) * DAY),
      async () =>
        h.db
          .update(pairings)
          .set({ active: r.next() < 0.5, cadenceDays: 5 + r.int(60) })
          .where(eq(pairings.accountId, r.pick(await ids())))
          .run(),
      () =>
        h.db
          .update(tenants)
          .set({ settings: { cadenceDays: { standard: 20 + r.int(80), key: 10 + r.int(30) }, reviewSeasonStart: '08-01', reviewSeasonDeadline: r.pick(['09-30', '10-31']) } })
          .run(),
      async () =>
        h.db
          .delete(reviewItems)
          .where(eq(reviewItems.accountId, r.pick(await ids())))
          .run(),
      // Promises and complaints: their own checks.
      async () => {
        const n = (await h.db.select({ id: promises.id }).from(promises).all()).length + 1;
        const due = new Date(h.now.getTime() + (r.int(8) - 4) * DAY).toISOString().slice(0, 10);
        h.db.$client
          .prepare("insert into promises (tenant_id, number, account_id, owner_id, text, due_on, status, created_at) values (?, ?, ?, ?, 'Send the quote', ?, 'open', ?)")
          .run(t, n, r.pick(await ids()), r.pick(people), due, h.now.getTime());
      },
      async () =>
        h.db
          .update(promises)
          .set({ dueOn: new Date(h.now.getTime() + (r.int(8) - 3) * DAY).toISOString().slice(0, 10) })
          .where(eq(promises.accountId, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(promises)
          .set({ status: r.pick(['open', 'kept'] as const), ownerId: r.pick(people) })
          .where(eq(promises.accountId, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(members)
          .set({ timezone: r.pick(['Pacific/Kiritimati', 'America/Los_Angeles', null]) })
          .where(eq(members.id, r.pick(people)))
          .run(),
      async () => {
        const n = (await h.db.select({ id: complaints.id }).from(complaints).all()).length + 1;
        const opened = h.now.getTime() - r.int(3) * DAY;
        h.db.$client
          .prepare(
            "insert into complaints (tenant_id, number, account_id, severity, category, summary, owner_id, reporter_id, status, opened_at, deadline_at) values (?, ?, ?, ?, 'delay', 'Late', ?, ?, 'open', ?, ?)",
          )
          .run(t, n, r.pick(await ids()), r.pick(['critical', 'high', 'low']), r.pick(people), r.pick(people), opened, opened + r.int(48) * 3_600_000);
      },
      async () =>
        h.db
          .update(complaints)
          .set({ status: r.pick(['open', 'resolved'] as const), severity: r.pick(['critical', 'high', 'medium'] as const) })
          .where(eq(complaints.accountId, r.pick(await ids())))
          .run(),
      async () =>
        h.db
          .update(complaints)
          .set({ escalationLevel: 0, reopenCount: r.int(3) })
          .where(eq(complaints.accountId, r.pick(await ids())))
          .run(),
    ];
    for (let step = 0; step < 40; step++) {
      for (let k = r.int(3); k >= 0; k--) await r.pick(ops)();
      h.now = new Date(h.now.getTime() + r.int(4 * DAY) + r.int(DAY));
      await sweepAgrees(h.now);
    }
    h.close();
  }
  h = harness();
}
