// A large /handover on the engine thread (EngineThread, thread-worker.ts): the reply comes after the
// command's own transaction, the book then moves a batch per turn of the thread's event loop, and a
// command sent meanwhile is answered (it runs between batches, not after the whole book). Once the
// thread has finished the job, everything in scope is @to's, nothing moved twice.
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, complaintEvents, complaints, contacts, handoverJobs, members, tasks } from '../db/schema.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { EngineThread } from '../src/engine/thread.js';
import { harness, type Harness } from './harness.js';

const BOOK = 12;
const nameOf = (i: number) => `Acct ${i}`;

let h: Harness;
let thread: EngineThread<{ text: string }>;

beforeAll(async () => {
  h = harness();
  for (const [cmd, user] of [
    ['/steward whoami', 'alice'],
    ['/steward whoami', 'wang'],
    ...Array.from({ length: BOOK }, (_, i) => [`/account add "${nameOf(i)}" tier:${i % 4 ? 'key' : 'strategic'} owner:@zhang`, 'alice']),
    ['/contact "Acct 0" add "Li Wei"', 'alice'],
    ['/contact "Acct 0" add "Zhou Min"', 'alice'],
    ['/contact "Acct 8" add "Chen Jie"', 'alice'],
    ['/complaint "Acct 1" Late', 'alice'],
    ['/complaint "Acct 11" Broken', 'alice'],
    ['/complaint "Acct 6" Wrong invoice', 'alice'],
  ] as const) {
    const out = await h.run(cmd, user);
    if (!out.ok) throw new Error(`${cmd}: ${out.text}`);
  }
  thread = await EngineThread.start({
    db: h.file,
    defaults: { locale: 'en', timezone: 'Asia/Shanghai' },
    finisher: new URL('./fixtures/picky-finisher.ts', import.meta.url),
    entry: new URL('../src/engine-thread.ts', import.meta.url),
    logger: pino({ level: 'warn' }),
    // Two accounts per transaction: a book of 12 is a job of six batches.
    handover: { batch: 2 },
  });
});
afterAll(async () => {
  await thread?.close();
  h?.close();
});

const job = (text: string, mentions: Record<string, ReturnType<typeof shellUser>> = {}) => ({
  incoming: { platform: 'shell' as const, workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text },
  mentions,
});

/** Until every handover job is done: the thread's batches, read through the test's own connection. */
async function jobsDone(): Promise<void> {
  for (;;) {
    const jobs = await h.db.select().from(handoverJobs).all();
    if (jobs.length && jobs.every((j) => j.doneAt !== null)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a large handover on the engine thread', () => {
  it('answers at once, moves the book in batches after the reply, answers a command sent meanwhile, and moves everything once', { timeout: 60_000 }, async () => {
    const handed = await thread.run(job('/handover @zhang @wang', { '@zhang': shellUser('zhang'), '@wang': shellUser('wang') }));
    expect(handed.ok, handed.answer.text).toBe(true);
    // The reply tells the whole handover, though the book moves after it.
    expect(handed.answer.text).toContain(`Handed over ${BOOK} accounts from zhang to wang.`);
    expect(handed.answer.text).toContain('3 open complaints');
    expect(handed.answer.text.match(/☐ Meet /g)?.length).toBe(3);
    // A job (batches of 2), recorded in the command's transaction, not one transaction.
    expect(await h.db.select().from(handoverJobs).all()).toHaveLength(1);

    // Sent right after the reply, while the thread has the batches to run: answered, not held until the job is over.
    const touched = await thread.run(job('/touch "Acct 5" call Right after the handover'));
    expect(touched.ok, touched.answer.text).toBe(true);
    expect(touched.answer.text).toMatch(/^✔ Logged a call with Acct 5/);

    await jobsDone();

    const id = async (u: string) => (await h.db.select().from(members).where(eq(members.platformUserId, u)).get())!.id;
    const [zhang, wang] = [await id('zhang'), await id('wang')];
    expect((await h.db.select().from(accounts).all()).map((a) => a.ownerId)).toEqual(Array(BOOK).fill(wang));
    const open = await h.db.select().from(complaints).all();
    expect(open.map((c) => c.ownerId)).toEqual([wang, wang, wang]);
    // One pass per complaint, zhang to wang: none moved twice.
    const passes = (await h.db.select().from(complaintEvents).where(eq(complaintEvents.kind, 'pass')).all()).map((e) => [e.complaintId, e.fromId, e.toId]);
    expect(passes.sort()).toEqual(open.map((c) => [c.id, zhang, wang]).sort());
    // One meeting per contact of the strategic accounts, wang's: none listed twice.
    const meetings = (await h.db.select().from(tasks).where(eq(tasks.itemKey, 'meet-contact')).all()).map((t) => [t.contactId, t.ownerId]);
    const people = (await h.db.select().from(contacts).all()).map((c) => [c.id, wang]);
    expect(meetings.sort()).toEqual(people.sort());
  });
});
