// The clock's rules over time (issue 16): who is told what, when, and for how
// long, as a season goes by with irregular sweeps. Real SQLite, the real sweep
// and delivery code; only the remote chat platform is a recording port.
import fc from 'fast-check';
import { asc, eq, inArray } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { complaints, nudges, pairings } from '../db/schema.js';
import { DEFAULT_DEADLINE_HOURS } from '../src/domain/settings.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import type { SweepResult } from '../src/scheduler/sweep.js';
import { harness, type Harness } from './harness.js';
import { cst, DAY, HOUR, kit, MINUTE, nudgeText as text, plus, RecordingPort } from './kit.js';
import { everySeq, filterSeq, mapSeq } from './async-array.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, nameOf, sweep, pinCreatedAt } = kit(() => h);

type NudgeRow = typeof nudges.$inferSelect;
const who = async (n: NudgeRow) => (n.channel ? `#${n.channel}` : await nameOf(n.recipientId));
const rows = async (ids: number[]) => (ids.length ? await h.db.select().from(nudges).where(inArray(nudges.id, ids)).orderBy(asc(nudges.id)).all() : []);
const said = async (r: SweepResult, kind?: string) =>
  mapSeq(
    (await rows(r.ids)).filter((n) => kind === undefined || n.kind === kind),
    async (n) => `${await who(n)}: ${text(n).split('\n')[0]}`,
  );

describe('leadership pairings at delivery', () => {
  it('an executive paired with two accounts who visits one is still told about the other', async () => {
    h = harness({ now: cst('2026-01-02T10:00') });
    await ok('/steward role @chen exec');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:strategic owner:@zhang');
    await ok('/pair Acme @chen every:14d');
    await ok('/pair Beta @chen every:14d');
    await pinCreatedAt(pairings, h.now);
    // Due Friday 16 January; decided Saturday, waiting for Monday 09:00.
    const r = await sweep(cst('2026-01-17T10:00'));
    expect(await said(r, 'pairing')).toEqual(['chen: ! Leadership visit due: Acme', 'chen: ! Leadership visit due: Beta']);
    h.now = cst('2026-01-18T20:00');
    await ok('/touch Acme visit Dinner with their COO', 'chen');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-01-19T09:00'));
    expect(port.posts.filter((p) => p.to === '@chen').map((p) => p.text.split('\n')[0])).toEqual(['! Leadership visit due: Beta']);
  });
});

