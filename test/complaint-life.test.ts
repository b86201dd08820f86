// A complaint's life (issue 18): progress notes, its history in one view, reopening
// with a fresh ladder, and the time to first answer and to resolution in the digest
// and /churn. Real SQLite, the real engine, sweep and delivery; time moved by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { asc, eq } from 'drizzle-orm';
import { MIGRATIONS_FOLDER, transact } from '../db/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { complaintEvents, complaints, nudges } from '../db/schema.js';
import { renderBlocks } from '../src/chat/slack/blocks.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { digestFor } from '../src/views/digest.js';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';
import { cst, DAY, kit, MINUTE, plus, RecordingPort } from './kit.js';
import { mapSeq } from './async-array.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, refused, sweep, member, nameOf, tenant, escalationChannel } = kit(() => h, { errorTone: true });

const complaint = async (n = 1) => (await h.db.select().from(complaints).where(eq(complaints.number, n)).get())!;
const events = () => h.db.select().from(complaintEvents).orderBy(asc(complaintEvents.id)).all();
const escalations = () => h.db.select().from(nudges).where(eq(nudges.kind, 'escalation')).orderBy(asc(nudges.id)).all();

/**
 * alice is the admin; zhang and wang are reps in li's team, zhao in wu's (another region);
 * li and wu report to boss, an executive. zhang owns Acme.
 */
async function team(now: Date) {
  h = harness({ now });
  await ok('/steward role @boss exec');
  await ok('/steward team @zhang manager:@li');
  await ok('/steward team @wang manager:@li');
  await ok('/steward team @zhao manager:@wu');
  await ok('/steward team @li manager:@boss');
  await ok('/steward team @wu manager:@boss');
  await ok('/account add Acme tier:strategic owner:@zhang');
}

describe('/complaint note', () => {
  it("is stored with its author and time; the owner's first note is the first answer, a manager's is not", async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
    h.now = cst('2026-01-05T11:00');
    const byManager = await ok('/complaint note C-1 Please call them today', 'li');
    expect(byManager.text).toContain('Note added to C-1.');
    expect(byManager.text).not.toContain('first answer');
    expect((await complaint()).firstAnswerAt).toBeNull();
    // The owner hears what someone else wrote on their complaint.
    expect(byManager.notices.map((n) => ('member' in n.to ? n.to.member.name : n.to.channel))).toEqual(['zhang']);

    h.now = cst('2026-01-05T13:30');
    const byOwner = await ok('/complaint note C-1 Called their logistics director; claim form sent', 'zhang');
    expect(byOwner.text).toContain('That is its first answer, 3 hours after it was opened.');
    expect((await complaint()).firstAnswerAt).toEqual(cst('2026-01-05T13:30'));
    expect(await mapSeq(await events(), async (e) => [e.kind, await nameOf(e.actorId), e.text, e.at])).toEqual([
      ['note', 'li', 'Please call them today', cst('2026-01-05T11:00')],
      ['note', 'zhang', 'Called their logistics director; claim form sent', cst('2026-01-05T13:30')],
    ]);
    // A later note does not move the first answer.
    h.now = cst('2026-01-06T09:00');
    expect((await ok('/complaint note C-1 Claim accepted', 'zhang')).text).not.toContain('first answer');
    expect((await complaint()).firstAnswerAt).toEqual(cst('2026-01-05T13:30'));
  });

  it('follows who may write on the account: another team is refused and nothing is written', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    const out = await refused('/complaint note C-1 Not my account', 'zhao');
    expect(out.text).toContain("zhang's team looks after this account, not yours");
    expect(out.text).toContain('add a note to C-1');
    // Their manager's manager, an executive, and the admin may.
    await ok('/complaint note C-1 Seen', 'boss');
    await ok('/complaint note C-1 Seen too', 'alice');
  });

  it('taking a complaint is its first answer; so is its resolution when nothing came before', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'alice');
    await ok('/complaint Acme Truck late', 'alice');
    h.now = cst('2026-01-05T12:00');
    await ok('/complaint assign C-1 me', 'zhang');
    expect((await complaint(1)).firstAnswerAt).toEqual(cst('2026-01-05T12:00'));
    h.now = cst('2026-01-07T12:00');
    await ok('/resolve C-2 Rebooked on the next truck', 'zhang');
    expect((await complaint(2)).firstAnswerAt).toEqual(cst('2026-01-07T12:00'));
  });
});

