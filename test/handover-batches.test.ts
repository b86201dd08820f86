// A large /handover moves its book in batches, each its own transaction (src/domain/handovers.ts).
// Over random books, random batch sizes, a crash after a random batch (the engine that ran the
// command stops), commands arriving before a fresh engine on a reopened database finishes the job:
// what the domain promises of a handover holds, as it does when it is one transaction.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../db/index.js';
import { accounts, complaintEvents, complaints, contacts, handoverJobs, members, pairings, promises, reviewItems, tasks } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { Engine } from '../src/engine/engine.js';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';
import { mapSeq } from './async-array.js';

const PEOPLE = ['zhang', 'wang', 'li', 'ma'] as const;
type Person = (typeof PEOPLE)[number];

const item = (accounts: number) => fc.record({ account: fc.nat({ max: accounts - 1 }), owner: fc.constantFrom<Person>('zhang', 'zhang', 'wang', 'li'), open: fc.boolean() });

const bookArb = fc.integer({ min: 1, max: 24 }).chain((n) =>
  fc.record({
    accounts: fc.array(fc.record({ tier: fc.constantFrom('strategic', 'key', 'standard' as const), mine: fc.boolean(), lost: fc.boolean() }), { minLength: n, maxLength: n }),
    contacts: fc.array(fc.record({ account: fc.nat({ max: n - 1 }), active: fc.boolean(), listedFor: fc.option(fc.constantFrom<Person>('zhang', 'li'), { nil: undefined }) }), {
      maxLength: 30,
    }),
    complaints: fc.array(item(n), { maxLength: 20 }),
    promises: fc.array(item(n), { maxLength: 20 }),
    reviews: fc.array(item(n), { maxLength: 10 }),
    tasks: fc.array(item(n), { maxLength: 10 }),
    pairings: fc.array(fc.record({ account: fc.nat({ max: n - 1 }), exec: fc.constantFrom<Person>('zhang', 'zhang', 'ma'), active: fc.boolean() }), { maxLength: 10 }),
    to: fc.constantFrom('wang', 'ma', 'alice'),
    /** Name some of zhang's accounts (when any is picked), or hand over the whole book. */
    named: fc.option(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { nil: undefined }),
    batch: fc.integer({ min: 1, max: 6 }),
    /** Batches the first engine runs after the command's own before it "crashes". */
    crashAfter: fc.nat({ max: 8 }),
    /** The crash lost the job's progress of this many batches: they are redone. */
    redo: fc.nat({ max: 3 }),
    /** Commands that arrive before the restart, each on an account. */
    meanwhile: fc.array(fc.record({ kind: fc.constantFrom('complaint', 'touch', 'promise'), account: fc.nat({ max: n - 1 }) }), { maxLength: 4 }),
  }),
);
type Book = typeof bookArb extends fc.Arbitrary<infer T> ? T : never;

const nameOf = (i: number) => `Acct ${i}`;
/** Account 0 is always an active account of zhang's: there is something to hand over. */
const mine = (book: Book, i: number) => i === 0 || (book.accounts[i]!.mine && !book.accounts[i]!.lost);

