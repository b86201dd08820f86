// The weekly digest (src/scheduler/digest.ts, handlers/digest.ts): what a
// manager and a rep read, who may read whose, and one recorded digest per
// person per ISO week, delivered through a recording ChatPort.
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { accounts, pairings } from '../db/schema.js';
import { renderText } from '../src/engine/render-text.js';
import { recordDigest } from '../src/domain/digest.js';
import { digestAll, digestRun } from '../src/scheduler/digest.js';
import { digestComposer } from '../src/views/digest.js';
import { recordWeeklyDigestsInBatches, type RecordDigest } from '../src/domain/digest.js';
import { digestFor, orgDigestFor } from '../src/views/digest.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { harness, type Harness } from './harness.js';
import { cst, DAY, kit, nudgeText, plus, RecordingPort } from './kit.js';
import { closeDb, openDb, transact } from '../db/index.js';
import { findSeq, mapSeq } from './async-array.js';

/** Monday 12 October 2026, 10:00: the digest is read as of now. */
const D = cst('2026-10-12T10:00');

let h: Harness;
afterEach(() => h?.close());
const { ok, refused, tenant, member, nameOf, sweep, allNudges, pinCreatedAt } = kit(() => h);

async function at(local: string, ...commands: [string, string][]) {
  h.now = cst(local);
  for (const [text, user] of commands) await ok(text, user);
}

const digestText = async (name: string, when = D) => renderText(await transact(h.db, async (tx) => digestFor(tx, await tenant(), await member(name), when)));
const digests = () => allNudges('digest');

/**
 * li manages zhang and wang; sun is a rep on no one's team; chen is an
 * executive paired with Acme. Six weeks of work, from Tuesday 1 September
 * (the review season's start) to Monday 12 October.
 */
async function sixWeeks() {
  h = harness({ now: cst('2026-09-01T10:00') });
  await ok('/steward team @zhang manager:@li');
  await ok('/steward team @wang manager:@li');
  await ok('/steward role @chen exec');
  await ok('/account add Acme tier:strategic owner:@zhang');
  await ok('/account add Beta tier:key owner:@wang');
  await ok('/account add Gamma tier:standard owner:@zhang');
  await ok('/account add Omega tier:strategic owner:@sun');
  // Logged in an order where no touchpoint's id equals its account's id.
  await ok('/touch Gamma visit Site walk', 'zhang');
  await ok('/touch Omega visit Site walk', 'sun');
  await ok('/touch Beta visit Site walk', 'wang');
  await ok('/pair Acme @chen every:30d');
  await pinCreatedAt(pairings, h.now); // created_at is the wall clock otherwise
  await sweep(h.now); // the season starts: R-1 Acme, R-2 Beta, R-3 Omega

  await at('2026-09-20T10:00', ['/signal Acme volume-drop Orders down 30% since July', 'zhang']);
  await at('2026-09-22T10:00', ['/touch Acme visit Met the new logistics director', 'zhang']);
  await at('2026-09-30T10:00', ['/touch Acme call Confirmed Q4 volumes', 'zhang']);
  await at(
    '2026-10-05T10:00',
    ['/promise Acme due:2026-10-10 Send the cold-chain quote', 'zhang'],
    ['/promise Beta due:2026-10-20 Send revised rates', 'wang'],
    ['/promise Omega due:2026-10-07 Call back about the claim', 'sun'],
    // Prepared claims every item of the checklist: the wallet share known, the items only zhang can vouch for ticked.
    ['/account set Acme revenue:1.2m spend:4m', 'zhang'],
    ['/review Acme tick risks', 'zhang'],
    ['/review Acme tick competitors', 'zhang'],
    ['/review Acme prepared Deck ready', 'zhang'],
  );
  await at('2026-10-08T10:00', ['/touch Acme call Chased the quote', 'zhang']);
  await at(
    '2026-10-09T10:00',
    ['/touch Beta message Sent the rate card', 'wang'],
    ['/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang'],
    ['/touch Omega call Claim follow-up', 'sun'],
  );
  await at('2026-10-10T10:00', ['/touch Gamma meeting Quarterly review', 'zhang'], ['/signal Beta price-pressure Asked for 8% off', 'wang']);
  await at('2026-10-11T22:00', ['/complaint Beta severity:low category:billing Invoice typo', 'wang'], ['/complaint Omega severity:medium Late pickup', 'sun']);
  h.now = D;
  await sweep(D); // C-1 reaches its deadline now (a working day after Friday 10:00): rung 1
}