describe('/complaint show: its life in one view', () => {
  it('the damage claim bounced between regions for six months reads as exactly that', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme severity:high category:damage Damage claim for 3 crushed pallets', 'zhang');
    // Passed on every five weeks or so: to wang (same team), to zhao in wu's region, back and forth.
    const passes: [string, string][] = [
      ['wang', 'li'],
      ['zhao', 'alice'],
      ['zhang', 'wu'],
      ['wang', 'li'],
      ['zhao', 'alice'],
    ];
    let at = cst('2026-01-05T10:00');
    for (const [to, by] of passes) {
      at = plus(at, 35 * DAY);
      h.now = at;
      await sweep(at);
      await ok(`/complaint assign C-1 @${to}`, by);
    }
    h.now = cst('2026-07-06T10:00');
    await sweep(h.now);
    const out = await ok('/complaint show C-1');
    expect(out.text).toContain('Passed 5 times between 3 people in 2 teams over 6 months, no resolution.');
    expect(out.text).toMatch(/First answer\s+none yet, 6 months since opening/);
    expect(out.text).toMatch(/Open for\s+6 months/);
    expect(out.text).toMatch(/Hands\s+zhang → wang → zhao → zhang → wang → zhao\n/);
    const history = out.text.slice(out.text.indexOf('History'));
    expect(history).toContain('Mon 5 Jan 2026 10:00 · opened by zhang (high)');
    expect(history).toContain('passed from zhang to wang by li');
    expect(history).toContain('passed from wang to zhao by alice');
    expect(history).toContain('passed from zhao to zhang by wu');
    // The ladder's rungs, and the weekly reminders to the top one as one line.
    expect(history).toContain('escalated to its owner zhang');
    expect(history).toContain('escalated to the manager li');
    expect(history).toContain('escalated to the executive boss');
    expect(history).toMatch(/raised again to the top rung weekly: \d+ times, last/);
    // In order of time.
    expect(history.indexOf('opened by')).toBeLessThan(history.indexOf('escalated to its owner'));
    expect(history.indexOf('passed from zhang to wang')).toBeLessThan(history.indexOf('passed from wang to zhao'));
  });

  it('a hand-back shows every hand in order, and someone who took it for themselves took it from its owner (exploratory report)', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    h.now = cst('2026-01-06T10:00');
    await ok('/complaint assign C-1 @zhao', 'alice');
    h.now = cst('2026-01-07T10:00');
    await ok('/complaint assign C-1 @zhang', 'wu');
    h.now = cst('2026-01-08T10:00');
    await ok('/complaint assign C-1 me', 'alice');
    const out = await ok('/complaint show C-1');
    // zhang had it twice: four hands, three people.
    expect(out.text).toMatch(/Hands\s+zhang → zhao → zhang → alice\n/);
    expect(out.text).toContain('Passed 3 times between 3 people');
    expect(out.text).toContain('passed from zhang to zhao by alice');
    expect(out.text).toContain('passed from zhao to zhang by wu');
    expect(out.text).toContain('Thu 8 Jan 2026 10:00 · alice took it from zhang');
    expect(out.text).not.toContain('passed from zhang to alice');
  });

  it('in Chinese too: every hand in order, and 认领 from its owner', async () => {
    h = harness({ locale: 'zh-CN', now: cst('2026-01-05T10:00') });
    await ok('/客户 添加 华东化工 级别:战略 负责人:@zhang');
    await ok('/投诉 华东 三托货物压坏', 'zhang');
    await ok('/投诉 指派 C-1 @zhao', 'alice');
    await ok('/投诉 指派 C-1 @zhang', 'alice');
    await ok('/投诉 认领 C-1 me', 'alice');
    const out = await ok('/投诉 查看 C-1');
    expect(out.text).toMatch(/经手人\s+zhang → zhao → zhang → alice\n/);
    expect(out.text).toContain('alice从zhang手中认领');
    expect(out.text).toContain('alice把它从zhang转交给zhao');
  });

  it('a resolved complaint says how long to its first answer and to its resolution, with its notes', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    h.now = cst('2026-01-05T12:00');
    await ok('/complaint note C-1 Called them', 'zhang');
    h.now = cst('2026-01-09T10:00');
    await ok('/resolve C-1 Claim paid', 'zhang');
    const out = await ok('/complaint show C-1');
    expect(out.text).toContain('Resolved after 4 days, in the same hands throughout.');
    expect(out.text).toMatch(/First answer\s+2 hours after opening/);
    expect(out.text).toMatch(/Resolved after\s+4 days/);
    expect(out.text).toContain('Mon 5 Jan 2026 12:00 · note by zhang: Called them');
    expect(out.text).toContain('Fri 9 Jan 2026 10:00 · resolved by zhang: Claim paid');
  });

  it("in Chinese: 备注 and 查看, the life in the team's own words", async () => {
    h = harness({ locale: 'zh-CN', now: cst('2026-01-05T10:00') });
    await ok('/客户 添加 华东化工 级别:战略');
    await ok('/投诉 华东 严重度:高 类别:货损 三托货物压坏');
    h.now = cst('2026-01-05T11:00');
    expect((await ok('/投诉 备注 C-1 已致电客户，理赔单已发出')).text).toContain('这是它的首次响应，距登记1小时。');
    h.now = cst('2026-01-06T10:00');
    await ok('/投诉 进展 C-1 对方已收到理赔单');
    const out = await ok('/投诉 查看 C-1');
    expect(out.text).toContain('经过');
    expect(out.text).toContain('alice备注：已致电客户，理赔单已发出');
    expect(out.text).toMatch(/首次响应\s+登记后1小时/);
    expect(out.text).toContain('已持续24小时，始终由同一人负责，仍未解决。');
    expect((await ok('/投诉 历史 C-1')).text).toBe(out.text);
  });
});

