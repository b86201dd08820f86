// Handover (交接): nothing of the departing rep's is left behind, closed work
// stays where it was, the new owner gets a checklist and a notice; /leave flags
// the accounts "owner gone" and asks the manager to hand them over.
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts, complaints, members, pairings, promises, reviewItems, tasks } from '../db/schema.js';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';
import { mapSeq } from './async-array.js';

const member = async (h: Harness, name: string) => (await h.db.select().from(members).all()).find((m) => m.name === name)!;
const owners = async (h: Harness) =>
  Object.fromEntries(
    await mapSeq(await h.db.select().from(accounts).all(), async (a) => [a.name, (await h.db.select().from(members).all()).find((m) => m.id === a.ownerId)?.name]),
  );

describe('/handover', () => {
  let h: Harness;
  beforeEach(async () => {
    h = harness();
    for (const cmd of [
      '/steward whoami', // alice: admin
      '/steward team @zhang manager:@li', // li becomes a manager
      '/steward role @ma exec',
      '/steward role @zhang exec',
      '/account add Acme tier:strategic owner:@zhang',
      '/account add "Beta Trading" tier:key owner:@zhang',
      '/account add Gamma owner:@zhang',
      '/account add Delta owner:@wang',
      '/contact Acme add "Li Wei" level:decision-maker',
      '/contact Acme add "Li Na" level:manager',
      '/contact Acme left "Li Na"',
      '/contact "Beta Trading" add Zhou level:executive',
      '/pair Acme @zhang',
      '/pair "Beta Trading" @zhang confirm',
      '/unpair "Beta Trading" @zhang',
    ]) {
      const out = await h.run(cmd);
      if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
    }
    for (const [cmd, user] of [
      ['/complaint Acme severity:high Pallets crushed', 'zhang'], // C-1 open
      ['/complaint Beta late again', 'zhang'], // C-2, resolved below
      ['/resolve C-2 Refunded', 'zhang'],
      ['/complaint Delta billing error', 'wang'], // C-3 on wang's account...
      ['/complaint assign C-3 @zhang', 'alice'], // ...handed to zhang
      ['/promise Acme due:friday Send the quote', 'zhang'], // P-1 open
      ['/promise Gamma due:friday Call back', 'zhang'], // P-2, kept below
      ['/promise kept P-2', 'zhang'],
    ] as const) {
      const out = await h.run(cmd, user);
      if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
    }
    const tenantId = (await member(h, 'zhang')).tenantId;
    const acme = (await h.db.select().from(accounts).where(eq(accounts.name, 'Acme')).get())!;
    const beta = (await h.db.select().from(accounts).where(eq(accounts.name, 'Beta Trading')).get())!;
    await h.db
      .insert(reviewItems)
      .values({ tenantId, number: 1, accountId: acme.id, ownerId: (await member(h, 'zhang')).id, season: 2026, dueOn: '2026-12-01', status: 'open', createdAt: h.now })
      .run();
    await h.db
      .insert(reviewItems)
      .values({ tenantId, number: 2, accountId: beta.id, ownerId: (await member(h, 'zhang')).id, season: 2026, dueOn: '2026-12-01', status: 'held', createdAt: h.now })
      .run();
  });
  afterEach(() => h.close());

  it('moves everything open of @from to @to, leaves closed work alone, and gives the new owner a checklist and a notice', async () => {
    const zhang = await member(h, 'zhang');
    const out = await h.run('/handover @zhang @ma', 'li');
    expect(out.ok, out.text).toBe(true);
    const ma = await member(h, 'ma');

    // Every account, open complaint, open promise, active pairing and open review item moved.
    expect(await owners(h)).toEqual({ Acme: 'ma', 'Beta Trading': 'ma', Gamma: 'ma', Delta: 'wang' });
    const open = (rows: { ownerId: number | null; status: string }[], status: string) => rows.filter((r) => r.status === status);
    expect(open(await h.db.select().from(complaints).all(), 'open').map((c) => c.ownerId)).toEqual([ma.id, ma.id]);
    expect(open(await h.db.select().from(promises).all(), 'open').map((p) => p.ownerId)).toEqual([ma.id]);
    expect((await h.db.select().from(pairings).where(eq(pairings.active, true)).all()).map((p) => p.execId)).toEqual([ma.id]);
    expect((await h.db.select().from(reviewItems).where(eq(reviewItems.status, 'open')).all()).map((r) => r.ownerId)).toEqual([ma.id]);
    // Nothing open is left in zhang's name.
    expect(await h.db.select().from(accounts).where(eq(accounts.ownerId, zhang.id)).all()).toEqual([]);
    expect(
      await h.db
        .select()
        .from(complaints)
        .where(and(eq(complaints.ownerId, zhang.id), eq(complaints.status, 'open')))
        .all(),
    ).toEqual([]);
    expect(
      await h.db
        .select()
        .from(promises)
        .where(and(eq(promises.ownerId, zhang.id), eq(promises.status, 'open')))
        .all(),
    ).toEqual([]);
    expect(
      await h.db
        .select()
        .from(pairings)
        .where(and(eq(pairings.execId, zhang.id), eq(pairings.active, true)))
        .all(),
    ).toEqual([]);
    // Closed ones are history and stay with zhang.
    expect((await h.db.select().from(complaints).where(eq(complaints.status, 'resolved')).all()).map((c) => c.ownerId)).toEqual([zhang.id]);
    expect((await h.db.select().from(promises).where(eq(promises.status, 'kept')).all()).map((p) => p.ownerId)).toEqual([zhang.id]);
    expect((await h.db.select().from(pairings).where(eq(pairings.active, false)).all()).map((p) => p.execId)).toEqual([zhang.id]);
    expect((await h.db.select().from(reviewItems).where(eq(reviewItems.status, 'held')).all()).map((r) => r.ownerId)).toEqual([zhang.id]);

    // One meeting per active contact of each strategic account; none for key or standard, none for a contact who left.
    const checklist = await h.db.select().from(tasks).all();
    expect(checklist.map((t) => [t.kind, t.itemKey, t.ownerId, t.dueOn])).toEqual([['handover', 'meet-contact', ma.id, '2026-12-23']]);

    expect(out.text).toContain('Handed over 3 accounts from zhang to ma.');
    for (const line of ['2 open complaints', '1 open promise', '1 leadership pairing', '1 open review item', '☐ Meet Li Wei at Acme by Wed 23 Dec 2026'])
      expect(out.text).toContain(line);
    expect(out.notices).toHaveLength(1);
    expect(out.notices[0]!.to).toMatchObject({ member: { name: 'ma' } });
    const notice = renderText(out.notices[0]!.reply);
    expect(notice).toContain("li handed 3 accounts of zhang's over to you.");
    expect(notice).toContain('☐ Meet Li Wei at Acme');
  });

  it('a second handover moves the open checklist with the accounts and does not list a meeting twice', async () => {
    expect((await h.run('/handover @zhang @ma', 'li')).ok).toBe(true);
    expect((await h.run('/handover @ma @li', 'alice')).ok).toBe(true);
    const li = await member(h, 'li');
    expect((await h.db.select().from(tasks).all()).map((t) => [t.itemKey, t.ownerId, t.doneAt])).toEqual([['meet-contact', li.id, null]]);
  });

  it('moves only the named accounts, by comma or quotes, with what is open on them', async () => {
    const out = await h.run('/handover @zhang @wang Acme, "Beta Trading"', 'alice');
    expect(out.ok, out.text).toBe(true);
    expect(await owners(h)).toEqual({ Acme: 'wang', 'Beta Trading': 'wang', Gamma: 'zhang', Delta: 'wang' });
    // C-3 lives on Delta, not a named account: it stays with zhang.
    const c = await h.db.select().from(complaints).all();
    expect(c.map((x) => [x.number, x.ownerId])).toEqual([
      [1, (await member(h, 'wang')).id],
      [2, (await member(h, 'zhang')).id],
      [3, (await member(h, 'zhang')).id],
    ]);
    // wang is a rep: the pairing stays with zhang, and the reply says so.
    expect((await h.db.select().from(pairings).where(eq(pairings.active, true)).all()).map((p) => p.execId)).toEqual([(await member(h, 'zhang')).id]);
    expect(out.text).toContain('1 leadership pairing stays with zhang: wang is not an executive.');
    expect(await h.db.select().from(tasks).all()).toHaveLength(1);
  });

  it('the executive above the manager may hand over, as they may record a leave; an executive of another line may not', async () => {
    for (const cmd of ['/steward team @li manager:@boss', '/steward role @boss exec']) expect((await h.run(cmd)).ok, cmd).toBe(true);
    const refused = await h.run('/handover @zhang @wang Gamma', 'ma');
    expect(refused.ok).toBe(false);
    expect(refused.text).toContain("Only a manager above them (li, boss) or an admin can hand over zhang's accounts.");
    const out = await h.run('/handover @zhang @wang Gamma', 'boss');
    expect(out.ok, out.text).toBe(true);
    expect((await owners(h)).Gamma).toBe('wang');
  });

  it("refuses a rep, an unknown or ambiguous account, and someone else's account, writing nothing", async () => {
    await h.run('/account add Acme Freight owner:@zhang');
    for (const [cmd, user, says] of [
      ['/handover @zhang @ma', 'wang', "Only their manager li or an admin can hand over zhang's accounts."],
      ['/handover @zhang @ma', 'zhang', 'Only their manager li or an admin'],
      ['/handover @zhang @ma Acme, Nowhere', 'alice', 'No account matches "Nowhere"'],
      ['/handover @zhang @ma Acm', 'alice', 'matches more than one account'],
      ['/handover @zhang @ma Delta', 'alice', "Delta is not zhang's account"],
      ['/handover @zhang @zhang', 'alice', "can't hand over to themselves"],
      ['/handover @nobody @ma', 'alice', 'nobody has nothing to hand over'],
      ['/handover @zhang', 'alice', 'Missing'],
    ] as const) {
      const before = h.snapshot();
      const out = await h.run(cmd, user);
      expect(out.ok, cmd).toBe(false);
      expect(out.text, cmd).toContain(says);
      expect(h.snapshot(), cmd).toBe(before);
    }
  });

  it('speaks Chinese under its Chinese name', async () => {
    await h.run('/steward me locale:zh-CN', 'li');
    const out = await h.run('/交接 @zhang @ma Gamma', 'li');
    expect(out.ok, out.text).toBe(true);
    expect(out.text).toContain('已将zhang的1个客户交接给ma。');
    expect(out.notices[0]!.reply.title).toBe("li handed 1 account of zhang's over to you.");
  });
});

