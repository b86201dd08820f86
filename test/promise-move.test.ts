// A promise renegotiated openly (DOMAIN.md: "every promise kept, or renegotiated
// openly"): /promise move with its reason and history, reminders that follow the
// date now agreed (never the old one), and the kept-on-time rate in the digest,
// judged by the date first agreed.
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { nudges, promiseMoves, promises } from '../db/schema.js';
import { renderText } from '../src/engine/render-text.js';
import { digestFor } from '../src/views/digest.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { harness, type Harness } from './harness.js';
import { cst, DAY, HOUR, kit, plus, RecordingPort, T0 } from './kit.js';
import { transact } from '../db/index.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, refused, sweep, allNudges, tenant, member } = kit(() => h);

const promise = async (n: number) => (await h.db.select().from(promises).where(eq(promises.number, n)).get())!;
const moves = async (n: number) =>
  h.db
    .select()
    .from(promiseMoves)
    .where(eq(promiseMoves.promiseId, (await promise(n)).id))
    .all();
/** The promise reminders' keys, with the promise's id left out. */
/** What was posted about promises, as "recipient: first line". */
const said = (port: RecordingPort) => port.posts.filter((p) => p.text.includes('P-')).map((p) => `${p.to}: ${p.text.split('\n')[0]}`);
const keys = async () => (await allNudges('promise')).map((n) => n.dedupeKey.replace(/^promise:\d+:/, ''));

/** Acme is zhang's, whose manager is li; P-1 is due Friday 9 January 2026. */
async function setup() {
  h = harness({ now: T0 });
  await ok('/steward team @zhang manager:@li');
  await ok('/account add Acme tier:strategic owner:@zhang');
  await ok('/promise Acme due:2026-01-09 Send the cold-chain quote', 'zhang');
}

