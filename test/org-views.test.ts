// The organisation's views (issue 18, part 8, and coverage across the team): what an admin, an
// executive, a manager and a rep see of /risk all, /churn by team and the organisation's digest,
// and the single-threaded accounts in /risk and the digest.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestAll } from '../src/scheduler/digest.js';
import { harness, type Harness } from './harness.js';
import { DAY, kit, nudgeText, plus } from './kit.js';
import { transact } from '../db/index.js';
import { mapSeq } from './async-array.js';

let h: Harness;
const k = kit(() => h);
afterEach(() => h.close());
const NOW = new Date('2026-11-23T02:00:00Z'); // Monday 10:00 in Shanghai
const FIVE_SIGNS = [
  'decision-maker-change New GM from the parent group',
  'volume-drop Orders down 30% on last quarter',
  'competitor JD Logistics quoted the whole network',
  'payment-delay March invoices 40 days late',
  'strategy-change Building their own warehouse in Kunshan',
];

/** Two of ours have met two of their levels: not single-threaded. */
async function covered(name: string, tier: string, owner: string, colleague: string) {
  await k.ok(`/account add ${name} tier:${tier} owner:@${owner} revenue:1m`);
  await k.ok(`/contact ${name} add Wu Gang title:GM level:decision-maker`);
  await k.ok(`/contact ${name} add Li Na title:Dispatcher level:operator`);
  await k.ok(`/touch ${name} visit to:"Wu Gang" Quarterly review of the lanes`, owner);
  await k.ok(`/touch ${name} call to:"Li Na" Pallet counts for the week`, colleague);
}

/**
 * alice is the admin; chen the executive above two managers: li (zhang, wang) and mark (bob). sun is
 * a rep in no team. In mark's team Acme burns (at risk) and Lumen was lost this quarter; in li's,
 * Beta is to watch and Cobalt is known by one thread, as is Kestrel in mark's.
 */
async function organisation() {
  h = harness({ now: plus(NOW, -200 * DAY) });
  await k.ok('/steward role @chen exec');
  await k.ok('/steward team @zhang manager:@li');
  await k.ok('/steward team @wang manager:@li');
  await k.ok('/steward team @bob manager:@mark');
  await k.ok('/steward team @li manager:@chen');
  await k.ok('/steward team @mark manager:@chen');
  for (const [name, owner, contact] of [
    ['Cobalt', 'wang', 'Qian Yu'],
    ['Kestrel', 'bob', 'Zhao Lei'],
  ] as const) {
    await k.ok(`/account add ${name} tier:key owner:@${owner} revenue:1m`);
    await k.ok(`/contact ${name} add "${contact}" title:Buyer level:manager`);
  }
  await k.ok('/account add Lumen tier:standard owner:@bob revenue:1m');
  await k.ok('/account add Omega tier:standard owner:@sun revenue:1m');
  h.now = plus(NOW, -10 * DAY);
  await covered('Acme', 'strategic', 'bob', 'mark');
  await covered('Beta', 'strategic', 'zhang', 'li');
  await k.ok('/touch Cobalt visit to:"Qian Yu" Rates for next year', 'wang');
  await k.ok('/touch Kestrel visit to:"Zhao Lei" Rates for next year', 'bob');
  await k.ok('/touch Omega visit Site walk', 'sun');
  await k.ok('/promise Kestrel due:2026-11-20 Send the cold-chain quote', 'bob');
  await k.ok('/promise Cobalt due:2026-11-30 Hold a warehouse slot for December', 'wang');
  for (const [i, s] of FIVE_SIGNS.entries()) {
    h.now = plus(NOW, (i - 6) * DAY);
    await k.ok(`/signal Acme ${s}`, 'bob');
  }
  h.now = plus(NOW, -1 * DAY);
  // Beta: a fresh high complaint and a competitor's lower offer, on a strategic account: to watch.
  await k.ok('/complaint Beta severity:high category:damage Two pallets crushed at the Wuxi hub', 'zhang');
  await k.ok('/signal Beta competitor SF offered the Shanghai lanes 8% below our rate', 'zhang');
  await k.ok('/lost Lumen reason:competitor They moved to JD', 'bob');
  await k.ok('/promise broken P-2 The warehouse slot went to another customer', 'wang');
  h.now = NOW;
}

const lines = async (cmd: string, who: string) => (await k.ok(cmd, who)).text.split('\n');