describe('/complaint reopen', () => {
  it('opens a resolved complaint again: a deadline from the reopening, and the sweep climbs the ladder again', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
    for (const day of ['06', '07', '08']) await sweep(cst(`2026-01-${day}T10:00`));
    expect(await mapSeq(await escalations(), (n) => nameOf(n.recipientId))).toEqual(['zhang', 'li', 'boss']);
    h.now = cst('2026-01-09T10:00');
    await ok('/resolve C-1 Claim paid', 'zhang');

    h.now = cst('2026-02-02T10:00');
    const out = await ok('/complaint reopen C-1 Same damage on the next shipment', 'li');
    expect(out.text).toContain('C-1 reopened. Its escalation ladder starts again: new deadline Tue 3 Feb 2026 10:00.');
    expect(out.text).toContain('Why: Same damage on the next shipment');
    expect(await complaint()).toMatchObject({
      status: 'open',
      escalationLevel: 0,
      escalatedAt: null,
      resolvedAt: null,
      reopenCount: 1,
      reopenedAt: cst('2026-02-02T10:00'),
      ownerId: (await member('zhang')).id,
    });
    // Its owner hears of it.
    expect(out.notices.map((n) => ('member' in n.to ? n.to.member.name : n.to.channel))).toEqual(['zhang']);

    // Nothing before the new deadline; then each rung again, a span apart, to the same people.
    expect((await sweep(cst('2026-02-03T09:59'))).counts.escalation).toBe(0);
    for (const day of ['03', '04', '05']) await sweep(cst(`2026-02-${day}T10:00`));
    const again = (await escalations()).slice(3);
    expect(await mapSeq(again, async (n) => [await nameOf(n.recipientId), n.dedupeKey])).toEqual([
      ['zhang', `escalation:${(await complaint()).id}:1:r1`],
      ['li', `escalation:${(await complaint()).id}:2:r1`],
      ['boss', `escalation:${(await complaint()).id}:3:r1`],
    ]);
    expect(again.map((n) => n.notBefore)).toEqual([cst('2026-02-03T10:00'), cst('2026-02-04T10:00'), cst('2026-02-05T10:00')]);

    const shown = (await ok('/complaint show C-1')).text;
    expect(shown).toContain('Reopened 1 time.');
    expect(shown).toContain('Fri 9 Jan 2026 10:00 · resolved by zhang: Claim paid');
    expect(shown).toContain('Mon 2 Feb 2026 10:00 · reopened by li: Same damage on the next shipment');
    // The first answer stays the first: the resolution of 9 January.
    expect(shown).toMatch(/First answer\s+4 days after opening/);
  });

  it('a rung decided before the resolution and still waiting is not delivered after a reopening', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme severity:high Pallets crushed', 'zhang');
    // An evening sweep decides rung 1, for the owner's next working morning.
    await sweep(cst('2026-01-06T19:00'));
    expect((await escalations()).map((n) => [n.status, n.notBefore])).toEqual([['pending', cst('2026-01-07T09:00')]]);
    h.now = cst('2026-01-06T19:10');
    await ok('/resolve C-1 Fixed', 'zhang');
    await ok('/complaint reopen C-1', 'zhang');
    const port = new RecordingPort();
    await deliverDue(h.db, port, cst('2026-01-07T09:30'));
    expect(port.posts.filter((p) => p.text.includes('Escalation'))).toEqual([]);
  });

  it('refuses an open complaint clearly, and an unknown one', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    const out = await refused('/complaint reopen C-1 again', 'zhang');
    expect(out.text).toContain('C-1 is still open: only a resolved complaint can be reopened.');
    expect((await refused('/complaint reopen C-99')).text).toContain('There is no complaint C-99.');
    await ok('/resolve C-1 Done', 'zhang');
    expect((await refused('/complaint reopen C-1', 'zhao')).text).toContain('reopen C-1');
  });
});