const LI = [
  "• Weekly digest for li's team (3 people)",
  // The digest leads with the accounts at risk or to watch.
  'At risk or to watch (1)',
  '  • Acme: healthy → at risk (41) · 1 open complaint (C-1), 0 past deadline, oldest 3 days (−19.5)',
  'Touchpoints: 3 in the last 7 days (1 the 7 days before).',
  'Overdue for a revisit (2)',
  '  • Beta · key · wang · 11 days overdue',
  '  • Acme · strategic · zhang · 6 days overdue',
  'Open complaints (2, 1 escalated)',
  '  • C-1 · Acme · high · open 3 days · escalated (1)',
  '  • C-2 · Beta · low · open 12 hours',
  'Overdue promises (1)',
  '  • P-1 · Acme · due Sat 10 Oct 2026 (2 days late) · Send the cold-chain quote',
  'Lapsed leadership pairings (1)',
  '  • Acme · chen · never touched',
  'Supplier reviews: 0 held, 1 prepared, 1 not started, of 2; deadline Sat 31 Oct 2026.',
  'Complaints: time to answer and to resolve (this week)',
  '  • No complaint resolved in this period.',
  '  • 2 complaints open, 2 not answered yet.',
  '  • Oldest open: C-1 · Acme, open for 3 days.',
  // Eight weeks to this Monday: the book (added 1 September) by band as the score read it each week, and complaints.
  'Accounts by health, last 8 weeks (08-24 – 10-12)',
  '  healthy  ▁▁████▆▆  0 0 3 3 3 3 2 2',
  '  watch    ▁▁▁▁▁▁▃▁  0 0 0 0 0 0 1 0',
  '  at risk  ▁▁▁▁▁▁▁▃  0 0 0 0 0 0 0 1',
  'Complaints opened and resolved per week, last 8 weeks (08-24 – 10-12)',
  '  opened    ▁▁▁▁▁▁▁█  0 0 0 0 0 0 0 2',
  '  resolved  ▁▁▁▁▁▁▁▁  0 0 0 0 0 0 0 0',
  'New warning signs this week (1)',
  '  • Sat 10 Oct 2026 · Beta · price pressure — Asked for 8% off',
].join('\n');

const ZHANG = [
  '• Weekly digest for zhang',
  'At risk or to watch (1)',
  '  • Acme: healthy → at risk (41) · 1 open complaint (C-1), 0 past deadline, oldest 3 days (−19.5)',
  'Touchpoints: 2 in the last 7 days (1 the 7 days before).',
  'Overdue for a revisit (1)',
  '  • Acme · strategic · zhang · 6 days overdue',
  'Open complaints (1, 1 escalated)',
  '  • C-1 · Acme · high · open 3 days · escalated (1)',
  'Overdue promises (1)',
  '  • P-1 · Acme · due Sat 10 Oct 2026 (2 days late) · Send the cold-chain quote',
  'Lapsed leadership pairings (1)',
  '  • Acme · chen · never touched',
  'Supplier reviews: 0 held, 1 prepared, 0 not started, of 1; deadline Sat 31 Oct 2026.',
  'Complaints: time to answer and to resolve (this week)',
  '  • No complaint resolved in this period.',
  '  • 1 complaint open, 1 not answered yet.',
  '  • Oldest open: C-1 · Acme, open for 3 days.',
  'Accounts by health, last 8 weeks (08-24 – 10-12)',
  '  healthy  ▁▁████▅▅  0 0 2 2 2 2 1 1',
  '  watch    ▁▁▁▁▁▁▅▁  0 0 0 0 0 0 1 0',
  '  at risk  ▁▁▁▁▁▁▁▅  0 0 0 0 0 0 0 1',
  'Complaints opened and resolved per week, last 8 weeks (08-24 – 10-12)',
  '  opened    ▁▁▁▁▁▁▁█  0 0 0 0 0 0 0 1',
  '  resolved  ▁▁▁▁▁▁▁▁  0 0 0 0 0 0 0 0',
  'New warning signs this week (0)',
  '  none',
].join('\n');