async function seed(h: Harness, book: Book) {
  for (const [cmd, user] of [
    ['/steward whoami', 'alice'],
    ['/steward team @zhang manager:@li', 'alice'],
    ['/steward role @zhang exec', 'alice'],
    ['/steward role @ma exec', 'alice'],
    ['/steward whoami', 'wang'],
  ] as const) {
    const out = await h.run(cmd, user);
    if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
  }
  const id = Object.fromEntries((await h.db.select().from(members).all()).map((m) => [m.platformUserId, m.id])) as Record<Person | 'alice', number>;
  const tenantId = (await h.db.select().from(members).get())!.tenantId;
  const now = h.now;
  const acc = await mapSeq(
    book.accounts,
    async (a, i) =>
      (
        await h.db
          .insert(accounts)
          .values({
            tenantId,
            name: nameOf(i),
            nameKey: nameOf(i).toLowerCase(),
            tier: a.tier,
            ownerId: i === 0 || a.mine ? id.zhang : id.wang,
            status: a.lost && i > 0 ? 'lost' : 'active',
          })
          .returning()
          .get()
      ).id,
  );
  for (const c of book.contacts) {
    const contact = await h.db
      .insert(contacts)
      .values({ tenantId, accountId: acc[c.account]!, name: `C${c.account}`, nameKey: `c${c.account}`, active: c.active })
      .returning()
      .get();
    if (c.listedFor)
      await h.db
        .insert(tasks)
        .values({ tenantId, kind: 'handover', accountId: contact.accountId, contactId: contact.id, ownerId: id[c.listedFor], itemKey: 'meet-contact', dueOn: '2026-12-01' })
        .run();
  }
  for (const [i, c] of book.complaints.entries())
    await h.db
      .insert(complaints)
      .values({
        tenantId,
        number: i + 1,
        accountId: acc[c.account]!,
        severity: 'medium',
        category: 'delay',
        summary: 'late',
        ownerId: id[c.owner],
        status: c.open ? 'open' : 'resolved',
        openedAt: now,
        deadlineAt: now,
      })
      .run();
  for (const [i, p] of book.promises.entries())
    await h.db
      .insert(promises)
      .values({ tenantId, number: i + 1, accountId: acc[p.account]!, ownerId: id[p.owner], text: 'call', dueOn: '2026-12-01', status: p.open ? 'open' : 'kept' })
      .run();
  for (const [i, r] of book.reviews.entries())
    await h.db
      .insert(reviewItems)
      .values({ tenantId, number: i + 1, accountId: acc[r.account]!, ownerId: id[r.owner], season: 2000 + i, dueOn: '2026-12-01', status: r.open ? 'open' : 'held' })
      .run();
  for (const t of book.tasks)
    await h.db
      .insert(tasks)
      .values({ tenantId, kind: 'other', accountId: acc[t.account]!, ownerId: id[t.owner], itemKey: 'x', doneAt: t.open ? null : now })
      .run();
  for (const p of book.pairings) await h.db.insert(pairings).values({ tenantId, accountId: acc[p.account]!, execId: id[p.exec], active: p.active }).run();
  return { id, acc };
}

const all = async (db: Db) => ({
  accounts: await db.select().from(accounts).all(),
  contacts: await db.select().from(contacts).all(),
  complaints: await db.select().from(complaints).all(),
  promises: await db.select().from(promises).all(),
  reviews: await db.select().from(reviewItems).all(),
  tasks: await db.select().from(tasks).all(),
  pairings: await db.select().from(pairings).all(),
  passes: await db.select().from(complaintEvents).where(eq(complaintEvents.kind, 'pass')).all(),
});