describe('a lost account', () => {
  it('hears no more escalations or promise reminders, in the sweep or at delivery', async () => {
    h = harness({ now: cst('2026-01-05T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/complaint Acme severity:medium category:damage 3 pallets crushed', 'zhang');
    await ok('/promise Acme due:2026-01-09 Send the cold-chain quote', 'zhang');
    // Thursday 20:00: rung 1 (the deadline was 10:00) and the eve reminder, both waiting for Friday 09:00.
    const decided = (await sweep(cst('2026-01-08T20:00'))).ids;
    expect((await rows(decided)).map((n) => n.kind).sort()).toEqual(['escalation', 'promise']);
    h.now = cst('2026-01-08T21:00');
    await ok('/lost Acme reason:competitor Claims unanswered for six months', 'zhang');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-01-09T09:00'));
    expect(port.posts.filter((p) => /C-1|P-1/.test(p.text))).toEqual([]);
    expect((await rows(decided)).map((n) => n.status)).toEqual(['skipped', 'skipped']);
    for (const day of ['2026-01-09T10:00', '2026-01-12T10:00', '2026-01-20T10:00', '2026-02-20T10:00']) {
      expect((await said(await sweep(cst(day)))).filter((l) => /C-1|P-1/.test(l))).toEqual([]);
    }
  });
});

describe('the escalation ladder over time', () => {
  /** zhang owns Acme; li manages zhang; boss (exec) manages li; chen (exec) is paired with Acme. */
  async function team(now: Date) {
    h = harness({ now });
    await ok('/steward role @chen exec');
    await ok('/steward role @boss exec');
    await ok('/steward team @zhang manager:@li');
    await ok('/steward team @li manager:@boss');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/pair Acme @chen');
  }
  const escalations = () => h.db.select().from(nudges).where(eq(nudges.kind, 'escalation')).orderBy(asc(nudges.id)).all();

  it('a high complaint opened Thursday 20:00 reaches owner, manager and executive on Monday, Tuesday and Wednesday mornings', async () => {
    await team(cst('2026-01-08T20:00'));
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
    for (let at = cst('2026-01-08T20:00').getTime(); at <= cst('2026-01-16T20:00').getTime(); at += 3_600_000) await sweep(new Date(at));
    expect(await mapSeq(await escalations(), async (n) => [await who(n), n.notBefore])).toEqual([
      ['zhang', cst('2026-01-12T09:00')],
      ['li', cst('2026-01-13T09:00')],
      ['boss', cst('2026-01-14T09:00')],
    ]);
  });

  it('after a 13-day gap a sweep sends only the next rung', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
    expect(await said(await sweep(cst('2026-01-06T10:00')), 'escalation')).toEqual(['zhang: ✘ Escalation: C-1 · Acme (strategic) is unresolved past its deadline']);
    expect(await said(await sweep(cst('2026-01-19T10:00')), 'escalation')).toEqual(['li: ✘ C-1 is still unresolved after 14 days']);
    expect(await said(await sweep(cst('2026-01-19T15:00')), 'escalation')).toEqual([]);
    expect(await said(await sweep(cst('2026-01-20T10:00')), 'escalation')).toEqual(['boss: ✘ C-1 is still unresolved after 15 days and two escalations']);
  });

  it('rung 3 goes to the paired executive when nobody above the manager is an executive, and to an admin when there is neither', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/steward role @boss manager');
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
    for (const day of ['06', '07', '08']) await sweep(cst(`2026-01-${day}T10:00`));
    await ok('/unpair Acme');
    await ok('/complaint Acme severity:high category:damage Again', 'zhang');
    for (const day of ['09', '12', '13']) await sweep(cst(`2026-01-${day}T11:00`));
    expect(
      await mapSeq(
        (await escalations()).filter((n) => n.dedupeKey.endsWith(':3')),
        who,
      ),
    ).toEqual(['chen', 'alice']);
  });
});