describe('what the digest says', () => {
  beforeEach(sixWeeks);

  it("a manager reads their team's week", async () => {
    expect((await ok('/digest', 'li')).text).toBe(LI);
  });

  it('a rep reads only their own book', async () => {
    expect((await ok('/digest', 'zhang')).text).toBe(ZHANG);
    expect((await ok('/digest', 'sun')).text).toBe(
      [
        '• Weekly digest for sun',
        'At risk or to watch (1)',
        '  • Omega: healthy → watch (67) · revisit 27 days overdue (every 14 days) (−20)',
        'Touchpoints: 1 in the last 7 days (0 the 7 days before).',
        'Overdue for a revisit (1)',
        '  • Omega · strategic · sun · 27 days overdue',
        'Open complaints (1, 0 escalated)',
        '  • C-3 · Omega · medium · open 12 hours',
        'Overdue promises (1)',
        '  • P-3 · Omega · due Wed 7 Oct 2026 (5 days late) · Call back about the claim',
        'Lapsed leadership pairings (0)',
        '  none',
        'Supplier reviews: 0 held, 0 prepared, 1 not started, of 1; deadline Sat 31 Oct 2026.',
        'Complaints: time to answer and to resolve (this week)',
        '  • No complaint resolved in this period.',
        '  • 1 complaint open, 1 not answered yet.',
        '  • Oldest open: C-3 · Omega, open for 12 hours.',
        'Accounts by health, last 8 weeks (08-24 – 10-12)',
        '  healthy  ▁▁█████▁  0 0 1 1 1 1 1 0',
        '  watch    ▁▁▁▁▁▁▁█  0 0 0 0 0 0 0 1',
        '  at risk  ▁▁▁▁▁▁▁▁  0 0 0 0 0 0 0 0',
        'Complaints opened and resolved per week, last 8 weeks (08-24 – 10-12)',
        '  opened    ▁▁▁▁▁▁▁█  0 0 0 0 0 0 0 1',
        '  resolved  ▁▁▁▁▁▁▁▁  0 0 0 0 0 0 0 0',
        'New warning signs this week (0)',
        '  none',
      ].join('\n'),
    );
  });

  it('moves with the week: a kept promise, a resolved complaint, a touch by the executive and a held review', async () => {
    h.now = plus(D, 2 * 3_600_000);
    await ok('/promise kept P-1 Sent this morning', 'zhang');
    await ok('/resolve C-1 Claim paid in full', 'zhang');
    await ok('/touch Acme visit Dinner with their CEO', 'chen');
    await ok('/review Acme held', 'zhang');
    const text = (await ok('/digest', 'zhang')).text;
    expect(text).toContain('Overdue for a revisit (0)\n  Every account is visited on time.');
    expect(text).toContain('Open complaints (0, 0 escalated)\n  none');
    expect(text).toContain('Overdue promises (0)\n  none');
    expect(text).toContain('Lapsed leadership pairings (0)\n  none');
    expect(text).toContain('Supplier reviews: 1 held, 0 prepared, 0 not started, of 1; deadline Sat 31 Oct 2026.');
  });

  it('the touchpoint count compares the last 7 days with the 7 before', async () => {
    expect((await digestText('li', plus(D, 7 * DAY))).split('\n').find((l) => l.startsWith('Touchpoints:'))).toBe('Touchpoints: 0 in the last 7 days (3 the 7 days before).');
  });
});

describe('review progress only in the season', () => {
  it('before the season starts the digest has no review line', async () => {
    h = harness({ now: cst('2026-08-20T10:00') });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await sweep(h.now);
    expect((await ok('/digest', 'zhang')).text).not.toContain('Supplier reviews');
  });
});

describe("the digest's week", () => {
  it("is the workspace's: a reader in another zone gets one every week, across a change of the clocks", async () => {
    h = harness({ now: new Date('2026-10-05T00:00:00Z'), timezone: 'Asia/Tokyo' });
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/steward me timezone:Europe/London', 'zhang');
    // Monday 08:30 in Tokyo: 00:30 on Monday in London in summer time, 23:30 on Sunday after the clocks go back (25 Oct).
    const mondays = ['2026-10-12', '2026-10-19', '2026-10-26', '2026-11-02'].map((d) => DateTime.fromISO(`${d}T08:30`, { zone: 'Asia/Tokyo' }).toJSDate());
    // alice, the admin, reads the organisation's digest each week too.
    const recorded = await mapSeq(mondays, async (at) => (await transact(h.db, async (tx) => digestAll(tx, await tenant(), at))).length);
    expect(recorded).toEqual([2, 2, 2, 2]);
    const zhangId = (await member('zhang')).id;
    expect((await digests()).filter((n) => n.recipientId === zhangId).map((n) => n.period)).toEqual(['2026-W42', '2026-W43', '2026-W44', '2026-W45']);
  });
});

