import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nudges, tasks } from '../db/schema.js';
import { renderText } from '../src/engine/render-text.js';
import type { Reply } from '../src/engine/reply.js';
import { sweepTenant } from '../src/scheduler/sweep.js';
import { harness, type Harness } from './harness.js';
import { transact } from '../db/index.js';

const DAY = 86_400_000;

describe('/checklist and its weekly nudge', () => {
  let h: Harness;
  const sweep = (at: Date) => transact(h.db, async (tx) => sweepTenant(tx, (await h.db.query.tenants.findFirst())!, at), { behavior: 'immediate' });
  const ids = async () => (await h.db.select({ id: tasks.id }).from(tasks).all()).map((t) => t.id);

  beforeEach(async () => {
    h = harness();
    await h.run('/account add Acme tier:key owner:@zhang', 'admin');
    await h.run('/lost Acme reason:competitor Claims went unanswered', 'zhang');
  });
  afterEach(() => h.close());

  it("lists the owner's open items with ids and due dates, and ticks them off one by one", async () => {
    const [first, ...rest] = await ids();
    const listed = (await h.run('/checklist', 'zhang')).text.split('\n');
    expect(listed[0]).toBe('• Open checklist items: 6');
    expect(listed[1]).toBe(`  • T-${first} · Acme · Hold a last conversation: one final attempt to keep them · by Mon 7 Dec 2026`);
    expect((await h.run(`/checklist done T-${first} Called their COO`, 'zhang')).text).toBe(`✔ T-${first} done. 5 still open.`);
    expect((await h.db.select().from(tasks).all()).find((t) => t.id === first)).toMatchObject({ detail: 'Called their COO' });
    for (const id of rest) await h.run(`/清单 完成 T-${id}`, 'zhang');
    expect((await h.run('/checklist', 'zhang')).text).toBe('• Open checklist items: 0\n  Nothing open on your checklist.');
  });

  it('someone else may not tick off the owner’s items, and nothing changes', async () => {
    const before = h.snapshot();
    const out = await h.run(`/checklist done T-${(await ids())[0]}`, 'wang');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('Only its owner zhang or an admin can tick off');
    expect(h.snapshot()).toBe(before);
    expect((await h.run('/checklist done T-999', 'zhang')).text).toContain('There is no open checklist item T-999');
  });

  it('the owner is nudged once a week while items are due within a week, and not once all are done', async () => {
    expect((await sweep(new Date(h.now.getTime() + DAY))).counts.checklist).toBe(0); // due in 13 days: not yet
    const week2 = await sweep(new Date(h.now.getTime() + 8 * DAY));
    expect(week2.counts.checklist).toBe(1);
    const n = (await h.db.select().from(nudges).all()).find((x) => x.kind === 'checklist')!;
    expect(renderText(n.payload as Reply).split('\n')[0]).toBe('! Your checklist: 6 open items due within a week or overdue');
    expect((await sweep(new Date(h.now.getTime() + 9 * DAY))).counts.checklist).toBe(0); // same week
    await h.db.update(tasks).set({ doneAt: h.now }).run();
    expect((await sweep(new Date(h.now.getTime() + 15 * DAY))).counts.checklist).toBe(0);
  });
});