const digestText = async () => renderText(await transact(h.db, async (tx) => digestFor(tx, await tenant(), await member('li'), h.now)));

describe('time to first answer and to resolution', () => {
  /** Two complaints resolved this week (first answers after 2 and 4 hours, fixed after 1 and 3 days), one open since long. */
  async function week() {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Old damage claim', 'zhang');
    h.now = cst('2026-03-02T10:00');
    await ok('/complaint Acme Truck late', 'zhang');
    await ok('/complaint Acme Wrong invoice', 'zhang');
    h.now = cst('2026-03-02T12:00');
    await ok('/complaint note C-2 Rebooking', 'zhang');
    h.now = cst('2026-03-02T14:00');
    await ok('/complaint note C-3 Checking with finance', 'zhang');
    h.now = cst('2026-03-03T10:00');
    await ok('/resolve C-2 Rebooked', 'zhang');
    h.now = cst('2026-03-05T10:00');
    await ok('/resolve C-3 Credit note sent', 'zhang');
  }

  it("in the manager's weekly digest: medians of the week's resolved, the open and unanswered, the oldest open", async () => {
    await week();
    h.now = cst('2026-03-06T10:00');
    const text = await digestText();
    expect(text).toContain('Complaints: time to answer and to resolve (this week)');
    expect(text).toContain('2 complaints resolved: first answer after 3 hours, resolved after 2 days (medians).');
    expect(text).toContain('1 complaint open, 1 not answered yet.');
    expect(text).toContain('Oldest open: C-1 · Acme, open for 2 months.');
    // The digest command shows the same.
    expect((await ok('/digest', 'li')).text).toContain('2 complaints resolved: first answer after 3 hours, resolved after 2 days (medians).');
    // A week later nothing was resolved in the week.
    h.now = cst('2026-03-13T10:00');
    expect(await digestText()).toContain('No complaint resolved in this period.');
  });

  it('in /churn, over its period', async () => {
    await week();
    h.now = cst('2026-03-06T10:00');
    const out = await ok('/churn quarter');
    expect(out.text).toContain('Complaints: time to answer and to resolve');
    expect(out.text).toContain('2 complaints resolved: first answer after 3 hours, resolved after 2 days (medians).');
    expect(out.text).toContain('Oldest open: C-1 · Acme, open for 2 months.');
  });
});