async function check(book: Book) {
  const h = harness();
  try {
    const { id, acc } = await seed(h, book);
    const from = id.zhang;
    const to = id[book.to as 'wang'];
    const picked = book.named && book.accounts.map((_, i) => (mine(book, i) && book.named![i] ? i : -1)).filter((i) => i >= 0);
    const named = picked?.length ? picked : undefined;
    const before = await all(h.db);
    const inScope = new Set(named ? named.map((i) => acc[i]!) : before.accounts.filter((a) => a.ownerId === from && a.status === 'active').map((a) => a.id));
    const onScope = (accountId: number | null) => !named || inScope.has(accountId!);
    const isOpen = {
      complaints: (c: { status: string }) => c.status === 'open',
      promises: (c: { status: string }) => c.status === 'open',
      reviews: (c: { status: string }) => c.status !== 'held',
      tasks: (c: { doneAt: Date | null }) => c.doneAt === null,
    };
    const moving = <T extends { ownerId: number | null; accountId: number | null }>(rows: T[], open: (r: T) => boolean) =>
      new Set(rows.filter((r) => r.ownerId === from && open(r) && onScope(r.accountId)).map((r) => (r as unknown as { id: number }).id));
    const expectMoved = {
      complaints: moving(before.complaints, isOpen.complaints),
      promises: moving(before.promises, isOpen.promises),
      reviews: moving(before.reviews, isOpen.reviews),
      tasks: moving(before.tasks, isOpen.tasks),
    };
    const canPair = book.to !== 'wang';
    const pairsMoving = before.pairings.filter((p) => p.execId === from && p.active && onScope(p.accountId));
    const listed = new Set(before.tasks.filter((t) => t.itemKey === 'meet-contact' && t.doneAt === null).map((t) => t.contactId));
    const strategic = new Set(before.accounts.filter((a) => inScope.has(a.id) && a.tier === 'strategic').map((a) => a.id));
    const toMeet = before.contacts.filter((c) => c.active && strategic.has(c.accountId) && !listed.has(c.id));

    // The command, on an engine that "crashes" (stops) after `crashAfter` batches of its own.
    const first = new Engine({
      db: h.db,
      commands,
      defaults: { locale: 'en', timezone: 'Asia/Shanghai' },
      clock: () => h.now,
      handover: { batch: book.batch, stopAfter: book.crashAfter },
    });
    const text = `/handover @zhang @${book.to}${named ? ` ${named.map(nameOf).join(', ')}` : ''}`;
    const out = await first.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('li'), text }, async (m) => shellUser(m));
    const said = renderText(out.reply);
    expect(out.ok, said).toBe(true);
    // The reply tells the whole handover, counted in the command's transaction.
    expect(said).toContain(`from zhang to ${book.to}.`);
    expect(out.reply.title).toContain(`Handed over ${inScope.size} account`);
    if (expectMoved.complaints.size) expect(said).toContain(`${expectMoved.complaints.size} open complaint`);
    if (expectMoved.promises.size) expect(said).toContain(`${expectMoved.promises.size} open promise`);
    expect(said.match(/☐ Meet /g)?.length ?? 0).toBe(toMeet.length);

    // Meanwhile: commands on accounts of the book, some moved, some not yet (when a job is left unfinished;
    // otherwise the handover is over, and what they open in zhang's name is zhang's).
    const unfinished = (await h.db.select().from(handoverJobs).all()).some((j) => j.doneAt === null);
    for (const m of book.meanwhile) {
      const name = `"${nameOf(m.account)}"`;
      const cmd =
        m.kind === 'complaint' ? `/complaint ${name} severity:low Late again` : m.kind === 'touch' ? `/touch ${name} call Checked in` : `/promise ${name} due:friday Call back`;
      await h.run(cmd, m.kind === 'promise' ? 'zhang' : 'alice');
    }
    const during = await all(h.db);
    const newComplaints = during.complaints.filter((c) => !before.complaints.some((b) => b.id === c.id));

    // The last batches' progress lost (as if their record had not been kept): redone, they must move nothing twice.
    for (const j of await h.db.select().from(handoverJobs).all())
      if (j.doneAt === null)
        await h.db
          .update(handoverJobs)
          .set({ cursor: Math.max(0, j.cursor - book.redo * book.batch) })
          .where(eq(handoverJobs.id, j.id))
          .run();

    // Restart: the database reopened, a fresh engine finishes what was left.
    closeDb(h.db);
    const db = openDb(h.file);
    h.db = db;
    try {
      const fresh = new Engine({ db, commands, defaults: { locale: 'en', timezone: 'Asia/Shanghai' }, clock: () => h.now });
      await fresh.finish();
      const after = await all(db);
      expect((await db.select().from(handoverJobs).all()).every((j) => j.doneAt !== null)).toBe(true);

      // Every account in scope is @to's, no longer flagged; the others are as they were.
      for (const a of after.accounts) {
        const was = before.accounts.find((b) => b.id === a.id)!;
        expect(a.ownerId, a.name).toBe(inScope.has(a.id) ? to : was.ownerId);
        if (inScope.has(a.id)) expect(a.ownerGoneAt).toBeNull();
      }
      // Each open item in scope moved (once); nothing open in scope is still @from's; the rest as it was.
      for (const kind of ['complaints', 'promises', 'reviews', 'tasks'] as const) {
        const open = isOpen[kind] as (r: unknown) => boolean;
        for (const r of after[kind] as { id: number; ownerId: number | null; accountId: number | null }[]) {
          const was = (before[kind] as (typeof r)[]).find((b) => b.id === r.id);
          if (open(r) && onScope(r.accountId) && (was || unfinished)) expect(r.ownerId, `${kind} ${r.id}`).not.toBe(from);
          if (was) expect(r.ownerId, `${kind} ${r.id}`).toBe(expectMoved[kind].has(r.id) ? to : was.ownerId);
        }
      }
      // Exactly one pass event per complaint moved, none for another.
      for (const c of after.complaints) {
        const passes = after.passes.filter((p) => p.complaintId === c.id && p.fromId === from && p.toId === to).length;
        if (expectMoved.complaints.has(c.id)) expect(passes, `complaint ${c.number}`).toBe(1);
        else if (!newComplaints.some((n) => n.id === c.id)) expect(passes, `complaint ${c.number}`).toBe(0);
        // One opened meanwhile: a pass if the handover took it from @from.
        else expect(passes).toBe(newComplaints.find((n) => n.id === c.id)!.ownerId === from && c.ownerId === to ? 1 : 0);
      }
      // One open meeting per active contact of each strategic account moved; the new ones @to's.
      const meets = after.tasks.filter((t) => t.itemKey === 'meet-contact' && t.doneAt === null);
      for (const c of after.contacts.filter((x) => x.active && strategic.has(x.accountId)))
        expect(
          meets.filter((t) => t.contactId === c.id),
          `contact ${c.id}`,
        ).toHaveLength(1);
      const added = meets.filter((t) => !before.tasks.some((b) => b.id === t.id));
      expect(added.map((t) => t.contactId).sort()).toEqual(toMeet.map((c) => c.id).sort());
      expect(added.every((t) => t.ownerId === to)).toBe(true);
      // Pairings: to an executive or an admin they follow (ending @from's where @to is paired already, or
      // @from's second on one account); to a rep they stay.
      for (const p of after.pairings) {
        const was = before.pairings.find((b) => b.id === p.id)!;
        if (!canPair || !pairsMoving.some((m) => m.id === p.id)) expect(p).toEqual(was);
        else if (before.pairings.some((b) => b.accountId === p.accountId && b.execId === to && b.active) || pairsMoving.find((m) => m.accountId === p.accountId)!.id !== p.id)
          expect([p.execId, p.active]).toEqual([from, false]);
        else expect([p.execId, p.active]).toEqual([to, true]);
      }
    } finally {
      closeDb(db);
    }
  } finally {
    h.close();
  }
}

