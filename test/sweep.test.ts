// The clock's decisions (src/scheduler/sweep.ts) and their delivery
// (src/scheduler/outbox.ts), against a real SQLite file. Time moves by passing
// `at` to the sweep, or by setting the harness clock before a command.
// Only the remote chat platform is replaced, by a recording ChatPort.
import { asc, eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, transact } from '../db/index.js';
import { accounts, complaints, members, nudges, nudgeSnoozes, pairings, reviewItems, tenants } from '../db/schema.js';
import { DeliveryError } from '../src/chat/port.js';
import type { Reply } from '../src/engine/reply.js';
import { deliverDue, deliverNudge } from '../src/scheduler/outbox.js';
import { sweepTenant, type SweepResult } from '../src/scheduler/sweep.js';
import { harness, type Harness } from './harness.js';
import { cst, DAY, HOUR, kit, MINUTE, nudgeText as text, plus, RecordingPort, T0 } from './kit.js';
import { filterSeq, flatMapSeq, mapSeq } from './async-array.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, refused, escalationChannel, memberId, accountId, nameOf, sweep, allNudges, pinCreatedAt } = kit(() => h);

const complaint = async (n: number) => (await h.db.select().from(complaints).where(eq(complaints.number, n)).get())!;

type NudgeRow = typeof nudges.$inferSelect;
const who = async (n: NudgeRow) => (n.channel ? `#${n.channel}` : await nameOf(n.recipientId));
const rows = async (ids: number[]) => (ids.length ? await h.db.select().from(nudges).where(inArray(nudges.id, ids)).orderBy(asc(nudges.id)).all() : []);
const row = async (id: number) => (await h.db.select().from(nudges).where(eq(nudges.id, id)).get())!;

/** What a sweep decided, as "recipient: first line the recipient reads", optionally of one kind. */
async function said(r: SweepResult, kind?: string): Promise<string[]> {
  return mapSeq(
    (await rows(r.ids)).filter((n) => kind === undefined || n.kind === kind),
    async (n) => `${await who(n)}: ${text(n).split('\n')[0]}`,
  );
}

const REVISIT_BUTTONS = [
  { label: 'Log visit', command: '/touch "Acme" visit', style: 'primary' },
  { label: 'Snooze 3 days', command: '/snooze "Acme" 3d' },
  { label: 'Snooze a week', command: '/snooze "Acme" 1w' },
  { label: 'Not needed', command: '/snooze "Acme" not-needed' },
];