describe('the ladder over random quiet times (property)', () => {
  const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
  /** Gaps between sweeps: minutes to two weeks, mostly short, as a scheduler that is sometimes down. */
  const gap = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 15, max: 12 * 60 }) },
    { weight: 2, arbitrary: fc.integer({ min: 12 * 60, max: 4 * 24 * 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 4 * 24 * 60, max: 14 * 24 * 60 }) },
  );
  const inWorkingHours = (d: Date, closeIncluded = false) => {
    const t = DateTime.fromJSDate(d, { zone: 'Asia/Shanghai' });
    const minutes = t.hour * 60 + t.minute + t.second / 60;
    return t.weekday <= 5 && minutes >= 9 * 60 && (minutes < 18 * 60 || (closeIncluded && minutes === 18 * 60));
  };

  it('rungs climb one at a time, each at least its span after the last was read, and an open complaint is never left unraised', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SEVERITIES),
        fc.integer({ min: 0, max: 14 * 24 * 60 }),
        fc.array(gap, { minLength: 5, maxLength: 60 }),
        async (severity, openAfter, gaps) => {
          const opened = plus(cst('2026-01-05T00:00'), openAfter * MINUTE);
          h?.close();
          h = harness({ now: opened });
          await ok('/steward role @boss exec');
          await ok('/steward team @zhang manager:@li');
          await ok('/steward team @li manager:@boss');
          await ok('/account add Acme tier:strategic owner:@zhang');
          await ok(`/complaint Acme severity:${severity} category:damage Crushed pallets`, 'zhang');
          const c = async () => (await h.db.select().from(complaints).get())!;
          const span = DEFAULT_DEADLINE_HOURS[severity] * HOUR;
          // Domain: a non-critical deadline falls in working hours (its close included).
          if (severity !== 'critical') expect(inWorkingHours((await c()).deadlineAt, true)).toBe(true);
          let at = opened;
          const end = plus(opened, 100 * DAY);
          for (const g of [...gaps, ...Array(100).fill(2 * 24 * 60)]) {
            at = plus(at, g * MINUTE);
            if (at > end) break;
            const decided = await filterSeq((await sweep(at)).ids, async (id) => (await rows([id]))[0]!.kind === 'escalation');
            // One step per sweep, whatever the gap.
            expect(decided.length).toBeLessThanOrEqual(1);
          }
          await sweep(end);
          const told = await h.db.select().from(nudges).where(eq(nudges.kind, 'escalation')).orderBy(asc(nudges.id)).all();
          expect(await mapSeq(told.slice(0, 3), who)).toEqual(['zhang', 'li', 'boss']);
          expect(await everySeq(told.slice(3), async (n) => (await who(n)) === 'boss')).toBe(true);
          // Rung 1 is decided at the deadline or after, and read at least the severity's span (its days working days) after the opening.
          expect(told[0]!.createdAt.getTime()).toBeGreaterThanOrEqual((await c()).deadlineAt.getTime());
          expect(told[0]!.notBefore!.getTime() - opened.getTime()).toBeGreaterThanOrEqual(span);
          for (let i = 1; i < told.length; i++) {
            const [before, next] = [told[i - 1]!, told[i]!];
            // Each rung is decided after the one before was read, and read at least a span after it; past the top, a week.
            const least = i < 3 ? span : 7 * DAY;
            expect(next.createdAt.getTime()).toBeGreaterThan(before.notBefore!.getTime());
            expect(next.notBefore!.getTime() - before.notBefore!.getTime()).toBeGreaterThanOrEqual(least);
          }
          for (const n of told) if (severity !== 'critical') expect(inWorkingHours(n.notBefore!)).toBe(true);
          // Still open at the end: on the top rung, and raised again within the last week.
          expect((await c()).escalationLevel).toBe(3);
          expect(end.getTime() - told.at(-1)!.notBefore!.getTime()).toBeLessThan(7 * DAY);
        },
      ),
      // CLOCK_RUNS=500 for a longer search.
      { numRuns: Number(process.env.CLOCK_RUNS ?? 12) },
    );
  }, 600_000);
});