describe('/handover in batches', () => {
  it('over random books, batch sizes and a crash after a random batch, a fresh engine finishes it: each account and open item moved once, one pass per complaint, one meeting per contact', async () => {
    await fc.assert(
      fc.asyncProperty(bookArb, (book) => check(book)),
      { numRuns: Number(process.env.STEWARD_HANDOVER_RUNS ?? 40) },
    );
  }, 120_000);

  it('a job a crash left half done is finished when Steward starts again: the real process, its database reopened', { timeout: 120_000 }, async () => {
    const h = harness();
    try {
      for (const [cmd, user] of [
        ['/steward whoami', 'alice'],
        ...Array.from({ length: 12 }, (_, i) => [`/account add "${nameOf(i)}" tier:${i % 4 ? 'key' : 'strategic'} owner:@zhang`, 'alice']),
        ['/contact "Acct 0" add "Li Wei"', 'alice'],
        ['/contact "Acct 8" add "Zhou"', 'alice'],
        ['/complaint "Acct 1" Late', 'alice'],
        ['/complaint "Acct 11" Broken', 'alice'],
      ] as const) {
        const out = await h.run(cmd, user);
        if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
      }
      // The engine that runs the command stops after the first batch: what a crash leaves.
      const first = new Engine({ db: h.db, commands, defaults: { locale: 'en', timezone: 'Asia/Shanghai' }, clock: () => h.now, handover: { batch: 2, stopAfter: 1 } });
      const out = await first.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text: '/handover @zhang @wang' }, async (m) => shellUser(m));
      expect(renderText(out.reply)).toContain('Handed over 12 accounts from zhang to wang.');
      expect(await h.db.select().from(handoverJobs).get()).toMatchObject({ cursor: 2, doneAt: null });
      closeDb(h.db);

      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(SLACK_|LARK_|STEWARD_|REDIS_URL$|PORT$|LOG_LEVEL$)/.test(k)) env[k] = v;
      Object.assign(env, { STEWARD_DB: h.file, STEWARD_SHELL_USER: 'alice', STEWARD_TIMEZONE: 'Asia/Shanghai' });
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: join(import.meta.dirname, '..'), env, input: '', encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);

      const db = openDb(h.file);
      try {
        const after = await all(db);
        const [zhang, wang] = await mapSeq(['zhang', 'wang'], async (u) => (await db.select().from(members).where(eq(members.platformUserId, u)).get())!.id);
        expect((await db.select().from(handoverJobs).get())!.doneAt).not.toBeNull();
        expect(after.accounts.map((a) => a.ownerId)).toEqual(Array(12).fill(wang));
        expect(after.complaints.map((c) => c.ownerId)).toEqual([wang, wang]);
        expect(after.passes.map((p) => [p.complaintId, p.fromId, p.toId])).toEqual(after.complaints.map((c) => [c.id, zhang, wang]));
        expect(after.tasks.map((t) => [t.contactId, t.ownerId])).toEqual(after.contacts.map((c) => [c.id, wang]));
      } finally {
        closeDb(db);
      }
    } finally {
      h.close();
    }
  });
});