describe('revisit nudges', () => {
  async function setup() {
    h = harness({ now: T0 });
    await ok('/steward team @zhang manager:@li');
  }
  /** Acme (strategic, zhang's) last visited at T0: due 14 days later. */
  async function visitedAcme() {
    await setup();
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    return plus(T0, 14 * DAY);
  }

  it.each([
    ['strategic', '', 14],
    ['key', '', 30],
    ['standard', '', 90],
    ['standard', ' cadence:20', 20],
    ['strategic', ' cadence:7d', 7],
  ])('a %s account%s is due %i days after its last visit, not a minute before', async (tier, extra, days) => {
    await setup();
    await ok(`/account add Acme tier:${tier} owner:@zhang${extra}`);
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    const due = plus(T0, days * DAY);
    expect(await said(await sweep(plus(due, -MINUTE)))).toEqual([]);
    const r = await sweep(due);
    expect(r.counts).toEqual({ revisit: 1, pairing: 0, promise: 0, review: 0, escalation: 0, checklist: 0 });
    expect(await said(r)).toEqual([`zhang: ! Acme (${tier}) is due for a revisit`]);
    expect(text(await row(r.ids[0]!))).toContain(`${tier} accounts are visited every ${days} days.`);
  });

  it('an account never visited is due a cadence after it was added', async () => {
    await setup();
    await ok('/account add Acme tier:key owner:@zhang');
    await pinCreatedAt(accounts, T0);
    expect(await said(await sweep(plus(T0, 30 * DAY - MINUTE)))).toEqual([]);
    const r = await sweep(plus(T0, 30 * DAY));
    expect(await mapSeq(r.ids, async (id) => text(await row(id)))).toEqual([
      [
        '! Acme (key) is due for a revisit',
        'No visit on record yet. key accounts are visited every 30 days.',
        '[Log visit: /touch "Acme" visit]  [Snooze 3 days: /snooze "Acme" 3d]  [Snooze a week: /snooze "Acme" 1w]  [Not needed: /snooze "Acme" not-needed]',
      ].join('\n'),
    ]);
  });

  it('the nudge names the last visit and carries Log visit, Snooze 3 days, Snooze a week and Not needed', async () => {
    const due = await visitedAcme();
    const [id] = (await sweep(due)).ids;
    const n = await row(id!);
    expect(text(n)).toBe(
      [
        '! Acme (strategic) is due for a revisit',
        'Last visit, meeting or review: Mon 5 Jan 2026. strategic accounts are visited every 14 days.',
        '[Log visit: /touch "Acme" visit]  [Snooze 3 days: /snooze "Acme" 3d]  [Snooze a week: /snooze "Acme" 1w]  [Not needed: /snooze "Acme" not-needed]',
      ].join('\n'),
    );
    expect((n.payload as Reply).buttons).toEqual(REVISIT_BUTTONS);
    expect(n).toMatchObject({ kind: 'revisit', subjectType: 'account', subjectId: await accountId('Acme'), recipientId: await memberId('zhang'), status: 'pending' });
    expect(n.dedupeKey).toBe(`revisit:${await accountId('Acme')}:2026-01-19:1`);
  });

  it("is written in the recipient's language", async () => {
    const due = await visitedAcme();
    await ok('/steward me locale:zh-CN', 'zhang');
    const [id] = (await sweep(due)).ids;
    const title = text(await row(id!)).split('\n')[0]!;
    expect(title).toMatch(/\p{Script=Han}/u);
    expect(title).toContain('Acme');
  });

  it('reminds the owner weekly until it is visited, and copies their manager at 14 days overdue, then every four weeks', async () => {
    const due = await visitedAcme();
    expect(await said(await sweep(due))).toEqual(['zhang: ! Acme (strategic) is due for a revisit']);
    expect(await said(await sweep(plus(due, 7 * DAY - MINUTE)))).toEqual([]);
    const second = await sweep(plus(due, 7 * DAY));
    expect(await said(second)).toEqual(['zhang: ! Reminder: Acme is 7 days overdue for a revisit']);
    expect(((await row(second.ids[0]!)).payload as Reply).buttons).toEqual(REVISIT_BUTTONS);
    expect(await said(await sweep(plus(due, 14 * DAY - MINUTE)))).toEqual([]);
    const manager = await sweep(plus(due, 14 * DAY));
    expect(await said(manager)).toEqual([
      'zhang: ! Reminder: Acme is 14 days overdue for a revisit',
      'li: ! Acme (strategic), owned by zhang, is 14 days overdue for a revisit, after two nudges',
    ]);
    expect(await said(await sweep(plus(due, 20 * DAY)))).toEqual([]);
    expect(await said(await sweep(plus(due, 21 * DAY)))).toEqual(['zhang: ! Reminder: Acme is 21 days overdue for a revisit']);
    // A Sunday: read on Monday 09:00, and the next one a week after that.
    expect(await said(await sweep(plus(due, 41 * DAY)))).toEqual(['zhang: ! Reminder: Acme is 41 days overdue for a revisit']);
    expect(await said(await sweep(plus(due, 42 * DAY)))).toEqual(['li: ! Acme (strategic), owned by zhang, is still not visited: 42 days overdue, after 5 nudges']);
    expect(await said(await sweep(plus(due, 48 * DAY)))).toEqual([]);
    const id = await accountId('Acme');
    expect(await mapSeq(await allNudges('revisit'), async (n) => [n.dedupeKey, await who(n)])).toEqual([
      [`revisit:${id}:2026-01-19:1`, 'zhang'],
      [`revisit:${id}:2026-01-19:2`, 'zhang'],
      [`revisit:${id}:2026-01-19:3`, 'zhang'],
      [`revisit:${id}:2026-01-19:m1`, 'li'],
      [`revisit:${id}:2026-01-19:4`, 'zhang'],
      [`revisit:${id}:2026-01-19:5`, 'zhang'],
      [`revisit:${id}:2026-01-19:m2`, 'li'],
    ]);
  });

  it('an owner without a manager keeps being reminded and nobody else is told', async () => {
    h = harness({ now: T0 });
    await ok('/account add Acme tier:strategic owner:@wang');
    await ok('/touch Acme visit Walked the new warehouse', 'wang');
    const due = plus(T0, 14 * DAY);
    await sweep(due);
    await sweep(plus(due, 7 * DAY));
    await sweep(plus(due, 20 * DAY));
    expect(await mapSeq(await allNudges('revisit'), who)).toEqual(['wang', 'wang', 'wang']);
  });

  // BUG: src/scheduler/sweep.ts lastVisitSql refers to ${accounts.id}, which
  // drizzle renders unqualified ("id") in the single-table query of revisits();
  // inside the subquery "id" is the touchpoint's own id, so an account's "last
  // visit" is only a touchpoint whose id happens to equal the account's id.
  // A second visit never resets the clock and the owner is nudged anyway.
  // Fix: qualify it, e.g. sql`... t.account_id = ${sql.identifier('accounts')}.${sql.identifier('id')}`
  // (the joined queries in digest.ts and pair.ts are qualified and unaffected).
  it.each(['visit', 'meeting', 'review'])('a %s by anyone on our side resets the clock', async (kind) => {
    const due = await visitedAcme();
    h.now = plus(T0, 13 * DAY); // Sunday 18 January
    await ok(`/touch Acme ${kind} Quarterly check`, 'wang');
    expect(await said(await sweep(due))).toEqual([]);
    expect(await said(await sweep(plus(due, 7 * DAY)))).toEqual([]);
    const r = await sweep(plus(T0, 27 * DAY));
    expect(await said(r)).toEqual(['zhang: ! Acme (strategic) is due for a revisit']);
    expect(text(await row(r.ids[0]!))).toContain('Last visit, meeting or review: Sun 18 Jan 2026.');
  });

  // BUG: the same lastVisitSql fault, without any coincidence of ids: Beta's
  // visit is touchpoint 1 and Acme's touchpoint 2, so neither account sees its
  // visit and neither is nudged when due.
  it("each account's own last visit counts, whatever order the visits were logged in", async () => {
    await setup();
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:strategic owner:@wang');
    await ok('/touch Beta visit Quarterly visit', 'wang');
    await ok('/touch Acme visit Quarterly visit', 'zhang');
    expect(await said(await sweep(plus(T0, 14 * DAY)))).toEqual(['zhang: ! Acme (strategic) is due for a revisit', 'wang: ! Beta (strategic) is due for a revisit']);
  });

  it('a call or a message does not reset it', async () => {
    const due = await visitedAcme();
    h.now = plus(T0, 13 * DAY);
    await ok('/touch Acme call Confirmed Q1 volumes', 'zhang');
    await ok('/touch Acme message Sent the rate card', 'zhang');
    expect(await said(await sweep(due))).toEqual(['zhang: ! Acme (strategic) is due for a revisit']);
  });

  // BUG: the same lastVisitSql fault: the visit is not seen.
  it('a visit logged after the first nudge stops the reminder and the manager', async () => {
    const due = await visitedAcme();
    await sweep(due);
    h.now = plus(due, DAY);
    await ok('/touch Acme visit Met the new logistics director', 'zhang');
    expect(await said(await sweep(plus(due, 7 * DAY)))).toEqual([]);
    expect(await said(await sweep(plus(due, 14 * DAY)))).toEqual([]);
    expect(await allNudges('revisit')).toHaveLength(1);
  });

  it('/snooze <account> 3d quiets it until the snooze ends', async () => {
    const due = await visitedAcme();
    h.now = due;
    expect((await ok('/snooze Acme 3d', 'zhang')).text).toBe('✔ Revisit nudges for Acme are quiet until Thu 22 Jan 2026.');
    expect(await said(await sweep(due))).toEqual([]);
    expect(await said(await sweep(plus(due, 3 * DAY - MINUTE)))).toEqual([]);
    expect(await said(await sweep(plus(due, 3 * DAY)))).toEqual(['zhang: ! Acme (strategic) is due for a revisit']);
  });

  it('not-needed asks why and writes nothing; with a reason it quiets the nudges', async () => {
    const due = await visitedAcme();
    h.now = due;
    const asked = await refused('/snooze Acme not-needed', 'zhang');
    expect(asked.text.split('\n')[0]).toBe('✘ Say why no visit is needed at Acme, for example: /snooze "Acme" not-needed They paused orders until March');
    const out = await ok('/snooze Acme not-needed They paused all orders until March', 'zhang');
    // "Not needed" quiets the account for one cycle of its cadence (strategic: 14 days).
    expect(out.text).toBe('✔ Noted: no revisit needed at Acme for now. Nudges resume Mon 2 Feb 2026.');
    expect(await h.db.select().from(nudgeSnoozes).all()).toMatchObject([
      { kind: 'revisit', subjectId: await accountId('Acme'), memberId: await memberId('zhang'), reason: 'They paused all orders until March', until: plus(due, 14 * DAY) },
    ]);
    expect(await said(await sweep(plus(due, 7 * DAY)))).toEqual([]);
    expect(await said(await sweep(plus(due, 14 * DAY - MINUTE)))).toEqual([]);
    expect(await said(await sweep(plus(due, 14 * DAY)))).toEqual(['zhang: ! Acme (strategic) is due for a revisit']);
  });

  // BUG: src/scheduler/sweep.ts revisits() measures the steps from the due date
  // and ignores snoozes, so when a long snooze (not-needed: 30 days) ends, the
  // reminder and the manager's note are decided in the same sweep: the manager
  // hears "after two nudges" the moment nudges resume. Expected: nudges resume
  // with the owner; the manager is told only if it stays overdue after that.
  it('when nudges resume after "not needed", the owner hears first and the manager is not told in the same sweep', async () => {
    const due = await visitedAcme();
    await sweep(due);
    h.now = plus(due, HOUR);
    await ok('/snooze Acme not-needed They paused all orders until March', 'zhang');
    const resumed = await sweep(plus(due, 30 * DAY + HOUR));
    expect((await said(resumed)).some((l) => l.startsWith('zhang:'))).toBe(true);
    expect((await said(resumed)).filter((l) => l.startsWith('li:'))).toEqual([]);
  });

  it('running the same sweep twice decides nothing new', async () => {
    const due = await visitedAcme();
    expect((await sweep(due)).counts.revisit).toBe(1);
    const again = await sweep(due);
    expect(again).toEqual({ counts: { revisit: 0, pairing: 0, promise: 0, review: 0, escalation: 0, checklist: 0 }, ids: [] });
    // The steps come one sweep at a time, a week apart, each decided once.
    expect(await said(await sweep(plus(due, 7 * DAY)))).toEqual(['zhang: ! Reminder: Acme is 7 days overdue for a revisit']);
    expect((await sweep(plus(due, 7 * DAY))).ids).toEqual([]);
    expect(await said(await sweep(plus(due, 14 * DAY)))).toEqual([
      'zhang: ! Reminder: Acme is 14 days overdue for a revisit',
      'li: ! Acme (strategic), owned by zhang, is 14 days overdue for a revisit, after two nudges',
    ]);
    expect((await sweep(plus(due, 14 * DAY))).ids).toEqual([]);
    expect(await allNudges('revisit')).toHaveLength(4);
  });

  it('a second process sweeping the same database decides nothing twice', async () => {
    const due = await visitedAcme();
    const other = openDb(h.file);
    try {
      const t = (await other.select().from(tenants).get())!;
      for (const [at, n] of [
        [due, 1],
        [plus(due, 7 * DAY), 1],
        [plus(due, 14 * DAY), 2],
      ] as const) {
        const first = await transact(other, (tx) => sweepTenant(tx, t, at), { behavior: 'immediate' });
        expect(first.counts.revisit).toBe(n);
        expect((await sweep(at)).ids).toEqual([]);
      }
    } finally {
      closeDb(other);
    }
    expect(await allNudges('revisit')).toHaveLength(4);
  });
});