describe('/leave', () => {
  let h: Harness;
  beforeEach(async () => {
    h = harness();
    for (const cmd of [
      '/steward whoami',
      '/steward team @zhang manager:@li',
      '/account add Acme tier:strategic owner:@zhang',
      '/account add Beta owner:@zhang',
      '/contact Acme add "Li Wei"',
    ]) {
      const out = await h.run(cmd);
      if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
    }
    await h.run('/steward role @ma manager');
  });
  afterEach(() => h.close());

  it("flags the rep's accounts owner-gone, deactivates them, asks the manager; a handover then clears the flag", async () => {
    const out = await h.run('/leave @zhang', 'alice');
    expect(out.ok, out.text).toBe(true);
    expect(out.text).toContain('zhang is recorded as having left; 2 accounts flagged "owner gone".');
    expect(out.text).toContain('/handover @zhang @someone');
    const zhang = await member(h, 'zhang');
    expect(zhang.active).toBe(false);
    expect(zhang.leftAt).toEqual(h.now);
    expect((await h.db.select().from(accounts).all()).map((a) => a.ownerGoneAt)).toEqual([h.now, h.now]);
    expect(out.notices).toHaveLength(1);
    expect(out.notices[0]!.to).toMatchObject({ member: { name: 'li' } });
    const notice = renderText(out.notices[0]!.reply);
    expect(notice).toContain('alice recorded that zhang has left. Please hand over their 2 accounts');
    expect(notice).toContain('Acme');
    expect(notice).toContain('/handover @zhang @someone');
    expect((await h.run('/account Acme')).text).toContain('has left');

    const again = await h.run('/handover @zhang @wang', 'li');
    expect(again.ok, again.text).toBe(true);
    expect((await h.db.select().from(accounts).all()).map((a) => [a.ownerId, a.ownerGoneAt])).toEqual([
      [(await member(h, 'wang')).id, null],
      [(await member(h, 'wang')).id, null],
    ]);
  });

  it("is for admins and the rep's own manager, not for oneself", async () => {
    for (const [cmd, user, says] of [
      ['/leave @zhang', 'ma', 'Only their manager li or an admin can record that zhang has left.'],
      ['/leave @zhang', 'zhang', 'Only their manager li or an admin'],
      ['/leave @alice', 'alice', "can't record yourself"],
      ['/leave zhang', 'alice', "isn't a person"],
    ] as const) {
      const before = h.snapshot();
      const out = await h.run(cmd, user);
      expect(out.ok, cmd).toBe(false);
      expect(out.text, cmd).toContain(says);
      expect(h.snapshot(), cmd).toBe(before);
    }
    expect((await h.run('/离职 @zhang', 'li')).ok).toBe(true);
    expect((await member(h, 'zhang')).active).toBe(false);
  });
});

describe('after /leave', () => {
  it("handing over a departed rep's accounts leaves them departed", async () => {
    const h = harness();
    try {
      await h.run('/steward team @zhang manager:@li', 'admin');
      await h.run('/account add Acme tier:key owner:@zhang', 'admin');
      expect((await h.run('/leave @zhang', 'admin')).ok).toBe(true);
      expect((await h.run('/handover @zhang @wang', 'admin')).ok).toBe(true);
      const zhang = h.db.$client.prepare("select active, left_at from members where name = 'zhang'").get() as { active: number; left_at: number | null };
      expect(zhang.active).toBe(0);
      expect(zhang.left_at).not.toBeNull();
    } finally {
      h.close();
    }
  });
});