describe('bad input', () => {
  it('an unknown complaint, a missing note, a note too long: a clear reply, nothing written', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    expect((await refused('/complaint note C-99 hello')).text).toContain('There is no complaint C-99.');
    expect((await refused('/complaint show C-99')).text).toContain('There is no complaint C-99.');
    const missing = await refused('/complaint note C-1', 'zhang');
    expect(missing.text).toContain('note');
    expect(missing.text).toContain('/complaint note C-<n> <note>');
    const long = await refused(`/complaint note C-1 ${'x'.repeat(10_000)}`, 'zhang');
    expect(long.text).toContain('That is 10000 characters');
    expect((await refused('/complaint note X-1 hello')).text).toContain('/complaint note C-<n> <note>');
  });

  it('markup in a note is stored as typed and escaped where it is shown', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    const attack = '<!channel> <@U123> <https://evil.example|Click me> *bold*';
    const out = await ok(`/complaint note C-1 ${attack}`, 'zhang');
    expect((await events())[0]!.text).toBe(attack);
    const shown = await ok('/complaint show C-1');
    expect(shown.text).toContain(attack);
    for (const r of [out.reply, shown.reply]) {
      const slack = JSON.stringify(renderBlocks(r).blocks);
      expect(slack).not.toContain('<!channel>');
      expect(slack).not.toContain('<@U123>');
      expect(slack).toContain('&lt;!channel&gt;');
    }
  });

  it('the help and usage name the new forms in both languages', async () => {
    h = harness({ now: cst('2026-01-05T10:00') });
    const en = (await ok('/steward help complaint')).text;
    expect(en).toContain('/complaint note C-<n> <note>');
    expect(en).toContain('/complaint reopen C-<n> [reason]');
    await ok('/steward me locale:zh-CN');
    const zh = (await ok('/steward help complaint')).text;
    expect(zh).toContain('C-<n> <备注>');
    expect(zh).toContain('/投诉 备注 C-12');
  });
});

describe('in the escalation thread', () => {
  it("a note and a reopening are said in the complaint's thread, after the resolution", async () => {
    await team(cst('2026-01-05T10:00'));
    await escalationChannel('#esc');
    const port = new RecordingPort();
    await ok('/complaint Acme severity:high Pallets crushed', 'zhang');
    await deliverDue(h.db, port, h.now);
    const opening = port.posts[0]!;
    expect((await complaint()).threadTs).toBe(opening.ts);
    h.now = cst('2026-01-05T11:00');
    await ok('/complaint note C-1 <!channel> Claim form sent', 'zhang');
    await ok('/resolve C-1 Claim paid', 'zhang');
    h.now = cst('2026-01-12T11:00');
    await ok('/complaint reopen C-1 Damaged again', 'li');
    await deliverDue(h.db, port, h.now);
    expect(port.posts.slice(1).map((p) => [p.to, p.thread, p.text.split('\n').slice(0, 2).join('\n')])).toEqual([
      ['#esc', opening.ts, '• zhang added a note to C-1:\n<!channel> Claim form sent'],
      ['#esc', opening.ts, '✔ C-1 resolved by zhang.\nResolution: Claim paid'],
      // Its owner, by DM, and the thread.
      ['@zhang', undefined, '• li reopened C-1, which is yours\nWhy: Damaged again'],
      ['#esc', opening.ts, '! C-1 reopened by li.\nWhy: Damaged again'],
    ]);
    // What the channel reads is escaped by the platform's renderer: the note pings nobody.
    expect(JSON.stringify(renderBlocks(port.posts[1]!.reply).blocks)).not.toContain('<!channel>');
  });
});