describe('/risk all: the organisation, team by team', () => {
  beforeEach(organisation);

  it('an admin and an executive read every team, the team with an account at risk first, and which teams are quiet', async () => {
    const risk = await lines('/risk all', 'alice');
    expect(risk[0]).toBe('! Accounts at risk or to watch in the organisation: 2');
    // mark's team (one at risk) comes before li's (one to watch), though li's name sorts first.
    expect(risk[1]).toBe("mark's team: 1 at risk, 0 to watch, of 2 accounts");
    expect(risk[2]).toMatch(/^ {2}• Acme · bob · \d+\/100, at risk/);
    expect(risk[3]).toBe("li's team: 0 at risk, 1 to watch, of 2 accounts");
    expect(risk[4]).toMatch(/^ {2}• Beta · zhang · \d+\/100, watch/);
    expect(risk[5]).toBe('Nothing at risk or to watch: no team.');
    expect(risk.slice(6)).toEqual([
      'Single-threaded: known by one person of ours or one level of theirs (2)',
      '  • Cobalt · key · wang · 1 of ours, 1 level of theirs in 90 days',
      '  • Kestrel · key · bob · 1 of ours, 1 level of theirs in 90 days',
    ]);
    expect(await lines('/risk all', 'chen')).toEqual(risk);
  });

  it('an admin or an executive with no book of their own reads the organisation with a bare /risk', async () => {
    expect(await lines('/risk', 'alice')).toEqual(await lines('/risk all', 'alice'));
    expect(await lines('/risk', 'chen')).not.toContain("li's team: 0 at risk, 1 to watch, of 2 accounts");
    // chen leads li's and mark's teams: his own /risk is theirs, /risk all the organisation's.
    expect((await lines('/risk', 'chen'))[0]).toBe('! Accounts at risk or to watch in your team: 2');
  });

  it('a manager or a rep asking for all is refused and told what they may read, in either language', async () => {
    for (const who of ['li', 'zhang', 'sun']) {
      expect((await k.refused('/risk all', who)).text).toBe(
        "✘ The whole organisation's accounts are for executives and admins to read: /risk shows your team's, /risk mine your own.",
      );
    }
    await k.ok('/steward me locale:zh-CN', 'li');
    expect((await k.refused('/风险 全部', 'li')).text).toBe('✘ 全公司的客户只有高管和管理员可以查看：/风险 查看你的团队，/风险 我的 查看你自己的客户。');
  });

  it('reads in Chinese, 全部 for all', async () => {
    await k.ok('/steward me locale:zh-CN', 'chen');
    const risk = await lines('/风险 全部', 'chen');
    expect(risk[0]).toBe('! 全公司中高风险或需关注的客户：2个');
    expect(risk[1]).toBe('mark团队：2个客户中高风险1个、需关注0个');
    expect(risk).toContain('单点对接：只有我方一人或对方一个层级有接触（2）');
    expect(risk).toContain('  • Cobalt · 重点客户 · wang · 近90天我方1人、对方1个层级');
  });
});

describe('/risk all in a long organisation', () => {
  it('shows ten accounts a team and counts the rest', async () => {
    h = harness({ now: plus(NOW, -10 * DAY) });
    await k.ok('/steward team @zhang manager:@li');
    const names = Array.from({ length: 12 }, (_, i) => `Account ${String(i + 1).padStart(2, '0')}`);
    for (const name of names) {
      await k.ok(`/account add "${name}" tier:key owner:@zhang`);
      for (const s of FIVE_SIGNS) await k.ok(`/signal "${name}" ${s}`, 'zhang');
    }
    h.now = NOW;
    const risk = await lines('/risk all', 'alice');
    expect(risk[0]).toBe('! Accounts at risk or to watch in the organisation: 12');
    expect(risk[1]).toBe("li's team: 12 at risk, 0 to watch, of 12 accounts");
    expect(risk.slice(2, 12).every((l) => /^ {2}• Account \d\d · zhang · \d+\/100, at risk/.test(l))).toBe(true);
    expect(risk[12]).toBe('  …+2'); // the "…and 2 more" line, as the test renderer words it
  });
});

describe('single-threaded accounts in /risk and the digest', () => {
  beforeEach(organisation);
  const SINGLE = 'Single-threaded: known by one person of ours or one level of theirs (1)';

  it("are listed for the reader's scope: a manager's team, a rep's own book", async () => {
    const li = await lines('/risk', 'li');
    expect(li.slice(-2)).toEqual([SINGLE, '  • Cobalt · key · wang · 1 of ours, 1 level of theirs in 90 days']);
    expect((await lines('/risk mine', 'bob')).slice(-2)).toEqual([SINGLE, '  • Kestrel · key · bob · 1 of ours, 1 level of theirs in 90 days']);
    expect((await k.ok('/risk', 'zhang')).text).not.toContain('Single-threaded');
    // A standard account is one rep's (the score's rule): Omega, known by sun alone, is not listed.
    expect((await k.ok('/risk', 'sun')).text).not.toContain('Single-threaded');
  });

  it("by the health score's rule: a second level of theirs met by a colleague takes the account off the list", async () => {
    expect((await k.ok('/risk', 'li')).text).toContain('  • Cobalt · key · wang · ');
    await k.ok('/contact Cobalt add Sun Hao title:COO level:executive');
    await k.ok('/touch Cobalt meeting to:"Sun Hao" Met their COO', 'li');
    expect((await k.ok('/risk', 'li')).text).not.toContain('Single-threaded');
  });

  it("are in the manager's digest, and counted per team in the organisation's", async () => {
    const li = await lines('/digest', 'li');
    expect(li.slice(-2)).toEqual([SINGLE, '  • Cobalt · key · wang · 1 of ours, 1 level of theirs in 90 days']);
    expect((await k.ok('/digest', 'zhang')).text).not.toContain('Single-threaded');
    const org = await lines('/digest', 'alice');
    expect(org.find((l) => l.startsWith("  • li's team:"))).toContain(' · 1 single-threaded · ');
  });
});