describe('working hours', () => {
  /** Acme (zhang's) and Beta (wang's), both strategic and last visited at T0: due Monday 19 January 10:00. */
  async function setup() {
    h = harness({ now: T0 });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:strategic owner:@wang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    await ok('/touch Beta visit Walked the new warehouse', 'wang');
  }
  const notBefore = async (r: SweepResult) => Object.fromEntries(await mapSeq(await rows(r.ids), async (n) => [await who(n), n.notBefore?.toISOString()]));

  it('a nudge decided at 22:00 waits for 09:00 the next working morning', async () => {
    await setup();
    const r = await sweep(cst('2026-01-20T22:00')); // Tuesday
    expect(await notBefore(r)).toEqual({ zhang: cst('2026-01-21T09:00').toISOString(), wang: cst('2026-01-21T09:00').toISOString() });
  });

  it('inside working hours it may go at once', async () => {
    await setup();
    const at = cst('2026-01-20T11:00');
    expect(await notBefore(await sweep(at))).toEqual({ zhang: at.toISOString(), wang: at.toISOString() });
  });

  it("working hours are the recipient's own, in the zone they set with /steward me", async () => {
    await setup();
    expect((await ok('/steward me timezone:Europe/Berlin', 'zhang')).text).toBe('✔ Updated your settings: timezone: Europe/Berlin.');
    // 22:00 in Shanghai is 15:00 in Berlin: zhang may be told now, wang waits for his morning.
    const at = new Date('2026-01-20T14:00:00Z');
    expect(await notBefore(await sweep(at))).toEqual({ zhang: at.toISOString(), wang: '2026-01-21T01:00:00.000Z' });
  });

  it("at night in the recipient's zone it waits for their 09:00", async () => {
    await setup();
    await ok('/steward me timezone:Europe/Berlin', 'zhang');
    // 23:00 Tuesday in Berlin, 06:00 Wednesday in Shanghai.
    const r = await sweep(new Date('2026-01-20T22:00:00Z'));
    expect(await notBefore(r)).toEqual({ zhang: '2026-01-21T08:00:00.000Z', wang: '2026-01-21T01:00:00.000Z' });
  });

  it.each([
    ['Saturday 10:00', '2026-01-24T10:00'],
    ['Friday 18:30', '2026-01-23T18:30'],
    ['Sunday 23:00', '2026-01-25T23:00'],
  ])('a nudge decided on %s waits for Monday 09:00', async (_, local) => {
    await setup();
    const r = await sweep(cst(local));
    expect(await notBefore(r)).toEqual({ zhang: cst('2026-01-26T09:00').toISOString(), wang: cst('2026-01-26T09:00').toISOString() });
  });

  it('escalations of critical complaints do not wait; other escalations do', async () => {
    h = harness({ now: cst('2026-01-09T16:00') }); // Friday
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/complaint Acme severity:critical Reefer unit failed, cargo lost', 'zhang'); // deadline 20:00
    h.now = cst('2026-01-09T17:00');
    await ok('/complaint Acme severity:high Invoice billed twice', 'zhang'); // a working day: deadline Monday 17:00
    expect((await complaint(2)).deadlineAt).toEqual(cst('2026-01-12T17:00'));
    const friday = cst('2026-01-09T20:00');
    const r = await sweep(friday);
    expect(await said(r)).toEqual(['zhang: ✘ Escalation: C-1 · Acme (strategic) is unresolved past its deadline']);
    expect((await row(r.ids[0]!)).notBefore).toEqual(friday);
    const [c1, c2] = [(await complaint(1)).id, (await complaint(2)).id];
    const decided = async (at: Date) => (await rows((await sweep(at)).ids)).map((n) => [n.dedupeKey, n.notBefore?.toISOString()]);
    // The critical one climbs on the wall clock, one rung per span (4 hours) after the last was told.
    const saturday = cst('2026-01-10T17:00');
    expect(await decided(saturday)).toEqual([[`escalation:${c1}:2`, saturday.toISOString()]]);
    // The high one, decided on Monday night, waits for Tuesday 09:00.
    const monday = cst('2026-01-12T22:00');
    expect(await decided(monday)).toEqual([
      [`escalation:${c1}:3`, monday.toISOString()],
      [`escalation:${c2}:1`, cst('2026-01-13T09:00').toISOString()],
    ]);
    expect((await complaint(2)).escalatedAt).toEqual(cst('2026-01-13T09:00'));
  });
});

describe('leadership pairings', () => {
  /** chen (exec) paired with Acme every 30 days at T0; due 4 February. */
  async function setup() {
    h = harness({ now: T0 });
    await ok('/steward role @chen exec');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/pair Acme @chen every:30d');
    await pinCreatedAt(pairings, T0);
    await pinCreatedAt(accounts, T0);
    return plus(T0, 30 * DAY);
  }

  it('the executive is nudged when the pairing is due, once', async () => {
    const due = await setup();
    expect(await said(await sweep(plus(due, -MINUTE)), 'pairing')).toEqual([]);
    const r = await sweep(due);
    const [n] = (await rows(r.ids)).filter((x) => x.kind === 'pairing');
    expect(await who(n!)).toBe('chen');
    expect(text(n!)).toBe(
      ['! Leadership visit due: Acme', 'You are paired with this account and have not touched it yet. Pairing cadence: every 30 days.', '[Log visit: /touch "Acme" visit]'].join(
        '\n',
      ),
    );
    expect(await said(await sweep(plus(due, HOUR)), 'pairing')).toEqual([]);
    expect(await said(await sweep(plus(due, 20 * DAY)), 'pairing')).toEqual([]);
  });

  it('a touch by the executive, of any kind, resets it', async () => {
    const due = await setup();
    h.now = plus(T0, 20 * DAY); // Sunday 25 January
    await ok('/touch Acme call Spoke with their COO about the tender', 'chen');
    expect(await said(await sweep(due), 'pairing')).toEqual([]);
    const r = await sweep(plus(T0, 50 * DAY));
    expect(await said(r, 'pairing')).toEqual(['chen: ! Leadership visit due: Acme']);
    expect(text((await rows(r.ids)).find((n) => n.kind === 'pairing')!)).toContain('your last touch was Sun 25 Jan 2026');
  });

  it('a touch logged by the owner with:@exec resets it', async () => {
    const due = await setup();
    h.now = plus(T0, 20 * DAY);
    await ok('/touch Acme visit with:@chen Plant tour with their GM', 'zhang');
    expect(await said(await sweep(due), 'pairing')).toEqual([]);
  });

  it('a touch by someone else does not', async () => {
    const due = await setup();
    h.now = plus(T0, 20 * DAY);
    await ok('/touch Acme visit Plant tour', 'zhang');
    expect(await said(await sweep(due), 'pairing')).toEqual(['chen: ! Leadership visit due: Acme']);
  });

  it('an ended pairing is not nudged', async () => {
    const due = await setup();
    await ok('/unpair Acme');
    expect(await said(await sweep(due), 'pairing')).toEqual([]);
  });
});

