// Wording (issue 18 part 10): replies that said something untrue of the case at hand.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';
import { zhCN } from '../prompts/zh-CN.js';

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

// Exploratory report: zh replies counted complaints with 起 in some sentences and 条/个 in others
// (`未解决投诉（2起…）` beside `未解决2条`). 投诉 are incidents: every complaint count uses 起.
describe('zh complaint counts use one measure word', () => {
  /** Every string the zh catalog can say, by key path; functions are called with 7 (or '7', ['7'], a record of 7s). */
  const sentences = (): [string, string][] => {
    const record = new Proxy({}, { get: (_t, key) => (key === Symbol.toPrimitive ? undefined : 7) });
    const render = (fn: (...args: unknown[]) => unknown): string[] => {
      const out: string[] = [];
      for (const arg of [7, '7', ['7'], record]) {
        try {
          const r = fn(...Array(Math.max(fn.length, 1)).fill(arg));
          if (typeof r === 'string') out.push(r);
        } catch {
          // this argument shape does not fit; another one will
        }
      }
      return out;
    };
    const acc: [string, string][] = [];
    const walk = (o: unknown, path: string) => {
      if (typeof o === 'function') for (const s of render(o as (...args: unknown[]) => unknown)) acc.push([path, s]);
      else if (typeof o === 'string') acc.push([path, o]);
      else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, path ? `${path}.${k}` : k);
    };
    walk(zhCN, '');
    return acc;
  };

  it('every count of complaints in prompts/zh-CN.ts says 起 (not 条, 个 or 件)', () => {
    const counts: { path: string; clause: string; word: string }[] = [];
    for (const [path, text] of sentences()) {
      for (const clause of text.split(/[·，、；。：（）()]/)) {
        const m = /7([条个件项起])/.exec(clause);
        if (!m) continue;
        const otherNoun = /客户|承诺|团队|事项|待办|结对|人/.test(clause.slice(m.index));
        const aboutComplaints = clause.includes('投诉') || (/complaint/i.test(path) && !otherNoun);
        if (aboutComplaints) counts.push({ path, clause, word: m[1]! });
      }
    }
    // the scan reaches the sentences the tester saw: /account, /risk reasons, the digest, lists, handover, times
    for (const path of [
      'digest.complaintsHeading',
      'complaint.times.open',
      'complaint.listTitle',
      'touch.openComplaints',
      'health.reason.complaints',
      'handover.counts.complaints',
      'home.summary',
    ]) {
      expect(counts.map((c) => c.path)).toContain(path);
    }
    expect(counts.filter((c) => c.word !== '起')).toEqual([]);
  });
});