describe('people who have left', () => {
  beforeEach(sixWeeks);

  it("a rep who left: their book stays in their manager's digest and /risk until it is handed over", async () => {
    await ok('/leave @zhang');
    const li = await digestText('li');
    // The team is li and wang now; zhang's accounts, complaint and promise are still li's to see.
    expect(li.split('\n')[0]).toBe("• Weekly digest for li's team (2 people)");
    expect(li).toContain('  • Acme · strategic · zhang · 6 days overdue');
    expect(li).toContain('  • C-1 · Acme · high · open 3 days · escalated (1)');
    expect(li).toContain('  • P-1 · Acme · due Sat 10 Oct 2026 (2 days late) · Send the cold-chain quote');
    // Their leaving flags Gamma too (down 15 in four weeks).
    expect((await ok('/risk', 'li')).text).toMatch(
      /^! Accounts at risk or to watch in your team: 2\n {2}• Acme · zhang · .*\n {2}• Gamma · zhang · 85\/100, watch, down 15 in four weeks · the owner has left/,
    );
  });

  it("a manager who left: their reports' work reaches the manager above them, who still gets a digest", async () => {
    await ok('/steward team @li manager:@boss');
    await ok('/leave @li');
    const boss = await digestText('boss');
    expect(boss.split('\n')[0]).toBe("• Weekly digest for boss's team (3 people)");
    expect(boss).toContain('  • C-1 · Acme · high · open 3 days · escalated (1)');
    const ids = await transact(h.db, async (tx) => digestAll(tx, await tenant(), D));
    const sent = await allNudges('digest');
    expect((await mapSeq(ids, (id) => nameOf(sent.find((n) => n.id === id)!.recipientId))).sort()).toEqual(['alice', 'boss', 'chen', 'sun', 'wang', 'zhang']);
  });

  it('an admin sees the accounts nobody owns in /risk', async () => {
    await h.db.update(accounts).set({ ownerId: null }).where(eq(accounts.name, 'Acme')).run();
    expect((await ok('/risk')).text).toMatch(/ {2}• Acme · nobody · /);
    expect((await ok('/risk', 'li')).text).not.toContain('Acme');
  });
});

describe('/digest @someone', () => {
  beforeEach(sixWeeks);

  it("a manager may read a report's digest; an admin anyone's", async () => {
    expect((await ok('/digest @zhang', 'li')).text).toBe(ZHANG);
    expect((await ok('/digest @zhang')).text).toBe(ZHANG);
    expect((await ok('/digest @li')).text).toBe(LI);
  });

  it("so may the manager's manager", async () => {
    await ok('/steward team @li manager:@boss');
    expect((await ok('/digest @zhang', 'boss')).text).toBe(ZHANG);
  });

  it('a peer, a report or someone outside the team is refused, and nothing changes', async () => {
    expect((await refused('/digest @zhang', 'wang')).text).toBe("✘ Only zhang, the people they report to, and admins can see zhang's digest.");
    expect((await refused('/digest @li', 'zhang')).text).toBe("✘ Only li, the people they report to, and admins can see li's digest.");
    expect((await refused('/digest @sun', 'li')).text).toBe("✘ Only sun, the people they report to, and admins can see sun's digest.");
    expect((await refused('/digest @zhang', 'chen')).text).toBe("✘ Only zhang, the people they report to, and admins can see zhang's digest.");
  });
});