describe('/promise move', () => {
  it('moves the due date, records from, to, reason, who and when, and shows the history', async () => {
    await setup();
    h.now = cst('2026-01-07T15:30');
    const out = await ok('/promise move P-1 due:2026-01-16 Customer asked for the audit first', 'zhang');
    expect(out.text).toBe(
      [
        '✔ P-1 moved from Fri 9 Jan 2026 to Fri 16 Jan 2026 (moved 1 time). Reminders now follow the new date.',
        'Customer asked for the audit first',
        '[Mark kept: /promise kept P-1]  [Promise and its history: /promise show P-1]',
      ].join('\n'),
    );
    expect((await promise(1)).dueOn).toBe('2026-01-16');
    expect(await moves(1)).toMatchObject([
      { fromOn: '2026-01-09', toOn: '2026-01-16', reason: 'Customer asked for the audit first', byId: (await member('zhang')).id, movedAt: cst('2026-01-07T15:30') },
    ]);
    // Their manager may move it too.
    h.now = cst('2026-01-08T09:00');
    await ok('/promise move P-1 due:tuesday Waiting for their warehouse team', 'li');
    expect((await moves(1)).map((m) => `${m.fromOn}→${m.toOn}`)).toEqual(['2026-01-09→2026-01-16', '2026-01-16→2026-01-13']);
    expect((await ok('/promise show P-1', 'zhang')).text).toBe(
      [
        '• P-1 for Acme',
        'Send the cold-chain quote',
        '  Owner         zhang',
        '  Status        open · moved 2 times',
        '  Due           Tue 13 Jan 2026',
        '  First agreed  Fri 9 Jan 2026',
        '  Made          Mon 5 Jan 2026',
        'Moves (2)',
        '  • Fri 9 Jan 2026 → Fri 16 Jan 2026 · zhang, Wed 7 Jan 2026 15:30 · Customer asked for the audit first',
        '  • Fri 16 Jan 2026 → Tue 13 Jan 2026 · li, Thu 8 Jan 2026 09:00 · Waiting for their warehouse team',
        '[Mark kept: /promise kept P-1]',
      ].join('\n'),
    );
    expect((await ok('/promise list', 'zhang')).text).toBe('• Promises: 1\n  • P-1 · Acme · due Tue 13 Jan 2026 · zhang · Send the cold-chain quote · moved 2 times');
  });

  it('a promise never moved says so', async () => {
    await setup();
    expect((await ok('/promise show P-1', 'zhang')).text).toContain('Moves (0)\n  Never moved.');
  });

  it.each([
    ['/promise move P-1 due:2026-01-16', 'Missing the reason.'],
    ['/promise move P-1 Customer asked', 'Missing due:'],
    ['/promise move P-1', 'Missing due:'],
    ['/promise move P-1 due:2026-01-02 Too late already', 'Fri 2 Jan 2026 has already passed. A promise needs a due date from today on.'],
    ['/promise move P-1 due:2026-01-09 Same day', 'P-1 is already due Fri 9 Jan 2026. Give the new date it was agreed to move to.'],
    ['/promise move P-9 due:2026-01-16 No such promise', 'There is no promise P-9. See them with /promise list all'],
  ])('%s is refused: %s', async (command, said) => {
    await setup();
    const out = await refused(command, 'zhang');
    expect(out.text.split('\n')[0]).toBe(`✘ ${said}`);
  });

  it('shows the usage when it refuses for a missing reason or date', async () => {
    await setup();
    expect((await refused('/promise move P-1 due:2026-01-16', 'zhang')).text).toContain('Usage:\n  /promise move P-<n> due:<date> <reason>');
  });

  it.each(['kept', 'broken'] as const)('a %s promise cannot be moved', async (status) => {
    await setup();
    await ok(`/promise ${status} P-1`, 'zhang');
    expect((await refused('/promise move P-1 due:2026-01-16 Try again', 'zhang')).text).toBe(`✘ P-1 is already ${status}: only an open promise can be moved.`);
  });

  it("someone outside the owner's line cannot move it", async () => {
    await setup();
    await ok('/steward team @wang manager:@chen');
    const out = await refused('/promise move P-1 due:2026-01-16 I think it can wait', 'wang');
    expect(out.text).toMatch(/^✘ .*move P-1 to a new date/);
    expect((await promise(1)).dueOn).toBe('2026-01-09');
  });

  it('in Chinese: 改期 with 截止:, a Chinese date and reason, history under 查看', async () => {
    await setup();
    await ok('/steward me locale:zh-CN', 'zhang');
    const out = await ok('/承诺 改期 P-1 截止:1月16日 客户“审计”推迟，需要再等一周。', 'zhang');
    expect(out.text.split('\n').slice(0, 2)).toEqual(['✔ P-1已从2026年1月9日 周五改期到2026年1月16日 周五（共改期1次）。之后按新日期提醒。', '客户“审计”推迟，需要再等一周。']);
    expect((await moves(1))[0]!.reason).toBe('客户“审计”推迟，需要再等一周。');
    const shown = (await ok('/承诺 查看 P-1', 'zhang')).text;
    expect(shown).toContain('  状态    待兑现 · 改期1次');
    expect(shown).toContain('  最初约定  2026年1月9日 周五');
    expect(shown).toContain('改期记录（1）\n  • 2026年1月9日 周五 → 2026年1月16日 周五 · zhang，2026年1月5日 周一 10:00 · 客户“审计”推迟，需要再等一周。');
    expect((await refused('/承诺 延期 P-1 截止:2026-01-20', 'zhang')).text.split('\n')[0]).toBe('✘ 缺少原因。');
    expect((await refused('/承诺 改期 P-1 截止:2026-01-02 已经过了', 'zhang')).text.split('\n')[0]).toBe('✘ 2026年1月2日 周五已经过去了。承诺的截止日期须是今天或之后。');
    await ok('/承诺 兑现 P-1', 'zhang');
    expect((await refused('/承诺 改期 P-1 截止:2026-01-20 又推迟', 'zhang')).text).toBe('✘ P-1已结束（已兑现）：只有待兑现的承诺可以改期。');
  });

  it('kept by its new date it is kept, not late, and says it moved', async () => {
    await setup();
    await ok('/promise move P-1 due:2026-01-16 Customer asked for the audit first', 'zhang');
    expect((await ok('/account show Acme', 'zhang')).text).toContain('  • P-1 due Fri 16 Jan 2026 (moved 1 time): Send the cold-chain quote');
    h.now = cst('2026-01-15T10:00');
    expect((await ok('/promise kept P-1', 'zhang')).text).toBe('✔ P-1 kept by the date agreed when it was moved (moved 1 time). Tell the customer it is done.');
    expect((await ok('/promise show P-1', 'zhang')).text).toContain('  Status        kept · moved 1 time');
  });
});