describe('promise reminders', () => {
  async function setup(zone?: string) {
    h = harness({ now: T0 });
    await ok('/account add Acme tier:strategic owner:@zhang');
    if (zone) await ok(`/steward me timezone:${zone}`, 'zhang');
    await ok('/promise Acme due:2026-01-09 Send the cold-chain quote', 'zhang');
  }

  it('the owner is reminded the day before and on the due day, once each', async () => {
    await setup();
    expect(await said(await sweep(cst('2026-01-07T23:59')))).toEqual([]);
    const eve = await sweep(cst('2026-01-08T00:00'));
    expect(await mapSeq(await rows(eve.ids), async (n) => `${await who(n)}: ${text(n)}`)).toEqual([
      'zhang: ! Due tomorrow: P-1 for Acme\nSend the cold-chain quote\n[Mark kept: /promise kept P-1]',
    ]);
    expect(await said(await sweep(cst('2026-01-08T17:00')))).toEqual([]);
    // Decided late on the eve, it is read at 09:00 on the due day, and worded for it.
    expect(await said(await sweep(cst('2026-01-08T23:59')))).toEqual(['zhang: ! Due today: P-1 for Acme']);
    expect(await said(await sweep(cst('2026-01-09T00:00')))).toEqual([]);
    expect(await said(await sweep(cst('2026-01-09T16:00')))).toEqual([]);
    expect(await said(await sweep(cst('2026-01-10T10:00')))).toEqual([]);
    expect((await allNudges('promise')).map((n) => n.dedupeKey.replace(/:\d+:/, ':#:'))).toEqual(['promise:#:eve', 'promise:#:due']);
  });

  it('a reminder decided on a weekend is worded for Monday, when it is read', async () => {
    h = harness({ now: T0 });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/promise Acme due:2026-01-12 Send the cold-chain quote', 'zhang'); // a Monday
    await ok('/promise Acme due:2026-01-17 Credit note for the surcharge', 'zhang'); // a Saturday
    // Monday's promise: one reminder on Monday, "due today", not "due tomorrow" as well.
    expect(await said(await sweep(cst('2026-01-10T10:00')))).toEqual([]);
    expect(await said(await sweep(cst('2026-01-11T10:00')))).toEqual(['zhang: ! Due today: P-1 for Acme']);
    expect(await said(await sweep(cst('2026-01-12T09:00')))).toEqual([]);
    // Saturday's: the eve on Friday; the day itself is read on Monday, when it is past.
    expect(await said(await sweep(cst('2026-01-16T10:00')))).toEqual(['zhang: ! Due tomorrow: P-2 for Acme']);
    expect(await said(await sweep(cst('2026-01-17T10:00')))).toEqual(['zhang: ! Was due Sat 17 Jan 2026: P-2 for Acme']);
    expect(await said(await sweep(cst('2026-01-18T10:00')))).toEqual([]);
  });

  it("the days are the owner's, in their own time zone", async () => {
    await setup('America/New_York');
    // Thursday 00:30 in Shanghai is still Wednesday in New York: two days to go there.
    expect(await said(await sweep(cst('2026-01-08T00:30')))).toEqual([]);
    expect(await said(await sweep(new Date('2026-01-08T05:00:00Z')))).toEqual(['zhang: ! Due tomorrow: P-1 for Acme']); // Thursday 00:00 in New York
    // Thursday 23:59 in New York: decided now, read at 09:00 on Friday, the due day, and worded so.
    expect(await said(await sweep(new Date('2026-01-09T04:59:00Z')))).toEqual(['zhang: ! Due today: P-1 for Acme']);
    expect((await allNudges('promise')).at(-1)!.notBefore).toEqual(new Date('2026-01-09T14:00:00Z'));
    expect(await said(await sweep(new Date('2026-01-09T05:00:00Z')))).toEqual([]);
  });

  it("the reminder's Mark kept button closes the promise, and no due-day reminder follows", async () => {
    await setup();
    const [eve] = (await sweep(cst('2026-01-08T09:00'))).ids;
    const [kept] = ((await row(eve!)).payload as Reply).buttons;
    h.now = cst('2026-01-08T11:00');
    expect((await ok(kept!.command, 'zhang')).text).toBe('✔ P-1 kept. Tell the customer it is done.');
    expect(await said(await sweep(cst('2026-01-09T09:00')))).toEqual([]);
  });

  it('a kept promise is not reminded', async () => {
    await setup();
    await ok('/promise kept P-1 Sent it early', 'zhang');
    expect(await said(await sweep(cst('2026-01-08T10:00')))).toEqual([]);
    expect(await said(await sweep(cst('2026-01-09T10:00')))).toEqual([]);
  });
});

