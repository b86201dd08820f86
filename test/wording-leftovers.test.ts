// Wording leftovers of issue 18 part 10: a filter that matches nothing, zh usage
// lines, Chinese notes kept as typed, and the shell's prompt after a nudge.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';

let h: Harness;
let zh: Harness | undefined;
afterEach(() => {
  h?.close();
  zh?.close();
  zh = undefined;
});

describe('/account list with a filter that matches nothing', () => {
  it('says nothing matches that filter, not that the book is empty (en and zh)', async () => {
    h = harness();
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    expect((await h.run('/account list tier:key', 'admin')).text).toBe('• Accounts (0)\n  No accounts match this filter (key).');
    expect((await h.run('/account list mine', 'wang')).text).toBe('• Accounts (0)\n  No accounts match this filter (owned by wang).');
    expect((await h.run('/account list status:lost tier:key owner:@zhang', 'admin')).text).toBe('• Accounts (0)\n  No accounts match this filter (lost, key, owned by zhang).');
    expect((await h.run('/account list status:lost', 'admin')).text).toContain('No lost accounts.');
    zh = harness({ locale: 'zh-CN' });
    await zh.run('/客户 添加 华东化工 级别:战略 负责人:@zhang', 'admin');
    const out = (await zh.run('/客户 列表 级别:重点', 'admin')).text;
    expect(out).toContain('没有符合筛选条件（重点客户）的客户。');
    expect(out).not.toContain('还没有客户');
  });

  it('an empty book still says so, and a book of lost accounts only says there is no active one', async () => {
    h = harness();
    expect((await h.run('/account list', 'admin')).text).toContain('No accounts yet.');
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    await h.run('/lost Acme reason:competitor Went with the cheaper forwarder', 'admin');
    const out = (await h.run('/account list', 'admin')).text;
    expect(out).toContain('No active accounts; the lost ones are listed with /account list status:lost');
  });
});