describe('reminders follow the new date', () => {
  it('an eve reminder decided for the old date is not sent; the new date gets its eve and its day, once each', async () => {
    await setup();
    const port = new RecordingPort();
    // Decided at midnight on the eve, to be read at 09:00.
    expect((await sweep(cst('2026-01-08T00:00'))).ids).toHaveLength(1);
    h.now = cst('2026-01-08T08:00');
    await ok('/promise move P-1 due:2026-01-16 Customer asked for the audit first', 'zhang');
    await deliverDue(h.db, port, cst('2026-01-08T09:00'));
    expect(said(port)).toEqual([]);
    expect((await sweep(cst('2026-01-09T10:00'))).ids).toEqual([]);
    expect((await sweep(cst('2026-01-12T10:00'))).ids).toEqual([]);
    for (let at = cst('2026-01-13T00:00'); at < cst('2026-01-20T00:00'); at = plus(at, 3 * HOUR)) {
      await sweep(at);
      await deliverDue(h.db, port, at);
    }
    expect(said(port)).toEqual(['@zhang: ! Due tomorrow: P-1 for Acme', '@zhang: ! Due today: P-1 for Acme']);
    expect(await keys()).toEqual(['eve', 'm1:eve', 'm1:due']);
    expect(
      (await h.db
        .select()
        .from(nudges)
        .where(and(eq(nudges.kind, 'promise'), eq(nudges.dedupeKey, (await allNudges('promise'))[0]!.dedupeKey)))
        .get())!.status,
    ).not.toBe('sent');
  });

  it('a late promise moved on: its manager is not told about the old date, only once the new one is missed', async () => {
    await setup();
    const port = new RecordingPort();
    await sweep(cst('2026-01-09T10:00')); // due today, told at once
    await deliverDue(h.db, port, cst('2026-01-09T10:00'));
    h.now = cst('2026-01-12T10:00');
    await ok('/promise move P-1 due:2026-01-20 Their audit slipped a week', 'zhang');
    for (let at = cst('2026-01-12T10:00'); at < cst('2026-01-30T00:00'); at = plus(at, 6 * HOUR)) {
      await sweep(at);
      await deliverDue(h.db, port, at);
    }
    expect(said(port)).toEqual([
      '@zhang: ! Due today: P-1 for Acme',
      '@zhang: ! Due tomorrow: P-1 for Acme',
      '@zhang: ! Due today: P-1 for Acme',
      "@li: ! P-1 for Acme, zhang's, was due Tue 20 Jan 2026 and is still open (3 days late)",
    ]);
    expect(await keys()).toEqual(['due', 'm1:eve', 'm1:due', 'm1:manager']);
  });

  it('over many seeded seasons of moves, no reminder of a date the promise moved from is ever sent, and the last date is reminded on its day once', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      let x = seed * 7919;
      const rand = (n: number) => ((x = (x * 48271) % 2147483647), x % n);
      await setup();
      const port = new RecordingPort();
      const sent = new Set<string>();
      // One to three moves, at hours picked in January, each to a day one to ten days after that day.
      const moveAt = Array.from({ length: 1 + rand(3) }, () => plus(T0, rand(26 * 24) * HOUR)).sort((a, b) => a.getTime() - b.getTime());
      let round = 0;
      for (let at = T0; at < cst('2026-02-14T00:00'); at = plus(at, (3 + rand(10)) * HOUR)) {
        while (moveAt.length && moveAt[0]! <= at) {
          h.now = moveAt.shift()!;
          const to = new Date(h.now.getTime() + (1 + rand(10)) * DAY).toISOString().slice(0, 10);
          if (to === (await promise(1)).dueOn) continue;
          await ok(`/promise move P-1 due:${to} Seed ${seed} asked again`, 'zhang');
          round++;
        }
        await sweep(at);
        await deliverDue(h.db, port, at);
        for (const n of (await allNudges('promise')).filter((r) => r.status === 'sent' && !sent.has(r.dedupeKey))) {
          sent.add(n.dedupeKey);
          // Sent now: it is about the date agreed now.
          expect(n.dedupeKey.replace(/^promise:\d+:/, ''), `seed ${seed}`).toMatch(round ? new RegExp(`^m${round}:(eve|due|manager)$`) : /^(eve|due|manager)$/);
        }
      }
      // The last date agreed was reminded on its day, once (a nudge is sent once, by its key).
      expect(
        [...sent].filter((k) => k.replace(/^promise:\d+:/, '') === `${round ? `m${round}:` : ''}due`),
        `seed ${seed}`,
      ).toHaveLength(1);
      expect(said(port).filter((l) => l.startsWith('@zhang: ! Due today')).length, `seed ${seed}`).toBeLessThanOrEqual(round + 1);
      h.close();
    }
  }, 120_000);
});