describe('supplier reviews', () => {
  /** Thursday 20 August 2026, before the default season (09-01 to 10-31). */
  const AUG20 = cst('2026-08-20T10:00');
  async function setup() {
    h = harness({ now: AUG20 });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:key owner:@zhang');
    await ok('/account add Gamma tier:standard owner:@zhang');
    await ok('/account add Delta tier:key owner:@wang');
  }
  const items = () =>
    h.db
      .select({ number: reviewItems.number, account: accounts.name, owner: members.name, dueOn: reviewItems.dueOn, status: reviewItems.status, season: reviewItems.season })
      .from(reviewItems)
      .innerJoin(accounts, eq(accounts.id, reviewItems.accountId))
      .innerJoin(members, eq(members.id, reviewItems.ownerId))
      .orderBy(asc(reviewItems.number))
      .all();

  it('before the season starts, nothing', async () => {
    await setup();
    expect((await sweep(cst('2026-08-31T23:59'))).counts.review).toBe(0);
    expect(await items()).toEqual([]);
  });

  it('from the start every strategic and key account gets R-n once, standard accounts none', async () => {
    await setup();
    const r = await sweep(cst('2026-09-01T00:00')); // Tuesday, ISO week 36
    expect(await items()).toEqual([
      { number: 1, account: 'Acme', owner: 'zhang', dueOn: '2026-10-31', status: 'open', season: 2026 },
      { number: 2, account: 'Beta', owner: 'zhang', dueOn: '2026-10-31', status: 'open', season: 2026 },
      { number: 3, account: 'Delta', owner: 'wang', dueOn: '2026-10-31', status: 'open', season: 2026 },
    ]);
    expect((await h.db.select().from(reviewItems).all()).map((i) => i.checklist)).toEqual(
      Array(3).fill(['complaints', 'promises', 'wallet', 'risks', 'competitors'].map((key) => ({ key, done: false }))),
    );
    expect(await said(r, 'review')).toEqual([
      'zhang: ! Supplier review R-1 · Acme · before Sat 31 Oct 2026',
      'zhang: ! Supplier review R-2 · Beta · before Sat 31 Oct 2026',
      'wang: ! Supplier review R-3 · Delta · before Sat 31 Oct 2026',
    ]);
    expect(text((await rows(r.ids)).find((n) => n.kind === 'review')!)).toBe(
      [
        '! Supplier review R-1 · Acme · before Sat 31 Oct 2026',
        'Not prepared yet.',
        'Prepare:',
        '  • ☐ 1. Every complaint of the year resolved, with the fix explained [complaints]',
        '  • ☐ 2. Every promise kept, or renegotiated openly [promises]',
        "  • ☐ 3. Our wallet share, and the customer's unmet or growing needs [wallet]",
        '  • ☐ 4. The risks their top decision-maker worries about, and how we reduce them [risks]',
        '  • ☐ 5. Our value against competitors, with numbers [competitors]',
        '[Prepared: /review "Acme" prepared]  [Review held: /review "Acme" held]',
      ].join('\n'),
    );
    // The rest of the week: no new items, no new nudges (a card decided on the weekend is read, and counted, in the next week).
    expect(await said(await sweep(cst('2026-09-01T15:00')), 'review')).toEqual([]);
    expect(await said(await sweep(cst('2026-09-04T17:59')), 'review')).toEqual([]);
    expect(await items()).toHaveLength(3);
  });

  it('nudges weekly (one per ISO week) until held; prepared keeps them coming', async () => {
    await setup();
    await sweep(cst('2026-09-01T09:00'));
    expect(await said(await sweep(cst('2026-09-07T09:00')), 'review')).toEqual([
      'zhang: ! Supplier review R-1 · Acme · before Sat 31 Oct 2026',
      'zhang: ! Supplier review R-2 · Beta · before Sat 31 Oct 2026',
      'wang: ! Supplier review R-3 · Delta · before Sat 31 Oct 2026',
    ]);
    h.now = cst('2026-09-08T10:00');
    await ok('/review Acme held Met their COO and procurement', 'zhang');
    await ok('/account set Beta revenue:1.2m spend:4m', 'zhang');
    await ok('/review Beta tick risks', 'zhang');
    await ok('/review Beta tick competitors', 'zhang');
    await ok('/review Beta prepared Deck ready, wallet share 27%', 'zhang');
    const week38 = await sweep(cst('2026-09-14T09:00'));
    expect(await said(week38, 'review')).toEqual(['zhang: ! Supplier review R-2 · Beta · before Sat 31 Oct 2026', 'wang: ! Supplier review R-3 · Delta · before Sat 31 Oct 2026']);
    expect(text((await rows(week38.ids)).find((n) => n.kind === 'review')!)).toContain(
      'Prepared; the review meeting is still to hold.\nPrepare:\n  • ☑ 1. Every complaint of the year resolved, with the fix explained [complaints] — ticked by zhang, Tue 8 Sept 2026\n',
    );
    const keys = (await allNudges('review')).map((n) => n.period);
    expect(keys).toEqual(['2026-W36', '2026-W36', '2026-W36', '2026-W37', '2026-W37', '2026-W37', '2026-W38', '2026-W38']);
  });

  it('a lost account hears no more of its review, even one decided before it was lost', async () => {
    await setup();
    const decided = await filterSeq((await sweep(cst('2026-09-05T22:00'))).ids, async (id) => (await row(id)).kind === 'review'); // Saturday night: waits for Monday
    h.now = cst('2026-09-06T10:00');
    await ok('/lost Acme reason:competitor Claims unanswered for six months', 'zhang');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-09-07T09:00'));
    expect(port.posts.map((p) => p.text.split('\n')[0])).not.toContain('! Supplier review R-1 · Acme · before Sat 31 Oct 2026');
    expect((await rows(decided)).map((n) => n.status)).toContain('skipped');
    expect(await said(await sweep(cst('2026-09-14T09:00')), 'review')).not.toContain('zhang: ! Supplier review R-1 · Acme · before Sat 31 Oct 2026');
  });

  it("a new deadline moves this season's open items; a day not every year has is refused", async () => {
    await setup();
    await sweep(cst('2026-09-01T09:00'));
    h.now = cst('2026-09-08T10:00');
    await ok('/review Acme held Met their COO and procurement', 'zhang');
    await ok('/steward settings review-deadline:11-30');
    expect((await items()).map((i) => [i.account, i.dueOn])).toEqual([
      ['Acme', '2026-10-31'],
      ['Beta', '2026-11-30'],
      ['Delta', '2026-11-30'],
    ]);
    expect(await said(await sweep(cst('2026-11-09T09:00')), 'review')).toContain('zhang: ! Supplier review R-2 · Beta · before Mon 30 Nov 2026');
    for (const day of ['11-31', '02-29', '02-30']) expect((await refused(`/steward settings review-deadline:${day}`)).text).toContain('expected MM-DD');
  });

  it('an account added in the season gets its item at the next sweep; after the deadline none is created', async () => {
    await setup();
    await sweep(cst('2026-09-01T09:00'));
    h.now = cst('2026-10-05T10:00');
    await ok('/account add Epsilon tier:strategic owner:@wang');
    await sweep(h.now);
    expect((await items()).map((i) => `R-${i.number} ${i.account}`)).toEqual(['R-1 Acme', 'R-2 Beta', 'R-3 Delta', 'R-4 Epsilon']);
    h.now = cst('2026-11-02T10:00');
    await ok('/account add Zeta tier:strategic owner:@wang');
    await sweep(h.now);
    expect(await items()).toHaveLength(4);
  });

  // Regression: review nudges once went to the owner of the day the item was created.
  it('review nudges follow the account to its new owner', async () => {
    await setup();
    await sweep(cst('2026-09-01T09:00'));
    h.now = cst('2026-09-03T10:00');
    await ok('/account set Acme owner:@wang');
    expect((await said(await sweep(cst('2026-09-07T09:00')), 'review')).filter((l) => l.includes('Acme'))).toEqual(['wang: ! Supplier review R-1 · Acme · before Sat 31 Oct 2026']);
  });

  it('review-start and review-deadline move the season', async () => {
    await setup();
    await ok('/steward settings review-start:08-15 review-deadline:09-30');
    const r = await sweep(AUG20);
    expect((await items()).map((i) => [i.account, i.dueOn])).toEqual([
      ['Acme', '2026-09-30'],
      ['Beta', '2026-09-30'],
      ['Delta', '2026-09-30'],
    ]);
    expect((await said(r, 'review'))[0]).toBe('zhang: ! Supplier review R-1 · Acme · before Wed 30 Sept 2026');
  });
});

