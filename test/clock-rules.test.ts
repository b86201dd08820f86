// The clock's rules over time (issue 16): who is told what, when, and for how
// long, as a season goes by with irregular sweeps. Real SQLite, the real sweep
// and delivery code; only the remote chat platform is a recording port.
import { asc, eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { nudges, pairings } from '../db/schema.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import type { SweepResult } from '../src/scheduler/sweep.js';
import { harness, type Harness } from './harness.js';
import { cst, kit, nudgeText as text, RecordingPort } from './kit.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, nameOf, sweep, pinCreatedAt } = kit(() => h);

type NudgeRow = typeof nudges.$inferSelect;
const who = (n: NudgeRow) => (n.channel ? `#${n.channel}` : nameOf(n.recipientId));
const rows = (ids: number[]) => (ids.length ? h.db.select().from(nudges).where(inArray(nudges.id, ids)).orderBy(asc(nudges.id)).all() : []);
const said = (r: SweepResult, kind?: string) =>
  rows(r.ids)
    .filter((n) => kind === undefined || n.kind === kind)
    .map((n) => `${who(n)}: ${text(n).split('\n')[0]}`);

describe('leadership pairings at delivery', () => {
  it("an executive paired with two accounts who visits one is still told about the other", async () => {
    h = harness({ now: cst('2026-01-02T10:00') });
    await ok('/steward role @chen exec');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:strategic owner:@zhang');
    await ok('/pair Acme @chen every:14d');
    await ok('/pair Beta @chen every:14d');
    pinCreatedAt(pairings, h.now);
    // Due Friday 16 January; decided Saturday, waiting for Monday 09:00.
    const r = sweep(cst('2026-01-17T10:00'));
    expect(said(r, 'pairing')).toEqual(['chen: ! Leadership visit due: Acme', 'chen: ! Leadership visit due: Beta']);
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
    const decided = sweep(cst('2026-01-08T20:00')).ids;
    expect(rows(decided).map((n) => n.kind).sort()).toEqual(['escalation', 'promise']);
    h.now = cst('2026-01-08T21:00');
    await ok('/lost Acme reason:competitor Claims unanswered for six months', 'zhang');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-01-09T09:00'));
    expect(port.posts.filter((p) => /C-1|P-1/.test(p.text))).toEqual([]);
    expect(rows(decided).map((n) => n.status)).toEqual(['skipped', 'skipped']);
    for (const day of ['2026-01-09T10:00', '2026-01-12T10:00', '2026-01-20T10:00', '2026-02-20T10:00']) {
      expect(said(sweep(cst(day))).filter((l) => /C-1|P-1/.test(l))).toEqual([]);
    }
  });
});
