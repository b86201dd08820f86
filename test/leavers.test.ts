// Who may act once they have left, and who may quiet or bend someone else's
// work: a departed member takes no part until an admin brings them back, a
// snooze is the owner's (or their manager's) to give and has a limit, the
// executive level is an executive's to claim, and nobody who left owns new work.
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts, members, nudgeSnoozes, promises } from '../db/schema.js';
import { harness, type Harness } from './harness.js';
import { kit } from './kit.js';

let h: Harness;
const { ok, refused, member } = kit(() => h);

beforeEach(async () => {
  h = harness();
  await ok('/steward whoami'); // alice: admin
  await ok('/steward team @zhang manager:@li');
  await ok('/account add Acme tier:strategic owner:@zhang');
});
afterEach(() => h.close());

describe('someone who has left', () => {
  it('takes no part by typing, in either language, and nothing they type is recorded', async () => {
    await ok('/leave @zhang', 'li');
    const out = await refused('/account set Acme owner:@wang', 'zhang');
    expect(out.text).toBe(
      '✘ You are recorded as having left this workspace, so Steward takes no commands from you. If you are back, ask an admin to bring you back: /steward role @you rep',
    );
    expect((await member('zhang')).active).toBe(false);
    await h.db.update(members).set({ locale: 'zh-CN' }).where(eq(members.name, 'zhang')).run();
    expect((await refused('/steward whoami', 'zhang')).text).toMatch(/^✘ 你已被记录为离职/);
  });

  it('is brought back by an admin giving them a role, with the accounts still in their name', async () => {
    await ok('/leave @zhang', 'li');
    expect((await h.db.select().from(accounts).where(eq(accounts.name, 'Acme')).get())!.ownerGoneAt).not.toBeNull();
    const back = await ok('/steward role @zhang rep');
    expect(back.text).toContain('zhang is back');
    expect(await member('zhang')).toMatchObject({ active: true, leftAt: null, role: 'rep' });
    expect((await h.db.select().from(accounts).where(eq(accounts.name, 'Acme')).get())!.ownerGoneAt).toBeNull();
    await ok('/touch Acme visit Back from leave', 'zhang');
  });

  it('owns no new promise', async () => {
    await ok('/leave @zhang', 'li');
    expect((await refused('/promise Acme due:friday owner:@zhang Send the quote', 'li')).text).toContain('zhang has left');
    expect(await h.db.select().from(promises).all()).toEqual([]);
  });

  it('a workspace whose admins have all left gets one again from whoever speaks next', async () => {
    // The platform said alice, the only admin, is gone (the adapters record it so).
    await h.db.update(members).set({ active: false, leftAt: h.now }).where(eq(members.role, 'admin')).run();
    await ok('/steward whoami', 'wang');
    expect((await member('wang')).role).toBe('admin');
  });
});

describe('/snooze', () => {
  it("is the owner's, their manager's or an admin's to give, and lasts at most 90 days", async () => {
    expect((await refused('/snooze Acme 1w', 'wang')).text).toContain('quiet the revisit nudges for Acme');
    expect((await refused('/snooze Acme 104w', 'zhang')).text.split('\n')[0]).toBe(
      '✘ Nudges can be quieted for at most 90 days; to say no visit is needed this cycle, use not-needed with a reason.',
    );
    await ok('/snooze Acme 1w', 'zhang');
    await ok('/snooze Acme 12w', 'li');
    await ok('/snooze Acme 3d');
    expect(await h.db.select().from(nudgeSnoozes).all()).toHaveLength(3);
  });
});

describe('/steward me function:', () => {
  it('the executive level is an executive’s or an admin’s to claim', async () => {
    expect((await refused('/steward me function:executive', 'zhang')).text).toContain('Only an executive (role exec) works as executive');
    await ok('/steward me function:operations', 'zhang');
    await ok('/steward role @chen exec');
    await ok('/steward me function:executive', 'chen');
    expect((await member('chen')).function).toBe('executive');
  });
});
