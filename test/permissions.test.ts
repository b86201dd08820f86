// Who may act on whose work: a manager's team is everyone who reports to them,
// directly or not; a manager of another team may not move, pair or edit it.
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts, members, pairings } from '../db/schema.js';
import { harness, type Harness } from './harness.js';
import { kit } from './kit.js';

let h: Harness;
// rep1a and rep1b report to mgr1, mgr1 to dir; rep2 to mgr2. alice is the only admin.
beforeEach(async () => {
  h = harness();
  for (const cmd of [
    '/steward whoami',
    '/steward team @rep1a manager:@mgr1',
    '/steward team @rep1b manager:@mgr1',
    '/steward team @rep2 manager:@mgr2',
    '/steward team @mgr1 manager:@dir',
    '/steward role @exec1 exec',
    '/steward role @exec2 exec',
    '/steward role @exec3 exec',
    '/account add Acme tier:strategic owner:@rep1a',
    '/account add Delta tier:strategic owner:@rep2',
    '/pair Acme @exec1',
  ]) {
    const out = await h.run(cmd);
    if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
  }
  for (const u of ['rep1a', 'rep1b', 'rep2', 'mgr1', 'mgr2', 'dir', 'exec1', 'exec2', 'exec3']) await h.run('/steward whoami', u);
});
afterEach(() => h.close());

const { ok, refused, member } = kit(() => h, { errorTone: true });
const ownerOf = async (name: string) =>
  (await h.db
    .select()
    .from(members)
    .where(eq(members.id, (await h.db.select().from(accounts).where(eq(accounts.name, name)).get())!.ownerId!))
    .get())!.name;
const activePairs = async (name: string) =>
  (
    await h.db
      .select({ exec: members.name, active: pairings.active })
      .from(pairings)
      .innerJoin(members, eq(members.id, pairings.execId))
      .innerJoin(accounts, eq(accounts.id, pairings.accountId))
      .where(eq(accounts.name, name))
      .all()
  )
    .filter((r) => r.active)
    .map((r) => r.exec)
    .sort();

describe('/handover within the team', () => {
  it('a manager of another team is refused and told who may; the manager above the manager may', async () => {
    for (const cmd of ['/handover @rep1a @rep2 Acme', '/handover @rep1a @rep2']) {
      const out = await refused(cmd, 'mgr2');
      expect(out.text).toContain("Only a manager above them (mgr1, dir) or an admin can hand over rep1a's accounts.");
    }
    await ok('/handover @rep1a @rep1b Acme', 'dir');
    expect(await ownerOf('Acme')).toBe('rep1b');
    await ok('/handover @rep1b @rep1a Acme', 'mgr1');
    expect(await ownerOf('Acme')).toBe('rep1a');
  });
});

describe('/leave', () => {
  it('is for anyone above the rep, not for a manager of another team', async () => {
    expect((await refused('/leave @rep1a', 'mgr2')).text).toContain('Only a manager above them (mgr1, dir) or an admin can record that rep1a has left.');
    await ok('/leave @rep1a', 'dir');
    expect((await member('rep1a')).active).toBe(false);
  });

  it('refuses to record that the last active admin has left', async () => {
    await ok('/steward team @alice manager:@mgr1');
    expect((await refused('/leave @alice', 'mgr1')).text).toContain('alice is the last admin; make someone else admin first.');
    await ok('/steward role @mgr2 admin');
    await ok('/leave @alice', 'mgr1');
    expect((await member('alice')).active).toBe(false);
  });
});

describe('/pair and /unpair', () => {
  it('a manager of another team may neither pair nor unpair; the owner and anyone above them may', async () => {
    expect((await refused('/pair Acme @exec2', 'mgr2')).text).toContain(
      'Only its owner rep1a, a manager above them (mgr1, dir) or an admin can change the leadership pairings of Acme.',
    );
    await refused('/unpair Acme @exec1', 'mgr2');
    await ok('/pair Acme @exec2', 'dir');
    await ok('/unpair Acme @exec2', 'mgr1');
    await ok('/pair Acme @exec3', 'rep1a');
    expect(await activePairs('Acme')).toEqual(['exec1', 'exec3']);
  });

  it('an executive pairs and unpairs only themselves, unless they are above the owner', async () => {
    await refused('/pair Acme @exec3', 'exec2');
    await refused('/unpair Acme @exec1', 'exec2');
    await ok('/pair Acme @exec2', 'exec2');
    await refused('/unpair Acme', 'exec2'); // exec1's pairing too
    await ok('/unpair Acme @exec2', 'exec2');
    // exec2 above rep2 (through mgr2): rep2's accounts are exec2's team's.
    await ok('/steward team @mgr2 manager:@exec2');
    await ok('/pair Delta @exec3', 'exec2');
    expect(await activePairs('Delta')).toEqual(['exec3']);
    expect(await activePairs('Acme')).toEqual(['exec1']);
  });
});

describe('anyone above the owner (requireOwnerOrManager)', () => {
  it('the manager above the manager may change the account; a manager of another team may not', async () => {
    await ok('/account set Acme region:North', 'dir');
    const out = await refused('/account set Acme region:South', 'mgr2');
    expect(out.text).toContain('Only its owner rep1a, a manager above them (mgr1, dir) or an admin can change Acme.');
  });

  it('names the direct manager alone as before, and skips someone who has left', async () => {
    await ok('/leave @dir');
    expect((await refused('/account set Acme region:South', 'mgr2')).text).toContain('Only its owner rep1a, their manager mgr1 or an admin can change Acme.');
  });

  it('a loop written around /steward team neither hangs nor lets an outsider in', async () => {
    await h.db
      .update(members)
      .set({ managerId: (await member('mgr1')).id })
      .where(eq(members.id, (await member('dir')).id))
      .run();
    await refused('/account set Acme region:South', 'mgr2');
    await ok('/account set Acme region:North', 'dir');
  });
});

describe('/account set owner:', () => {
  it('is a handover: the owner may not give the account away, anyone above them may', async () => {
    const out = await refused('/account set Acme owner:@rep2', 'rep1a');
    expect(out.text).toContain('Only a manager above them (mgr1, dir) or an admin can hand Acme over to another owner.');
    await refused('/account set Acme owner:@rep2', 'mgr2');
    // The owner's other edits, and naming themselves, are as before.
    await ok('/account set Acme region:North owner:@rep1a', 'rep1a');
    await ok('/account set Acme owner:@rep1b', 'dir');
    expect(await ownerOf('Acme')).toBe('rep1b');
    await ok('/account set Acme owner:@rep2');
    expect(await ownerOf('Acme')).toBe('rep2');
  });

  it('an account without an owner keeps the old rule', async () => {
    await h.db.update(accounts).set({ ownerId: null }).where(eq(accounts.name, 'Delta')).run();
    await ok('/account set Delta owner:@rep1a', 'rep1a');
    expect(await ownerOf('Delta')).toBe('rep1a');
  });
});