describe('digestAll: one digest per person per ISO week', () => {
  beforeEach(sixWeeks);
  const record = (when: Date) => transact(h.db, async (tx) => digestAll(tx, await tenant(), when));

  it('records one for everyone who owns accounts or leads a team, and for each admin and executive, once a week', async () => {
    const ids = await record(D);
    expect(ids).toHaveLength(6);
    expect((await mapSeq(await digests(), async (n) => [await nameOf(n.recipientId), n.dedupeKey === `digest:${n.recipientId}:2026-W42`, n.period])).sort()).toEqual([
      ['alice', true, '2026-W42'],
      ['chen', true, '2026-W42'],
      ['li', true, '2026-W42'],
      ['sun', true, '2026-W42'],
      ['wang', true, '2026-W42'],
      ['zhang', true, '2026-W42'],
    ]);
    expect(nudgeText((await findSeq(await digests(), async (n) => (await nameOf(n.recipientId)) === 'li'))!)).toBe(LI);
    expect(await record(D)).toEqual([]);
    expect(await record(plus(D, 3 * DAY))).toEqual([]);
    expect(await record(plus(D, 6 * DAY + 13 * 3_600_000))).toEqual([]); // Sunday 23:00
    expect(await record(plus(D, 7 * DAY))).toHaveLength(6);
    expect((await digests()).map((n) => n.period)).toEqual([...Array(6).fill('2026-W42'), ...Array(6).fill('2026-W43')]);
  });

  it("the Monday 08:30 digest waits for 09:00 in each reader's own zone", async () => {
    await ok('/steward me timezone:Europe/Berlin', 'wang');
    const monday = cst('2026-10-19T08:30'); // 02:30 in Berlin
    await record(monday);
    expect(Object.fromEntries(await mapSeq(await digests(), async (n) => [await nameOf(n.recipientId), n.notBefore?.toISOString()]))).toEqual({
      alice: cst('2026-10-19T09:00').toISOString(),
      chen: cst('2026-10-19T09:00').toISOString(),
      li: cst('2026-10-19T09:00').toISOString(),
      zhang: cst('2026-10-19T09:00').toISOString(),
      wang: '2026-10-19T07:00:00.000Z',
      sun: cst('2026-10-19T09:00').toISOString(),
    });
  });

  it('each digest reaches its reader once, as a direct message', async () => {
    await record(D);
    const port = new RecordingPort();
    // The sweep of D decided nudges too; only the digests are looked at here.
    await deliverDue(h.db, port, D);
    await deliverDue(h.db, port, plus(D, 60_000));
    const received = port.posts.filter((p) => p.text.startsWith('• Weekly digest'));
    expect(received.map((p) => p.to).sort()).toEqual(['@alice', '@chen', '@li', '@sun', '@wang', '@zhang']);
    expect(received.find((p) => p.to === '@li')!.text).toBe(LI);
    expect((await digests()).every((n) => n.status === 'sent')).toBe(true);
  });
});

describe('the weekly run records in batches, each its own transaction', () => {
  beforeEach(sixWeeks);
  const byReader = async () => (await mapSeq(await digests(), async (n) => [await nameOf(n.recipientId), n.period])).sort();
  const EVERYONE = ['alice', 'chen', 'li', 'sun', 'wang', 'zhang'].map((name) => [name, '2026-W42']);

  it('records what digestAll records, the same cards', async () => {
    const ids = (await digestRun(h.db, await tenant(), D, 2)).ids;
    expect(ids).toHaveLength(6);
    expect(await byReader()).toEqual(EVERYONE);
    expect(nudgeText((await findSeq(await digests(), async (n) => (await nameOf(n.recipientId)) === 'li'))!)).toBe(LI);
  });

  it('a run stopped after some batches and run again records each digest exactly once', async () => {
    // The fourth record fails: the first batch (two digests) stays, the second (the third and fourth) is undone whole.
    let n = 0;
    const failing: RecordDigest = (tx, due, payload) => {
      if (++n === 4) throw new Error('the process stops here');
      return recordDigest(tx, due, payload);
    };
    await expect(recordWeeklyDigestsInBatches(h.db, await tenant(), D, digestComposer(await tenant(), D), failing, 2)).rejects.toThrow('the process stops here');
    expect(await digests()).toHaveLength(2);
    // Run again: only the four not yet recorded are composed and recorded.
    let composed = 0;
    const compose = digestComposer(await tenant(), D);
    const again = await recordWeeklyDigestsInBatches(h.db, await tenant(), D, async (tx, due) => (composed++, await compose(tx, due)), recordDigest, 2);
    expect(composed).toBe(4);
    expect(again.ids).toHaveLength(4);
    expect(again.holds).toHaveLength(2);
    expect(await byReader()).toEqual(EVERYONE);
    expect(new Set((await digests()).map((d) => d.dedupeKey)).size).toBe(6);
    // And once more: nothing left to decide.
    expect((await digestRun(h.db, await tenant(), D, 2)).ids).toEqual([]);
    expect(await digests()).toHaveLength(6);
  });

  it('a digest recorded by someone else between composing and recording is not recorded twice', async () => {
    // Another process records the same week's digests while this run composes: the dedupe key turns them away.
    const compose = digestComposer(await tenant(), D);
    const run = await recordWeeklyDigestsInBatches(
      h.db,
      await tenant(),
      D,
      async (tx, due) => {
        const card = await compose(tx, due);
        if (due.member.name === 'li') {
          // The other process: its own connection (one connection's transactions take turns, so this run's would wait).
          const other = openDb(h.file);
          try {
            await transact(other, async (w) => digestAll(w, await tenant(), D), { behavior: 'immediate' });
          } finally {
            closeDb(other);
          }
        }
        return card;
      },
      recordDigest,
      10,
    );
    expect(await digests()).toHaveLength(6);
    expect(await byReader()).toEqual(EVERYONE);
    expect(run.ids.length).toBeLessThan(6);
  });
});