describe('/churn by team', () => {
  beforeEach(organisation);

  it("admins and executives read each team's rate beside the organisation's", async () => {
    const churn = await lines('/churn', 'alice');
    expect(churn).toEqual([
      '• Churn, last 12 months',
      'By count: 1 of 6 accounts lost (17%).',
      'By revenue: 1M of 6M a year (17%).',
      'By team',
      "  • li's team: 0 of 2 accounts lost (0%); 0 of 2M a year (0%)",
      "  • mark's team: 1 of 3 accounts lost (33%); 1M of 3M a year (33%)",
      '  • no team: 0 of 1 account lost (0%); 0 of 1M a year (0%)',
      'Why',
      '  • competitor: 1',
      'Good teams lose 5-10% of their accounts a year.',
      'Complaints: time to answer and to resolve',
      '  • No complaint resolved in this period.',
      '  • 1 complaint open, 1 not answered yet.',
      '  • Oldest open: C-1 · Beta, open for 24 hours.',
    ]);
    expect(await lines('/churn', 'chen')).toEqual(churn);
  });

  it('a manager reads their team, a rep the team they are in, someone in no team the organisation', async () => {
    expect((await lines('/churn', 'li')).slice(0, 3)).toEqual(["• Churn of li's team, last 12 months", 'By count: 0 of 2 accounts lost (0%).', 'By revenue: 0 of 2M a year (0%).']);
    expect((await lines('/churn quarter', 'bob')).slice(0, 3)).toEqual([
      "• Churn of mark's team, last 3 months",
      'By count: 1 of 3 accounts lost (33%).',
      'By revenue: 1M of 3M a year (33%).',
    ]);
    expect((await k.ok('/churn', 'bob')).text).not.toContain('By team');
    // The complaint times follow the same scope: Beta's complaint is li's team's, not mark's.
    expect((await k.ok('/churn', 'li')).text).toContain('Oldest open: C-1');
    expect((await k.ok('/churn', 'bob')).text).not.toContain('C-1');
    expect((await lines('/churn', 'sun')).slice(0, 2)).toEqual(['• Churn, last 12 months', 'By count: 1 of 6 accounts lost (17%).']);
    expect((await k.ok('/churn', 'sun')).text).not.toContain('By team');
  });

  it('in Chinese', async () => {
    await k.ok('/steward me locale:zh-CN', 'chen');
    await k.ok('/steward me locale:zh-CN', 'li');
    const churn = await lines('/流失率', 'chen');
    expect(churn).toContain('各团队');
    expect(churn).toContain('  • mark团队：3个客户中流失1个（33%）；年营收300万中流失100万（33%）');
    expect((await lines('/流失率', 'li'))[0]).toBe('• li团队客户流失率（近12个月）');
  });
});

