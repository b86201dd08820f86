import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { accountLosses, accounts, members, tasks } from '../db/schema.js';
import { harness, type Harness } from './harness.js';

const DAY = 86_400_000;

describe('/lost and /churn', () => {
  let h: Harness;
  beforeEach(async () => {
    h = harness({ now: new Date('2025-01-10T02:00:00Z') });
    await h.run('/account add Acme tier:strategic owner:@zhang revenue:2m', 'admin');
    await h.run('/account add Beta tier:key owner:@zhang revenue:1m', 'admin');
    await h.run('/account add Gamma tier:standard owner:@wang revenue:500k', 'admin');
    await h.run('/account add Delta tier:standard owner:@wang revenue:500k', 'admin');
    h.now = new Date('2026-11-23T02:00:00Z');
  });
  afterEach(() => h.close());

  it('records the loss, the reason, the competitor, the lesson and a last-conversation checklist', async () => {
    const out = await h.run('/lost Acme reason:competitor competitor:"SF Express" Six months of unanswered damage claims', 'zhang');
    expect(out.ok).toBe(true);
    expect(out.text.split('\n')).toEqual([
      '! Acme recorded as lost: competitor (to SF Express).',
      'Lesson: Six months of unanswered damage claims',
      'The last conversation, within 14 days:',
      '  • ☐ Hold a last conversation: one final attempt to keep them',
      '  • ☐ Ask for their honest feedback',
      '  • ☐ Settle open payments and stock',
      '  • ☐ Close any claims, to limit the loss',
      '  • ☐ Tell other customers the facts before rumours do',
      '  • ☐ Share the lesson with the team and fix the cause',
    ]);
    expect((await h.db.select().from(accounts).all()).find((a) => a.name === 'Acme')!.status).toBe('lost');
    expect(await h.db.select().from(accountLosses).all()).toMatchObject([
      { reason: 'competitor', competitor: 'SF Express', revenue: 2_000_000, lesson: 'Six months of unanswered damage claims' },
    ]);
    expect((await h.db.select().from(tasks).all()).map((t) => [t.kind, t.itemKey, t.dueOn])).toEqual(
      ['final-attempt', 'feedback', 'settle', 'claims', 'tell-customers', 'lesson'].map((k) => ['last-conversation', k, '2026-12-07']),
    );
  });

  it('refuses without a reason or a lesson, a second time, or from someone who may not', async () => {
    for (const [cmd, user, says] of [
      ['/lost Acme Price', 'zhang', 'Missing reason:'],
      ['/lost Acme reason:price', 'zhang', 'Missing the lesson'],
      ['/lost Acme reason:weather They left', 'zhang', "doesn't work for reason:"],
      ['/lost Acme reason:price They left', 'wang', 'Only its owner zhang or an admin'],
    ] as const) {
      const before = h.snapshot();
      const out = await h.run(cmd, user);
      expect(out.ok, cmd).toBe(false);
      expect(out.text).toContain(says);
      expect(h.snapshot()).toBe(before);
    }
    await h.run('/lost Acme reason:price They left', 'zhang');
    expect((await h.run('/lost Acme reason:price Again', 'zhang')).text).toContain('already recorded as lost');
  });

  it('churn by count and by revenue, with the reasons, against 5-10% a year; a win-back does not erase the loss', async () => {
    await h.run('/lost Acme reason:competitor Claims unanswered', 'zhang');
    h.now = new Date(h.now.getTime() + DAY);
    await h.run('/流失 Gamma 原因:自然流失 客户被并购', 'wang');
    const out = await h.run('/churn', 'admin');
    expect(out.text.split('\n')).toEqual([
      '• Churn, last 12 months',
      'By count: 2 of 4 accounts lost (50%).',
      'By revenue: 2.5M of 4M a year (63%).',
      'Why',
      '  • competitor: 1',
      '  • natural attrition: 1',
      'Good teams lose 5-10% of their accounts a year.',
      'Complaints: time to answer and to resolve',
      '  • No complaint resolved in this period.',
      '  • 0 complaints open.',
    ]);
    expect((await h.run('/lost won-back Gamma', 'wang')).text).toBe('✔ Gamma is won back and active again. Welcome back!');
    // The win-back is a new event: the loss stays in the period it happened.
    expect((await h.run('/churn year', 'admin')).text).toContain('By count: 2 of 4 accounts lost (50%).');
    expect((await h.run('/churn quarter', 'admin')).text).toContain('about 1-2.5% a quarter');
  });

  it('a book of one reads "1 account"; a book with no revenue on record gives no revenue rate, not "0 of 0 (0%)" (en and zh)', async () => {
    await h.run('/steward team @sun manager:@boss', 'admin');
    await h.run('/steward team @wang manager:@li', 'admin');
    await h.run('/account add Solo owner:@sun', 'admin');
    const out = (await h.run('/churn', 'sun')).text.split('\n');
    expect(out.slice(1, 3)).toEqual(['By count: 0 of 1 account lost (0%).', 'By revenue: no revenue on record (set it with /account set <account> revenue:..).']);
    const org = (await h.run('/churn', 'admin')).text;
    expect(org).toContain("boss's team: 0 of 1 account lost (0%); no revenue on record");
    expect(org).toContain("li's team: 0 of 2 accounts lost (0%); 0 of 1M a year (0%)");
    await h.run('/steward me locale:zh-CN', 'sun');
    expect((await h.run('/流失率', 'sun')).text.split('\n')[2]).toBe('按营收：没有营收记录（用 /客户 修改 <客户> 营收:.. 补上）。');
  });

  it('an account added and lost within the period counts in the book it is lost from', async () => {
    await h.run('/account add Epsilon owner:@wang revenue:1m', 'admin');
    h.now = new Date(h.now.getTime() + DAY);
    await h.run('/lost Epsilon reason:price Undercut by 12%', 'wang');
    expect((await h.run('/churn', 'admin')).text.split('\n').slice(1, 3)).toEqual(['By count: 1 of 5 accounts lost (20%).', 'By revenue: 1M of 5M a year (20%).']);
  });

  it('the last conversation falls to whoever records the loss when the owner has left, and a win-back closes it', async () => {
    await h.run('/leave @zhang', 'admin');
    expect((await h.run('/lost Acme reason:competitor Claims unanswered', 'admin')).ok).toBe(true);
    const owners = async () => [...new Set((await h.db.select().from(tasks).all()).map((t) => t.ownerId))];
    const admin = (await h.db.select().from(members).where(eq(members.name, 'admin')).get())!.id;
    expect(await owners()).toEqual([admin]);
    expect((await h.run('/checklist', 'admin')).text).toContain('Hold a last conversation');
    await h.run('/lost won-back Acme', 'admin');
    expect((await h.db.select().from(tasks).all()).every((t) => t.doneAt !== null)).toBe(true);
  });

  it('/lost list browses the lessons of lost accounts, newest first, filtered by reason in either language', async () => {
    expect((await h.run('/lost list', 'zhang')).text).toContain('No account has been lost yet.');
    await h.run('/lost Acme reason:competitor competitor:"SF Express" Six months of unanswered damage claims', 'zhang');
    h.now = new Date(h.now.getTime() + DAY);
    await h.run('/lost Gamma reason:price Undercut by 12%', 'wang');
    h.now = new Date(h.now.getTime() + DAY);
    await h.run('/lost Beta reason:competitor They never met our executive', 'zhang');
    await h.run('/lost won-back Gamma', 'wang');
    expect((await h.run('/lost list', 'wang')).text.split('\n')).toEqual([
      '• Lessons of lost accounts, newest first',
      '  • Beta, lost Wed 25 Nov 2026: competitor. They never met our executive',
      '  • Gamma, lost Tue 24 Nov 2026: price or market. Undercut by 12% (won back Wed 25 Nov 2026)',
      '  • Acme, lost Mon 23 Nov 2026: competitor (to SF Express). Six months of unanswered damage claims',
    ]);
    expect((await h.run('/lost list competitor', 'wang')).text.split('\n').slice(1)).toEqual([
      '  • Beta, lost Wed 25 Nov 2026: competitor. They never met our executive',
      '  • Acme, lost Mon 23 Nov 2026: competitor (to SF Express). Six months of unanswered damage claims',
    ]);
    const zh = await h.run('/流失 列表 价格', 'wang');
    expect(zh.text).toContain('Gamma');
    expect(zh.text).toContain('Undercut by 12%');
    expect(zh.text).not.toContain('Acme');
    expect((await h.run('/lost list arrogance', 'wang')).text).toContain('No account has been lost to taking them for granted.');
    const hz = harness({ locale: 'zh-CN', now: h.now });
    try {
      await hz.run('/客户 添加 华东化工 负责人:@zhang', 'admin');
      await hz.run('/流失 华东化工 原因:竞争对手 竞品:顺丰 货损索赔半年没人处理', 'zhang');
      expect((await hz.run('/流失 列表 竞争对手', 'zhang')).text.split('\n')).toEqual([
        '• 因“竞争对手”流失的客户及教训（最新在前）',
        expect.stringMatching(/^ {2}• 华东化工，.*流失：竞争对手（转向顺丰）。货损索赔半年没人处理$/),
      ]);
      expect((await hz.run('/流失 列表 店大欺客', 'zhang')).text).toContain('还没有因“店大欺客”流失的客户。');
    } finally {
      hz.close();
    }
  });
});