describe('escalation ladder', () => {
  /** C-1: high (24 hours) on Acme, opened Monday 5 January 10:00; deadline Tuesday 10:00. */
  async function setup(opts: { pair?: boolean; channelFirst?: boolean } = {}) {
    h = harness({ now: T0 });
    await ok('/steward team @zhang manager:@li');
    await ok('/steward role @chen exec');
    await ok('/account add Acme tier:strategic owner:@zhang');
    if (opts.pair !== false) await ok('/pair Acme @chen');
    if (opts.channelFirst) await escalationChannel('#esc');
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed on the Shanghai-Chengdu lane', 'zhang');
    return plus(T0, DAY);
  }
  const level = async () => (await complaint(1)).escalationLevel;

  it('nothing before the deadline; rung 1 at the deadline tells the owner, with Resolve and Take ownership', async () => {
    const deadline = await setup();
    expect(await said(await sweep(plus(deadline, -MINUTE)))).toEqual([]);
    expect(await level()).toBe(0);
    const r = await sweep(deadline);
    expect(r.counts.escalation).toBe(1);
    const n = await row(r.ids[0]!);
    expect(await who(n)).toBe('zhang');
    expect(text(n)).toBe(
      [
        '✘ Escalation: C-1 · Acme (strategic) is unresolved past its deadline',
        '@zhang: this is yours; resolve it or hand it to someone who can.',
        '  Account   Acme (strategic)',
        '  Severity  high',
        '  Open for  24 hours',
        '  Owner     @zhang',
        '  Deadline  Tue 6 Jan 2026 10:00',
        '3 pallets crushed on the Shanghai-Chengdu lane',
        '[Resolve: /resolve C-1]  [Take ownership: /complaint assign C-1 me]',
      ].join('\n'),
    );
    const payload = n.payload as Reply;
    expect(payload.sections[0]).toEqual({
      type: 'text',
      text: [{ mention: { platformUserId: 'zhang', name: 'zhang' } }, ': this is yours; resolve it or hand it to someone who can.'],
    });
    expect(payload.buttons).toEqual([
      { label: 'Resolve', command: '/resolve C-1', style: 'primary' },
      { label: 'Take ownership', command: '/complaint assign C-1 me' },
    ]);
    expect(n.dedupeKey).toBe(`escalation:${(await complaint(1)).id}:1`);
    expect(await complaint(1)).toMatchObject({ escalationLevel: 1, escalatedAt: deadline });
  });

  it('rung 2 a span after rung 1 was told mentions the manager; rung 3 the paired executive; then the executive weekly', async () => {
    const deadline = await setup();
    await sweep(deadline);
    expect(await said(await sweep(plus(deadline, DAY - MINUTE)))).toEqual([]);
    const two = await sweep(plus(deadline, DAY));
    expect(await mapSeq(await rows(two.ids), async (n) => `${await who(n)}: ${text(n).split('\n').slice(0, 2).join(' | ')}`)).toEqual([
      'li: ✘ C-1 is still unresolved after 2 days | @li: please step in.',
    ]);
    expect(await level()).toBe(2);
    const three = await sweep(plus(deadline, 2 * DAY));
    expect(await mapSeq(await rows(three.ids), async (n) => `${await who(n)}: ${text(n).split('\n').slice(0, 2).join(' | ')}`)).toEqual([
      'chen: ✘ C-1 is still unresolved after 3 days and two escalations | @chen: your attention is needed to keep this account.',
    ]);
    expect(text(await row(three.ids[0]!))).toContain('  Owner     @zhang');
    expect(await level()).toBe(3);
    expect(await said(await sweep(plus(deadline, 9 * DAY - MINUTE)), 'escalation')).toEqual([]);
    expect(await said(await sweep(plus(deadline, 10 * DAY)), 'escalation')).toEqual([
      'chen: ✘ C-1 is still unresolved after 11 days; Steward will raise it every week until it is resolved',
    ]);
    expect(await said(await sweep(plus(deadline, 16 * DAY)), 'escalation')).toEqual([]);
    expect(await said(await sweep(plus(deadline, 17 * DAY)), 'escalation')).toEqual([
      'chen: ✘ C-1 is still unresolved after 18 days; Steward will raise it every week until it is resolved',
    ]);
    expect((await allNudges('escalation')).map((n) => n.dedupeKey.split(':').slice(2).join(':'))).toEqual(['1', '2', '3', 'open:2026-W03', 'open:2026-W04']);
  });

  it('rung 3 goes to an admin when no executive is paired', async () => {
    const deadline = await setup({ pair: false });
    await sweep(deadline);
    await sweep(plus(deadline, DAY));
    expect(await said(await sweep(plus(deadline, 2 * DAY)))).toEqual(['alice: ✘ C-1 is still unresolved after 3 days and two escalations']);
  });

  it('after a quiet time the sweep takes the next rung only; the next follows a span after it is read', async () => {
    const deadline = await setup();
    // Sunday 11 January: rung 1, read on Monday 09:00.
    const late = await sweep(plus(deadline, 5 * DAY));
    expect(await mapSeq(await rows(late.ids), async (n) => [n.dedupeKey.split(':')[2], await who(n), n.notBefore])).toEqual([['1', 'zhang', cst('2026-01-12T09:00')]]);
    expect(await level()).toBe(1);
    expect((await sweep(plus(deadline, 5 * DAY))).ids).toEqual([]);
    // A working day after it was read (Monday 09:00-18:00), rung 2, read on Tuesday morning.
    expect((await sweep(cst('2026-01-12T17:59'))).ids).toEqual([]);
    const two = await sweep(cst('2026-01-12T18:00'));
    expect(await mapSeq(await rows(two.ids), async (n) => [await who(n), n.notBefore])).toEqual([['li', cst('2026-01-13T09:00')]]);
    expect((await sweep(cst('2026-01-13T17:59'))).ids).toEqual([]);
    expect(await said(await sweep(cst('2026-01-14T09:00')), 'escalation')).toEqual(['chen: ✘ C-1 is still unresolved after 8 days and two escalations']);
  });

  it('a restart after rung 1 takes the next rung, and the one after a span later', async () => {
    const deadline = await setup();
    expect(await said(await sweep(deadline))).toHaveLength(1);
    const late = await sweep(plus(deadline, 2 * DAY + 5 * HOUR));
    expect((await said(late)).map((l) => l.split(':')[0])).toEqual(['li']);
    expect(await said(await sweep(plus(deadline, 3 * DAY + 5 * HOUR - MINUTE)))).toEqual([]);
    expect((await said(await sweep(plus(deadline, 3 * DAY + 5 * HOUR)))).map((l) => l.split(':')[0])).toEqual(['chen']);
    expect((await allNudges('escalation')).map((n) => n.dedupeKey.split(':')[2])).toEqual(['1', '2', '3']);
  });

  it('resolving stops the ladder', async () => {
    const deadline = await setup();
    await sweep(deadline);
    h.now = plus(deadline, 2 * HOUR);
    await ok('/resolve C-1 Claim paid in full; corner boards on that lane', 'zhang');
    expect((await sweep(plus(deadline, 3 * DAY))).ids).toEqual([]);
    expect(await complaint(1)).toMatchObject({ status: 'resolved', escalationLevel: 1 });
  });

  // BUG: handlers/complaint.ts assign() (and handlers/resolve.ts) only let the
  // owner, the owner's direct manager or an admin act. Rung 3 mentions the paired
  // executive with "your attention is needed" and Take ownership / Resolve
  // buttons, but pressing Take ownership answers "Only its owner zhang, their
  // manager li or an admin can reassign C-1." Expected: whoever the ladder has
  // called on (at least the paired executive) may take the complaint over.
  it('the executive the ladder calls on can press Take ownership', async () => {
    const deadline = await setup();
    await sweep(deadline);
    await sweep(plus(deadline, DAY));
    const r = await sweep(plus(deadline, 2 * DAY));
    const rung3 = (await rows(r.ids)).find((n) => n.dedupeKey.endsWith(':3'))!;
    const take = (rung3.payload as Reply).buttons.find((b) => b.label === 'Take ownership')!;
    h.now = plus(deadline, 2 * DAY + HOUR);
    const out = await h.run(take.command, 'chen');
    expect(out.text).toBe('✔ C-1 now belongs to @chen');
    expect((await complaint(1)).ownerId).toBe(await memberId('chen'));
  });

  it('a rung meant for someone who has left reaches the nearest manager above them who has not, or an admin', async () => {
    const deadline = await setup();
    await ok('/steward team @li manager:@wang');
    await ok('/leave @zhang');
    await ok('/leave @li');
    await ok('/leave @chen');
    // Rung 1: zhang (owner) and li (his manager) have left: wang, li's manager.
    // Rung 2: li has left: wang. Rung 3: chen (paired) has left: alice, the admin.
    const r = { ids: await flatMapSeq([deadline, plus(deadline, DAY), plus(deadline, 2 * DAY)], async (at) => (await sweep(at)).ids) };
    expect(await mapSeq(await rows(r.ids), who)).toEqual(['wang', 'wang', 'alice']);
    const port = new RecordingPort();
    await deliverDue(h.db, port, plus(deadline, 2 * DAY));
    expect((await rows(r.ids)).map((n) => n.status)).toEqual(['sent', 'sent', 'sent']);
    expect(port.posts.filter((p) => p.text.includes('C-1')).map((p) => p.to)).toEqual(['@wang', '@wang', '@alice']);
  });

  describe('in the escalation channel', () => {
    it('a channel that refuses for good (the bot removed from it) does not swallow a rung: its person hears it directly', async () => {
      const deadline = await setup();
      await escalationChannel('#esc');
      const port = new RecordingPort();
      const [id] = (await sweep(deadline)).ids;
      port.refuseNext(new DeliveryError('permanent', 'Slack: not_in_channel'));
      // The rung, and in the same call the admin (alice) hears that the channel refuses.
      expect(await deliverDue(h.db, port, deadline)).toEqual({ sent: 2, skipped: 0, failed: 0 });
      expect(port.posts.map((p) => p.to)).toEqual(['@zhang', '@alice']);
      expect(port.posts[0]!.text).toContain('C-1');
      expect(await row(id!)).toMatchObject({ status: 'sent', lastError: '#esc: Slack: not_in_channel; sent to zhang directly' });
      expect(port.posts[1]!.text).toBe(
        [
          '! Steward cannot post in #esc',
          'The platform refused it: Slack: not_in_channel.',
          'What was meant for the channel went to zhang directly.',
          'Add Steward to the channel (in Slack: /invite @Steward), or choose another one: /steward settings escalation-channel:#name',
        ].join('\n'),
      );
      // The channel never became the complaint's thread.
      expect((await complaint(1)).threadTs).toBeNull();
      // Refused there too: failed for good, with both reasons. The admin hears of the channel once a day.
      const [next] = (await sweep(plus(deadline, DAY))).ids;
      port.refuseNext(new DeliveryError('permanent', 'Slack: not_in_channel'), new DeliveryError('permanent', 'Slack: user_disabled'));
      expect(await deliverDue(h.db, port, plus(deadline, DAY))).toEqual({ sent: 1, skipped: 0, failed: 1 });
      expect(await row(next!)).toMatchObject({ status: 'failed', lastError: 'Slack: not_in_channel; directly: Slack: user_disabled' });
      expect(port.posts.map((p) => p.to)).toEqual(['@zhang', '@alice', '@alice']);
      expect(await mapSeq(await allNudges('channel-refused'), (n) => nameOf(n.recipientId))).toEqual(['alice', 'alice']);
    });

    it('the opener and the admin hear when the channel refuses a new complaint; the admin once a day', async () => {
      const deadline = await setup({ channelFirst: true });
      const port = new RecordingPort();
      port.refuseNext(new DeliveryError('permanent', 'Slack: channel_not_found'));
      expect(await deliverDue(h.db, port, T0)).toEqual({ sent: 2, skipped: 0, failed: 1 });
      expect(port.posts.map((p) => p.to)).toEqual(['@alice', '@zhang']);
      const [admin, opener] = port.posts.map((p) => p.text.split('\n'));
      expect(opener).toEqual([
        '! Steward cannot post in #esc',
        'The platform refused it: Slack: channel_not_found.',
        'C-1 at Acme was not shared there; its escalations will reach their people directly.',
        'Add Steward to the channel (in Slack: /invite @Steward), or choose another one: /steward settings escalation-channel:#name',
      ]);
      expect(admin).toEqual(opener);
      // A second complaint the same day: its opener hears again, the admin does not.
      await ok('/account add Beta owner:@li');
      await ok('/complaint Beta severity:low Late pickup', 'li');
      port.refuseNext(new DeliveryError('permanent', 'Slack: channel_not_found'));
      expect(await deliverDue(h.db, port, T0)).toEqual({ sent: 1, skipped: 0, failed: 1 });
      expect(port.posts.map((p) => p.to)).toEqual(['@alice', '@zhang', '@li']);
      // A channel that only failed for now (Slack's trouble) is no news.
      await sweep(deadline);
      port.refuseNext(new DeliveryError('transient', 'Slack: internal_error'));
      await deliverDue(h.db, port, deadline);
      expect(await allNudges('channel-refused')).toHaveLength(3);
    });

    it('a new escalation channel hears what it is for; none turns it off', async () => {
      h = harness({ now: T0 });
      const set = await ok('/steward settings escalation-channel:#esc');
      expect(set.text).toContain('Steward is posting a first message in #esc; if it cannot, you will be told.');
      const port = new RecordingPort();
      await deliverDue(h.db, port, T0);
      expect(port.posts.map((p) => [p.to, p.text, p.reply.visibility])).toEqual([
        ['#esc', '• Steward will post new complaints in this channel, each in a thread of its own where its escalations and its resolution follow. Set by alice.', 'public'],
      ]);
      // Set again to the same channel: nothing new is posted.
      expect((await ok('/steward settings escalation-channel:#esc deadline-high:12h')).text).not.toContain('first message');
      await ok('/steward settings escalation-channel:none');
      expect((await h.db.select().from(tenants).get())!.settings.escalationChannel).toBeUndefined();
      await ok('/account add Acme owner:@zhang');
      await ok('/complaint Acme severity:high Crushed pallets', 'zhang');
      await deliverDue(h.db, port, T0);
      expect(port.posts).toHaveLength(1);
    });

    it('rung 1 opens the thread in #esc, later rungs and the resolution reply in it', async () => {
      const deadline = await setup();
      await escalationChannel('#esc');
      const port = new RecordingPort();
      const one = await sweep(deadline);
      // Posted in the channel, on zhang's behalf: zhang hears it directly should the channel refuse it.
      expect((await rows(one.ids)).map((n) => [n.channel, n.recipientId])).toEqual([['esc', await memberId('zhang')]]);
      expect(await deliverDue(h.db, port, deadline)).toEqual({ sent: 1, skipped: 0, failed: 0 });
      const [opening] = port.posts;
      expect(opening).toMatchObject({ to: '#esc', thread: undefined });
      expect(opening!.text.split('\n').slice(0, 2)).toEqual([
        '✘ Escalation: C-1 · Acme (strategic) is unresolved past its deadline',
        '@zhang: this is yours; resolve it or hand it to someone who can.',
      ]);
      expect(opening!.reply.visibility).toBe('public');
      expect(await complaint(1)).toMatchObject({ threadChannel: 'esc', threadTs: opening!.ts });

      await sweep(plus(deadline, DAY));
      await deliverDue(h.db, port, plus(deadline, DAY));
      expect(port.posts[1]).toMatchObject({ to: '#esc', thread: opening!.ts });
      expect(port.posts[1]!.text.split('\n').slice(0, 2)).toEqual(['✘ C-1 is still unresolved after 2 days', '@li: please step in.']);

      h.now = plus(deadline, DAY + HOUR);
      await ok('/resolve C-1 Claim paid in full', 'zhang');
      await deliverDue(h.db, port, h.now);
      expect(port.posts[2]).toMatchObject({ to: '#esc', thread: opening!.ts, text: '✔ C-1 resolved by zhang.\nResolution: Claim paid in full' });
      expect((await sweep(plus(deadline, 5 * DAY))).ids).toEqual([]);
      await deliverDue(h.db, port, plus(deadline, 5 * DAY));
      expect(port.posts).toHaveLength(3);
      expect((await complaint(1)).threadTs).toBe(opening!.ts);
    });

    it('rungs decided together and delivered by several workers at once still share one thread', async () => {
      const deadline = await setup();
      await escalationChannel('#esc');
      // Delivery was down: all three rungs wait, and go out together.
      const at = plus(deadline, 3 * DAY);
      const ids = await flatMapSeq([deadline, plus(deadline, DAY), plus(deadline, 2 * DAY)], async (d) => (await sweep(d)).ids);
      expect(ids).toHaveLength(3);
      const port = new RecordingPort();
      const first = await Promise.allSettled(ids.map((id) => deliverNudge(h.db, port, id, at)));
      // One opens the thread; the others either wait for it and are tried again, or (the thread recorded by
      // the time they look) reply in it at once: which depends on how the deliveries interleave.
      const outcomes = first.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message));
      expect(outcomes[0]).toBe('sent');
      for (const o of outcomes.slice(1)) expect(['sent', "waiting for the complaint's first post in the channel"]).toContain(o);
      await deliverDue(h.db, port, at);
      const [opening, ...rest] = port.posts;
      expect(opening).toMatchObject({ to: '#esc', thread: undefined });
      expect(rest.map((p) => [p.to, p.thread])).toEqual([
        ['#esc', opening!.ts],
        ['#esc', opening!.ts],
      ]);
      expect((await rows(ids)).map((n) => [n.status, n.attempts])).toEqual([
        ['sent', 1],
        ['sent', 1],
        ['sent', 1],
      ]);
    });

    it('a complaint opened while the channel is set already has its thread; rung 1 replies in it', async () => {
      const deadline = await setup({ channelFirst: true });
      const port = new RecordingPort();
      await deliverDue(h.db, port, T0);
      const [card] = port.posts;
      expect(card).toMatchObject({ to: '#esc', thread: undefined });
      expect(card!.text.split('\n')[0]).toBe('• Complaint C-1 · Acme');
      expect(await complaint(1)).toMatchObject({ threadChannel: 'esc', threadTs: card!.ts });
      await sweep(deadline);
      await deliverDue(h.db, port, deadline);
      expect(port.posts[1]).toMatchObject({ to: '#esc', thread: card!.ts });
      expect(port.posts[1]!.text.split('\n')[0]).toBe('✘ Escalation: C-1 · Acme (strategic) is unresolved past its deadline');
    });
  });

  // BUG: src/scheduler/outbox.ts deliverNudge() posts an escalation rung even
  // when the complaint was resolved after the rung was decided. A high complaint
  // whose deadline falls on Saturday gets rung 1 held for Monday 09:00; the owner
  // resolves it on Sunday; on Monday the thread still says "unresolved past its
  // deadline". Expected: a rung of a resolved complaint is skipped, not posted
  // (e.g. deliverNudge checks complaints.status for kind 'escalation').
  it('a rung still waiting for working hours is not posted once the complaint is resolved', async () => {
    h = harness({ now: cst('2026-01-09T17:00') }); // Friday
    await ok('/account add Acme tier:strategic owner:@zhang');
    await escalationChannel('#esc');
    await ok('/complaint Acme severity:high Crushed pallets', 'zhang');
    const port = new RecordingPort();
    await deliverDue(h.db, port, h.now); // the complaint's card opens the thread
    const rung = (await sweep(cst('2026-01-12T22:00'))).ids; // deadline Monday 17:00, decided at night: waits for Tuesday 09:00
    expect((await row(rung[0]!)).notBefore).toEqual(cst('2026-01-13T09:00'));
    h.now = cst('2026-01-13T08:00');
    await ok('/resolve C-1 Claim paid', 'zhang');
    await deliverDue(h.db, port, h.now); // the closing reply
    await deliverDue(h.db, port, cst('2026-01-13T09:00'));
    expect(port.posts.map((p) => p.text.split('\n')[0])).toEqual(['• Complaint C-1 · Acme', '✔ C-1 resolved by zhang.']);
    expect((await row(rung[0]!)).status).toBe('skipped');
  });
});