describe("the organisation's digest", () => {
  beforeEach(organisation);

  it('an admin reads the teams compared, then the accounts at risk or to watch across them', async () => {
    const digest = await lines('/digest', 'alice');
    expect(digest.slice(0, 6)).toEqual([
      '• Weekly digest for the organisation: 5 active accounts in 2 teams',
      'Teams compared',
      '  • The organisation: 5 accounts · 1 at risk, 1 to watch · 2 single-threaded · complaints 1 open, 0 escalated · promises 1 broken this quarter, 1 overdue · 0 revisits overdue · churn this quarter 1 of 6 (17%)',
      "  • li's team: 2 accounts · 0 at risk, 1 to watch · 1 single-threaded · complaints 1 open, 0 escalated · promises 1 broken this quarter, 0 overdue · 0 revisits overdue · churn this quarter 0 of 2 (0%)",
      "  • mark's team: 2 accounts · 1 at risk, 0 to watch · 1 single-threaded · complaints 0 open, 0 escalated · promises 0 broken this quarter, 1 overdue · 0 revisits overdue · churn this quarter 1 of 3 (33%)",
      '  • no team: 1 account · 0 at risk, 0 to watch · 0 single-threaded · complaints 0 open, 0 escalated · promises 0 broken this quarter, 0 overdue · 0 revisits overdue · churn this quarter 0 of 1 (0%)',
    ]);
    expect(digest[6]).toBe('At risk or to watch (2)');
    expect(digest[7]).toMatch(/^ {2}• Acme \(mark's team\): at risk \(\d+\) · /);
    expect(digest[8]).toMatch(/^ {2}• Beta \(li's team\): watch \(\d+\) · /);
    expect(digest).toHaveLength(9);
  });

  it("the weekly job sends it to each admin and executive, an executive's own team's digest after it; managers and reps read theirs", async () => {
    const ids = await transact(h.db, async (tx) => digestAll(tx, await k.tenant(), NOW));
    const sent = (await k.allNudges('digest')).filter((n) => ids.includes(n.id));
    const read = async (who: string) => {
      const id = await k.memberId(who);
      return nudgeText(sent.find((n) => n.recipientId === id)!).split('\n');
    };
    expect((await mapSeq(sent, (n) => k.nameOf(n.recipientId))).sort()).toEqual(['alice', 'bob', 'chen', 'li', 'mark', 'sun', 'wang', 'zhang']);
    expect(await read('alice')).toEqual(await lines('/digest', 'alice'));
    const chen = await read('chen');
    expect(chen[0]).toBe('• Weekly digest for the organisation: 5 active accounts in 2 teams');
    expect(chen).toContain("Your own: Weekly digest for chen's team (6 people)");
    expect((await read('li'))[0]).toBe("• Weekly digest for li's team (3 people)");
    // Once a week: the same week records none again.
    expect(await transact(h.db, async (tx) => digestAll(tx, await k.tenant(), plus(NOW, DAY)))).toEqual([]);
  });

  it("an admin who owns the only accounts, with no team yet, reads the organisation's line and then their own book", async () => {
    h.close();
    h = harness({ now: NOW });
    await k.ok('/account add Acme tier:strategic');
    const digest = await lines('/digest', 'alice');
    expect(digest.slice(0, 3)).toEqual([
      '• Weekly digest for the organisation: 1 active account in 0 teams',
      'Teams compared',
      '  • The organisation: 1 account · 0 at risk, 0 to watch · 0 single-threaded · complaints 0 open, 0 escalated · promises 0 broken this quarter, 0 overdue · 0 revisits overdue · churn this quarter 0 of 1 (0%)',
    ]);
    expect(digest).toContain('Your own: Weekly digest for alice');
    expect(digest).toContain('Touchpoints: 0 in the last 7 days (0 the 7 days before).');
  });

  it('in Chinese', async () => {
    await k.ok('/steward me locale:zh-CN', 'chen');
    const digest = await lines('/周报', 'chen');
    expect(digest[0]).toBe('• 全公司周报：2个团队，5个活跃客户');
    expect(digest[1]).toBe('各团队对比');
    expect(digest).toContain('  • mark团队：2个客户 · 高风险1、需关注0 · 单点对接1 · 投诉0起未结、0起已升级 · 本季度0项承诺未兑现、1项逾期 · 回访逾期0 · 本季度流失1/3（33%）');
    expect(digest).toContain('你自己的：chen团队周报（6人）');
  });
});

describe('a large organisation', () => {
  it("the weekly job composes the organisation's digest over more accounts than SQLite takes parameters in one statement", async () => {
    h = harness({ now: plus(NOW, -30 * DAY) });
    await k.ok('/steward role @chen exec');
    await k.ok('/account add Acme tier:key owner:@zhang');
    // 33 000 accounts (SQLite takes at most 32 766 parameters in a statement), written straight to the table.
    const c = h.db.$client;
    const zhang = await k.memberId('zhang');
    const tenantId = (await k.tenant()).id;
    const at = plus(NOW, -30 * DAY).getTime();
    const add = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
    c.transaction(() => {
      for (let i = 0; i < 33_000; i++) add.run(tenantId, `Bulk ${i}`, `bulk ${i}`, 'standard', zhang, at, at);
    })();
    const ids = await transact(h.db, async (tx) => digestAll(tx, await k.tenant(), NOW));
    const chenId = await k.memberId('chen');
    const chen = nudgeText((await k.allNudges('digest')).find((n) => ids.includes(n.id) && n.recipientId === chenId)!);
    expect(chen.split('\n')[0]).toBe('• Weekly digest for the organisation: 33001 active accounts in 0 teams');
    // And alice (the admin) reads it too, and zhang, who owns them all, his own week.
    const digests = await k.allNudges('digest');
    expect((await mapSeq(ids, (id) => k.nameOf(digests.find((n) => n.id === id)!.recipientId))).sort()).toEqual(['alice', 'chen', 'zhang']);
  });
});