describe('a digest as of a past time reads only what existed then', () => {
  it('leaves out complaints opened after it, ages the rest at it, and reads one resolved since as open', async () => {
    h = harness({ now: cst('2026-10-01T10:00') });
    await ok('/account add Acme tier:key owner:@zhang');
    await at('2026-10-02T10:00', ['/complaint Acme severity:low Late pickup', 'zhang']); // C-1, resolved after T
    await at('2026-10-03T10:00', ['/complaint Acme severity:low Invoice typo', 'zhang']); // C-2, open at T
    await at('2026-10-06T00:55', ['/complaint Acme severity:low Damaged pallet', 'zhang']); // C-3, opened after T
    await at('2026-10-06T09:00', ['/resolve C-1 Rebooked', 'zhang']);
    h.now = cst('2026-10-07T10:00');
    await ok('/account add Beta tier:key owner:@zhang'); // created after T
    h.now = cst('2026-10-08T10:00');
    const lines = (await digestText('zhang', cst('2026-10-05T12:00'))).split('\n');
    const complaintLines = lines.filter((l) => /C-\d/.test(l) && l.includes('· open'));
    expect(lines).toContain('Open complaints (2, 0 escalated)');
    expect(complaintLines.map((l) => l.trim())).toEqual(['• C-1 · Acme · low · open 3 days', '• C-2 · Acme · low · open 2 days']);
    expect(lines.join('\n')).not.toContain('C-3');
    expect(lines.join('\n')).not.toContain('Beta');
    // The week's complaint times count the same two, C-1 (resolved since, answered since) among them.
    expect(lines).toContain('  • 2 complaints open, 2 not answered yet.');
    expect(lines).toContain('  • Oldest open: C-1 · Acme, open for 3 days.');
  });

  it("the organisation's digest counts what was open then: complaints, overdue promises, accounts", async () => {
    h = harness({ now: cst('2026-10-01T10:00') });
    await ok('/account add Acme tier:key owner:@zhang');
    await at('2026-10-02T10:00', ['/complaint Acme severity:low Late pickup', 'zhang'], ['/promise Acme due:2026-10-03 Send the quote', 'zhang']);
    await at('2026-10-06T00:55', ['/complaint Acme severity:low Damaged pallet', 'zhang'], ['/promise Acme due:2026-10-09 Call back', 'zhang']);
    await at('2026-10-06T09:00', ['/resolve C-1 Rebooked', 'zhang'], ['/promise kept P-1', 'zhang']);
    h.now = cst('2026-10-07T10:00');
    await ok('/account add Beta tier:key owner:@zhang');
    h.now = cst('2026-10-08T10:00');
    const text = renderText(await transact(h.db, async (tx) => orgDigestFor(tx, await tenant(), await member('alice'), cst('2026-10-05T12:00'))));
    expect(text).toContain('1 account · ');
    expect(text).toContain('complaints 1 open, 0 escalated · promises 0 broken this quarter, 1 overdue');
  });
});
