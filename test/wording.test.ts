// Wording (issue 18 part 10): replies that said something untrue of the case at hand.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';

describe('wording', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('/account list status:lost with none says there are no lost accounts, not that there are no accounts', async () => {
    h = harness({ now: new Date('2026-12-07T02:00:00Z') });
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    const en = await h.run('/account list status:lost', 'admin');
    expect(en.text).toContain('No lost accounts.');
    expect(en.text).not.toContain('No accounts yet');
    const zh = harness({ locale: 'zh-CN' });
    try {
      await zh.run('/客户 添加 华东化工 负责人:@zhang', 'admin');
      expect((await zh.run('/客户 列表 状态:流失', 'admin')).text).toContain('没有流失客户。');
    } finally {
      zh.close();
    }
  });

  it('/review list after the season speaks of its end and the next start, not of a September past', async () => {
    h = harness({ now: new Date('2026-12-07T02:00:00Z') });
    const out = await h.run('/review list', 'admin');
    expect(out.text).toContain("No review items: this year's season ended Sat 31 Oct 2026. The next starts Wed 1 Sept 2027.");
    const zh = harness({ locale: 'zh-CN', now: new Date('2026-12-07T02:00:00Z') });
    try {
      expect((await zh.run('/复盘 列表', 'admin')).text).toMatch(/今年的复盘季已于.*结束，下一季.*开始。/);
    } finally {
      zh.close();
    }
  });

  it('a new account has no four-week trend: its health says nothing of a fall', async () => {
    h = harness({ now: new Date('2026-12-07T02:00:00Z') });
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    await h.run('/complaint Acme severity:critical Pallets crushed', 'zhang');
    const out = await h.run('/account Acme', 'zhang');
    expect(out.text).toMatch(/Health +\d+\/100, [a-z ]+\n/);
    expect(out.text).not.toContain('in four weeks');
  });
});