describe('delivery', () => {
  /** One revisit nudge for zhang, decided Monday 19 January 10:00. */
  async function setup() {
    h = harness({ now: T0 });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    const due = plus(T0, 14 * DAY);
    const [id] = (await sweep(due)).ids;
    return { due, id: id! };
  }

  it('deliverDue posts each due nudge once, even when called twice', async () => {
    const { due, id } = await setup();
    const port = new RecordingPort();
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(await deliverDue(h.db, port, plus(due, MINUTE))).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(port.posts.map((p) => [p.to, p.text.split('\n')[0]])).toEqual([['@zhang', '! Acme (strategic) is due for a revisit']]);
    expect(await row(id)).toMatchObject({ status: 'sent', sentAt: due, attempts: 1, postedChannel: 'D-zhang', postedTs: port.posts[0]!.ts });
  });

  it('two workers delivering the same nudge at once post it once', async () => {
    const { due, id } = await setup();
    const port = new RecordingPort();
    const results = await Promise.allSettled([deliverNudge(h.db, port, id, due), deliverNudge(h.db, port, id, due)]);
    // One posts; the other finds it claimed and asks to be tried again later (a queue retries it).
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : `${(r.reason as DeliveryError).kind}: ${(r.reason as Error).message}`)).sort()).toEqual([
      'sent',
      'transient: being delivered by another process',
    ]);
    expect(port.posts).toHaveLength(1);
    // Tried again once the first is done: nothing more to post.
    expect(await deliverNudge(h.db, port, id, due)).toBe('skipped');
    expect(port.posts).toHaveLength(1);
  });

  it('a nudge waiting for working hours is not posted before its time', async () => {
    h = harness({ now: T0 });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    await sweep(cst('2026-01-20T22:00'));
    const port = new RecordingPort();
    expect(await deliverDue(h.db, port, cst('2026-01-21T08:59'))).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(await deliverDue(h.db, port, cst('2026-01-21T09:00'))).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(port.posts.map((p) => p.to)).toEqual(['@zhang']);
  });

  it('a permanent error marks it failed, and it is not retried', async () => {
    const { due, id } = await setup();
    const port = new RecordingPort();
    port.refuseNext(new DeliveryError('permanent', 'user_not_found'));
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 0, skipped: 0, failed: 1 });
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'user_not_found', sentAt: null });
    expect(await deliverDue(h.db, port, plus(due, HOUR))).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(await deliverNudge(h.db, port, id, plus(due, HOUR))).toBe('skipped');
    expect(port.attempts).toBe(1);
    expect(port.posts).toEqual([]);
    expect((await row(id)).status).toBe('failed');
  });

  it.each([
    ['transient', new DeliveryError('transient', 'socket hang up')],
    ['rate-limited', new DeliveryError('rate-limited', 'ratelimited', 30_000)],
  ])('a %s error leaves it pending, and the next run posts it', async (_, error) => {
    const { due, id } = await setup();
    const port = new RecordingPort();
    port.refuseNext(error);
    await deliverDue(h.db, port, due);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1, lastError: error.message });
    expect(port.posts).toEqual([]);
    expect(await deliverDue(h.db, port, plus(due, MINUTE))).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(port.posts.map((p) => p.to)).toEqual(['@zhang']);
  });

  it('a revisit nudge overtaken while it waited is skipped: a visit logged late with its earlier date, a snooze', async () => {
    h = harness({ now: cst('2026-01-02T10:00') });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    await ok('/account add Beta tier:strategic owner:@zhang');
    await ok('/touch Beta visit Walked the new warehouse', 'zhang');
    // Due Friday 16 January; decided Saturday 17th, waiting for Monday 09:00.
    const ids = (await sweep(cst('2026-01-17T10:00'))).ids;
    expect((await rows(ids)).map((n) => [n.subjectId, n.notBefore])).toEqual([
      [await accountId('Acme'), cst('2026-01-19T09:00')],
      [await accountId('Beta'), cst('2026-01-19T09:00')],
    ]);
    // Sunday: zhang logs Friday's visit to Acme, and snoozes Beta for a week.
    h.now = cst('2026-01-18T20:00');
    await ok('/touch Acme visit on:2026-01-16 Quarterly review', 'zhang');
    await ok('/snooze Beta 1w', 'zhang');
    const port = new RecordingPort();
    expect(await deliverDue(h.db, port, cst('2026-01-19T09:00'))).toEqual({ sent: 0, skipped: 2, failed: 0 });
    expect(port.posts).toEqual([]);
  });

  it('a leadership nudge overtaken while it waited is skipped: the executive visited, or the pairing ended', async () => {
    h = harness({ now: cst('2026-01-02T10:00') });
    await ok('/steward role @chen exec');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:strategic owner:@zhang');
    await ok('/pair Acme @chen every:14d');
    await ok('/pair Beta @chen every:14d');
    await pinCreatedAt(pairings, h.now);
    const ids = await filterSeq((await sweep(cst('2026-01-17T10:00'))).ids, async (id) => (await row(id)).kind === 'pairing');
    expect(ids).toHaveLength(2);
    h.now = cst('2026-01-18T20:00');
    await ok('/touch Acme visit Dinner with their COO', 'chen');
    await ok('/unpair Beta @chen');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-01-19T09:00'));
    expect((await rows(ids)).map((n) => n.status)).toEqual(['skipped', 'skipped']);
    expect(port.posts.filter((p) => p.to === '@chen')).toEqual([]);
  });

  it('an owner who changes their own time zone is not nudged again for the same revisit', async () => {
    const { due } = await setup();
    h.now = plus(due, HOUR);
    await ok('/steward me timezone:America/Los_Angeles', 'zhang');
    expect(await filterSeq((await sweep(plus(due, 2 * HOUR))).ids, async (id) => (await row(id)).kind === 'revisit')).toEqual([]);
    expect(await allNudges('revisit')).toHaveLength(1);
  });

  it('a recipient who has left is skipped', async () => {
    const { due, id } = await setup();
    // The platform told us zhang left (there is no command for it; the adapters do this).
    await h.db.update(members).set({ active: false, leftAt: due }).where(eq(members.name, 'zhang')).run();
    const port = new RecordingPort();
    expect(await deliverDue(h.db, port, due)).toEqual({ sent: 0, skipped: 1, failed: 0 });
    expect(await row(id)).toMatchObject({ status: 'skipped', lastError: 'recipient gone' });
    expect(port.attempts).toBe(0);
  });
});