describe('a book from before complaint_events', () => {
  it('its passes and resolutions, and the first answers they give, are read back from the audit log by the migration', async () => {
    await team(cst('2026-01-05T10:00'));
    await ok('/complaint Acme Pallets crushed', 'zhang');
    await ok('/complaint Acme Truck late', 'zhang');
    h.now = cst('2026-01-05T12:00');
    await ok('/complaint assign C-1 @wang', 'li');
    h.now = cst('2026-01-05T13:00');
    await ok('/complaint assign C-1 me', 'li');
    h.now = cst('2026-01-06T10:00');
    await ok('/resolve C-2 Rebooked', 'zhang');
    const life = async () => ({
      events: (await events()).map(({ id: _id, ...e }) => e),
      firstAnswers: await h.db.select({ n: complaints.number, at: complaints.firstAnswerAt }).from(complaints).orderBy(asc(complaints.number)).all(),
    });
    const recorded = await life();
    expect(recorded.firstAnswers).toEqual([
      { n: 1, at: cst('2026-01-05T13:00') },
      { n: 2, at: cst('2026-01-06T10:00') },
    ]);
    // The book as it was before the table: then the migration's backfill, as it runs on an existing database.
    h.db.$client.exec('delete from complaint_events; update complaints set first_answer_at = null');
    const file = readdirSync(MIGRATIONS_FOLDER).find((f) => f.endsWith('_complaint_life.sql'))!;
    const statements = readFileSync(join(MIGRATIONS_FOLDER, file), 'utf8').split('--> statement-breakpoint');
    for (const sql of statements.slice(-3)) h.db.$client.exec(sql);
    expect(await life()).toEqual(recorded);
  });
});

describe('a reopened complaint over random quiet times (property)', () => {
  /** Gaps between sweeps (and deliveries): minutes to a week, mostly short. */
  const gap = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 15, max: 12 * 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 12 * 60, max: 7 * 24 * 60 }) });

  it('its first life says nothing after the reopening; its new life starts at the new deadline and climbs owner, manager, executive again', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('critical', 'high', 'medium', 'low'),
        fc.array(gap, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 20 * 24 * 60 }),
        fc.array(gap, { minLength: 1, maxLength: 40 }),
        async (severity, before, quiet, after) => {
          h?.close();
          await team(cst('2026-01-05T10:00'));
          await ok(`/complaint Acme severity:${severity} Crushed pallets`, 'zhang');
          const port = new RecordingPort();
          const tick = async (at: Date) => {
            await sweep(at);
            await deliverDue(h.db, port, at);
          };
          let at = h.now;
          for (const g of before) await tick((at = plus(at, g * MINUTE)));
          h.now = at;
          await ok('/resolve C-1 Paid', 'zhang');
          h.now = at = plus(at, quiet * MINUTE);
          await ok('/complaint reopen C-1 Again', 'li');
          const reopenedAt = at;
          const deadline = (await complaint()).deadlineAt;
          for (const g of [...after, ...Array(40).fill(2 * 24 * 60)]) await tick((at = plus(at, g * MINUTE)));
          const told = await escalations();
          // Nothing of the first life is decided or delivered after the reopening.
          for (const n of told.filter((n) => !n.dedupeKey.endsWith(':r1'))) {
            expect(n.createdAt.getTime()).toBeLessThanOrEqual(reopenedAt.getTime());
            if (n.sentAt) expect(n.sentAt.getTime()).toBeLessThanOrEqual(reopenedAt.getTime());
          }
          // The new life: decided at its deadline or after, one rung at a time, to the same people.
          const again = told.filter((n) => n.dedupeKey.endsWith(':r1'));
          expect(again[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(deadline.getTime());
          expect(await mapSeq(again.slice(0, 3), async (n) => [await nameOf(n.recipientId), n.dedupeKey.split(':')[2]])).toEqual([
            ['zhang', '1'],
            ['li', '2'],
            ['boss', '3'],
          ]);
          expect((await complaint()).escalationLevel).toBe(3);
        },
      ),
      { numRuns: Number(process.env.CLOCK_RUNS ?? 8) },
    );
  }, 600_000);
});