describe('promise reminders when the sweep misses the eve and the day', () => {
  it('a promise due Tuesday 15 September, swept on the 11th, 16th and 17th, is reminded late, worded as late, then reaches the manager', async () => {
    h = harness({ now: cst('2026-09-07T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/promise Acme due:2026-09-15 Send the cold-chain quote', 'zhang');
    expect(await said(await sweep(cst('2026-09-11T10:00')), 'promise')).toEqual([]);
    expect(await said(await sweep(cst('2026-09-16T10:00')), 'promise')).toEqual(['zhang: ! Was due Tue 15 Sept 2026: P-1 for Acme']);
    expect(await said(await sweep(cst('2026-09-17T10:00')), 'promise')).toEqual([]);
    // Three working days after zhang was told: Monday 21st, 10:00.
    expect(await said(await sweep(cst('2026-09-21T09:59')), 'promise')).toEqual([]);
    expect(await said(await sweep(cst('2026-09-21T10:00')), 'promise')).toEqual(["li: ! P-1 for Acme, zhang's, was due Tue 15 Sept 2026 and is still open (6 days late)"]);
    expect(await said(await sweep(cst('2026-09-28T10:00')), 'promise')).toEqual([]);
  });

  it('a promise kept after the owner was told does not reach the manager', async () => {
    h = harness({ now: cst('2026-09-07T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/promise Acme due:2026-09-15 Send the cold-chain quote', 'zhang');
    expect(await said(await sweep(cst('2026-09-15T10:00')), 'promise')).toEqual(['zhang: ! Due today: P-1 for Acme']);
    h.now = cst('2026-09-17T10:00');
    await ok('/promise kept P-1 Sent', 'zhang');
    expect(await said(await sweep(cst('2026-09-21T10:00')), 'promise')).toEqual([]);
  });
});

describe('overdue revisits keep coming back', () => {
  /** Acme (strategic, zhang's, li his manager) visited Monday 5 January: due Monday 19 January 10:00. */
  async function visited() {
    h = harness({ now: cst('2026-01-05T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    return cst('2026-01-19T10:00');
  }
  const revisitNudges = () => h.db.select().from(nudges).where(eq(nudges.kind, 'revisit')).orderBy(asc(nudges.id)).all();

  it('an account 91 days overdue was raised to its owner every week, and to the manager now and then', async () => {
    const due = await visited();
    // Sweeps twice a week, at random-looking hours, for 91 days.
    for (let d = 0; d <= 91; d += d % 7 === 0 ? 3 : 4) await sweep(plus(due, d * DAY + ((d * 7) % 11) * HOUR));
    const owner = await filterSeq(await revisitNudges(), async (n) => (await who(n)) === 'zhang');
    const manager = await filterSeq(await revisitNudges(), async (n) => (await who(n)) === 'li');
    expect(owner.length).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < owner.length; i++) {
      const gap = owner[i]!.notBefore!.getTime() - owner[i - 1]!.notBefore!.getTime();
      expect(gap).toBeGreaterThanOrEqual(7 * DAY);
      expect(gap).toBeLessThan(12 * DAY);
    }
    expect(manager.length).toBeGreaterThanOrEqual(3);
    expect(plus(due, 91 * DAY).getTime() - owner.at(-1)!.notBefore!.getTime()).toBeLessThan(12 * DAY);
  });

  it('still comes back more than a year later', async () => {
    const due = await visited();
    for (let d = 0; d <= 420; d += 7) await sweep(plus(due, d * DAY));
    const owner = await filterSeq(await revisitNudges(), async (n) => (await who(n)) === 'zhang');
    expect(owner).toHaveLength(61);
    expect(owner.at(-1)!.createdAt).toEqual(plus(due, 420 * DAY));
  });

  it('after a handover the new owner is nudged, and what waited for the old one is not delivered', async () => {
    const due = await visited();
    await sweep(due);
    // Saturday: zhang's reminder waits for Monday; on Sunday the account goes to wang.
    const waiting = await sweep(cst('2026-01-31T10:00'));
    expect(await said(waiting)).toEqual(['zhang: ! Reminder: Acme is 12 days overdue for a revisit']);
    h.now = cst('2026-02-01T10:00');
    await ok('/account set Acme owner:@wang');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-02-02T09:00'));
    expect(port.posts.filter((p) => p.text.includes('Acme'))).toEqual([]);
    expect(await said(await sweep(cst('2026-02-02T10:00')))).toEqual(['wang: ! Acme (strategic) is due for a revisit']);
    expect(await said(await sweep(cst('2026-02-09T10:00')))).toEqual(['wang: ! Reminder: Acme is 21 days overdue for a revisit']);
  });
});

describe('overdue and snoozed accounts where the account shows', () => {
  it('the digest and /risk list an overdue account; once snoozed, the digest and /account say until when instead of overdue', async () => {
    h = harness({ now: cst('2026-01-05T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    h.now = cst('2026-01-26T10:00'); // 7 days overdue
    const digest = async () => (await ok('/digest', 'li')).text;
    expect(await digest()).toContain('Overdue for a revisit (1)\n  • Acme · strategic · zhang · 7 days overdue');
    expect((await ok('/risk', 'li')).text).toContain('Overdue for a revisit (1)\n  • Acme · strategic · zhang · 7 days overdue');
    expect((await ok('/account Acme', 'zhang')).text).toContain('7 days OVERDUE');
    await ok('/snooze Acme 1w', 'zhang');
    expect(await digest()).toContain('Overdue for a revisit (0)\n  • Acme · strategic · zhang · snoozed until Mon 2 Feb 2026');
    const account = (await ok('/account Acme', 'zhang')).text;
    expect(account).toContain('snoozed until Mon 2 Feb 2026');
    expect(account).not.toContain('OVERDUE');
    expect((await ok('/risk', 'li')).text).not.toContain('Overdue for a revisit');
  });

  it('a snooze (or not-needed) is the health reason instead of overdue and costs no points, in /account and /risk, until it ends', async () => {
    h = harness({ now: cst('2026-01-05T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/touch Acme visit Walked the new warehouse', 'zhang');
    h.now = cst('2026-02-02T10:00'); // 14 days overdue: the whole 20 points
    await ok('/signal Acme price-pressure Their buyer asks for 5% off the Shanghai lanes', 'zhang');
    const account = async () => (await ok('/account Acme', 'zhang')).text;
    const risk = async () => (await ok('/risk', 'li')).text.split('\n')[0];
    expect(await account()).toContain('revisit 14 days overdue (every 14 days) (−20)');
    expect(await account()).toMatch(/Health +72\/100, watch/);
    expect(await risk()).toBe('! Accounts at risk or to watch in your team: 1');

    await ok('/snooze Acme 1w', 'zhang');
    let shown = await account();
    expect(shown).toContain('revisit snoozed until Mon 9 Feb 2026, not counted overdue (every 14 days)');
    expect(shown).not.toContain('days overdue');
    expect(shown).toMatch(/Health +92\/100, healthy/);
    expect(await risk()).toBe('✔ Accounts at risk or to watch in your team: 0');

    // The snooze ends: overdue again, and it costs again; a "not needed" quiets it for a cycle the same way.
    h.now = cst('2026-02-10T10:00');
    expect(await account()).toContain('revisit 22 days overdue (every 14 days) (−20)');
    expect(await risk()).toBe('! Accounts at risk or to watch in your team: 1');
    await ok('/snooze Acme not-needed They paused all orders until March', 'zhang');
    shown = await account();
    expect(shown).toContain('revisit snoozed until Tue 24 Feb 2026, not counted overdue (every 14 days)');
    expect(shown).toMatch(/Health +92\/100, healthy/);
    expect(await risk()).toBe('✔ Accounts at risk or to watch in your team: 0');
  });
});

describe('the review season', () => {
  async function season() {
    h = harness({ now: cst('2026-08-20T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:key owner:@zhang');
  }

  it('a week whose first sweep falls on a Sunday night sends R-n once, on Monday', async () => {
    await season();
    await sweep(cst('2026-09-01T10:00'));
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-09-01T10:00'));
    await sweep(cst('2026-09-13T22:00')); // Sunday: waits for Monday 09:00
    await sweep(cst('2026-09-14T10:00')); // Monday's own sweep
    const monday = new RecordingPort();
    await deliverDue(h.db, monday, cst('2026-09-14T10:00'));
    expect(monday.posts.map((p) => p.text.split('\n')[0]).filter((l) => l!.includes('Supplier review'))).toEqual([
      '! Supplier review R-1 · Acme · before Sat 31 Oct 2026',
      '! Supplier review R-2 · Beta · before Sat 31 Oct 2026',
    ]);
  });

  it('stops at the deadline with one last summary to the owner and the manager', async () => {
    await season();
    await sweep(cst('2026-09-01T10:00'));
    h.now = cst('2026-09-10T10:00');
    await ok('/review Acme held Met their COO', 'zhang');
    await ok('/account set Beta revenue:1.2m spend:4m', 'zhang');
    await ok('/review Beta tick risks', 'zhang');
    await ok('/review Beta tick competitors', 'zhang');
    await ok('/review Beta prepared Deck ready', 'zhang');
    expect(await said(await sweep(cst('2026-10-26T10:00')), 'review')).toEqual(['zhang: ! Supplier review R-2 · Beta · before Sat 31 Oct 2026']);
    const closed = await sweep(cst('2026-11-02T10:00'));
    expect(
      await mapSeq(
        (await rows(closed.ids)).filter((n) => n.kind === 'review'),
        async (n) => `${await who(n)}: ${text(n)}`,
      ),
    ).toEqual([
      'zhang: ! Supplier review season 2026 closed on Sat 31 Oct 2026: 1 review not held\n  • R-2 · Beta · zhang · Prepared; the review meeting is still to hold.',
      'li: ! Supplier review season 2026 closed on Sat 31 Oct 2026: 1 review not held\n  • R-2 · Beta · zhang · Prepared; the review meeting is still to hold.',
    ]);
    for (const day of ['2026-11-09', '2026-11-16', '2026-12-07', '2026-12-28']) expect(await said(await sweep(cst(`${day}T10:00`)), 'review')).toEqual([]);
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-12-28T10:00'));
    expect(port.posts.filter((p) => p.text.includes('deadline passed'))).toEqual([]);
  });
});