describe('kept on time, in the digest', () => {
  /**
   * li manages zhang and wang. Over a quarter: zhang keeps P-1 on time, moves P-2 and keeps it by
   * its new date (kept, but late against the date first agreed), breaks P-3; wang keeps P-4 late
   * and P-5 early. P-6, kept long before the last 13 weeks, does not count.
   */
  async function quarter() {
    h = harness({ now: cst('2025-09-01T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/steward team @wang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/account add Beta tier:key owner:@wang');
    await ok('/promise Acme due:2025-09-05 An old promise', 'zhang');
    await ok('/promise kept P-1', 'zhang');
    h.now = T0;
    await ok('/promise Acme due:2026-01-09 Send the cold-chain quote', 'zhang');
    await ok('/promise Acme due:2026-01-09 Rate card', 'zhang');
    await ok('/promise Acme due:2026-01-12 Site audit report', 'zhang');
    await ok('/promise Beta due:2026-01-09 Credit note', 'wang');
    await ok('/promise Beta due:2026-01-20 Volume forecast', 'wang');
    h.now = cst('2026-01-08T10:00');
    await ok('/promise kept P-2', 'zhang');
    await ok('/promise move P-3 due:2026-01-16 Customer wants the new rates first', 'zhang');
    h.now = cst('2026-01-09T23:30'); // still the due day
    await ok('/promise kept P-6', 'wang');
    h.now = cst('2026-01-12T10:00');
    await ok('/promise kept P-5', 'wang');
    h.now = cst('2026-01-13T10:00');
    await ok('/promise broken P-4', 'zhang');
    h.now = cst('2026-01-15T10:00');
    await ok('/promise kept P-3', 'zhang');
    h.now = cst('2026-02-02T10:00');
  }
  /** The digest's kept-on-time heading and its lines. */
  const section = (text: string) => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Promises kept on time') || l.startsWith('近13周'));
    if (at < 0) return [];
    const end = lines.findIndex((l, i) => i > at && !l.startsWith('  • '));
    return lines.slice(at, end < 0 ? undefined : end);
  };

  it("a manager reads each rep's rate and the team's; a rep reads their own", async () => {
    await quarter();
    expect(section((await ok('/digest', 'li')).text)).toEqual([
      'Promises kept on time, last 13 weeks (by the date first agreed)',
      '  • zhang: 1 of 3 kept on time (33%) · 1 kept late · 1 broken · 1 moved',
      '  • wang: 1 of 2 kept on time (50%) · 1 kept late · 0 broken',
      '  • Team: 2 of 5 kept on time (40%) · 2 kept late · 1 broken · 1 moved',
    ]);
    expect(section((await ok('/digest', 'wang')).text)).toEqual([
      'Promises kept on time, last 13 weeks (by the date first agreed)',
      '  • wang: 1 of 2 kept on time (50%) · 1 kept late · 0 broken',
    ]);
  });

  it('in Chinese', async () => {
    await quarter();
    await ok('/steward me locale:zh-CN', 'li');
    expect(section((await ok('/digest', 'li')).text)).toEqual([
      '近13周承诺按时兑现率（按最初约定的日期）',
      '  • zhang：3条中按时兑现1条（33%） · 逾期兑现1条 · 未兑现1条 · 改期过1条',
      '  • wang：2条中按时兑现1条（50%） · 逾期兑现1条 · 未兑现0条',
      '  • 团队合计：5条中按时兑现2条（40%） · 逾期兑现2条 · 未兑现1条 · 改期过1条',
    ]);
  });

  it('says nothing when no promise was kept or broken in the quarter', async () => {
    await setup();
    expect(renderText(await transact(h.db, async (tx) => digestFor(tx, await tenant(), await member('li'), cst('2026-01-12T10:00'))))).not.toContain('kept on time');
  });
});
